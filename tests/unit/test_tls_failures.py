"""A failed TLS handshake says why: the alert, or that the server closed or reset.

Before, a server that hung up during the handshake gave just "ConnectionResetError"
(asyncio reports the close as the bare class), classified as a reset session.
Servers here are on loopback, on the test's own loop; every wait has a deadline.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import struct
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from smtpcheck.net.errors import (
    FailureKind,
    SessionError,
    classify_os_error,
    describe_os_error,
    tls_alert,
)
from smtpcheck.net.session import SmtpSession
from smtpcheck.net.transcript import Transcript
from smtpcheck.protocol.events import Command
from smtpcheck.sink.config import SinkConfig
from smtpcheck.sink.rules import RuleSet
from smtpcheck.sink.server import SinkServer

HANDSHAKE_FAILURE_ALERT = b"\x15\x03\x03\x00\x02\x02\x28"


def client_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


async def starttls_failure(port: int) -> SessionError:
    session = SmtpSession(Transcript(), timeout=5)
    await session.connect("127.0.0.1", port)
    try:
        await session.read_reply("banner", (220,))
        await session.command(Command("EHLO", "client.test"), "ehlo", (250,))
        await session.command(Command("STARTTLS"), "starttls", (220,))
        with pytest.raises(SessionError) as caught:
            await session.starttls(client_context(), "server.test")
    finally:
        await session.close()
    return caught.value


async def abort(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


Ending = Callable[[asyncio.StreamWriter], Awaitable[None]]


async def with_server(ending: Ending, check: Callable[[int], Awaitable[None]]) -> None:
    """An SMTP server that reads the ClientHello after its 220 to STARTTLS, then `ending`."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 server.test ESMTP\r\n")
        await reader.readline()
        writer.write(b"250-server.test\r\n250 STARTTLS\r\n")
        await reader.readline()
        writer.write(b"220 2.0.0 go ahead\r\n")
        await reader.read(5)  # the ClientHello's record header: the handshake has begun
        await ending(writer)

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        async with asyncio.timeout(20):
            await check(server.sockets[0].getsockname()[1])
    finally:
        server.close()


async def close_normally(writer: asyncio.StreamWriter) -> None:
    writer.close()


async def send_alert(writer: asyncio.StreamWriter) -> None:
    writer.write(HANDSHAKE_FAILURE_ALERT)
    await writer.drain()
    writer.close()


@pytest.mark.parametrize(
    ("ending", "expected"),
    [
        (abort, "the server reset the connection during the TLS handshake"),
        (close_normally, "the server closed the connection during the TLS handshake"),
        (send_alert, "TLS handshake failed: the server sent the alert handshake_failure"),
    ],
)
def test_starttls_ended_by_the_server(ending: Ending, expected: str) -> None:
    async def check(port: int) -> None:
        error = await starttls_failure(port)
        assert (error.step, error.kind, error.message) == ("tls", FailureKind.TLS, expected)

    asyncio.run(with_server(ending, check))


def test_implicit_tls_ended_by_the_server() -> None:
    async def check(port: int) -> None:
        session = SmtpSession(Transcript(), timeout=5)
        with pytest.raises(SessionError) as caught:
            await session.connect("127.0.0.1", port, tls_context=client_context())
        error = caught.value
        assert (error.step, error.kind) == ("tls", FailureKind.TLS)
        assert "during the TLS handshake" in error.message, error.message

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(5)
        await abort(writer)

    async def main() -> None:
        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        try:
            async with asyncio.timeout(20):
                await check(server.sockets[0].getsockname()[1])
        finally:
            server.close()

    asyncio.run(main())


def test_the_sinks_starttls_fail_is_a_tls_failure_naming_the_alert(tmp_path: Path) -> None:
    async def main() -> None:
        config = SinkConfig(
            port=0,
            store_dir=tmp_path / "store",
            hostname="sink.test",
            rules=RuleSet(starttls_fail=True),
        )
        async with SinkServer(config) as sink, asyncio.timeout(20):
            error = await starttls_failure(sink.port)
        assert (error.step, error.kind) == ("tls", FailureKind.TLS)
        assert "handshake_failure" in error.message, error.message
        assert "ConnectionResetError" not in error.message

    asyncio.run(main())


def test_a_close_is_described_in_words_not_as_a_class_name() -> None:
    closed = ConnectionResetError()  # what asyncio's SSLProtocol reports for a close
    assert describe_os_error(closed) == "the connection was closed by the server"
    assert classify_os_error(closed) is FailureKind.RESET
    assert classify_os_error(closed, handshake=True) is FailureKind.TLS
    assert classify_os_error(ConnectionRefusedError(), handshake=True) is FailureKind.REFUSED
    assert tls_alert(HANDSHAKE_FAILURE_ALERT) == "handshake_failure"
    assert tls_alert(b"220 ok\r\n") is None
