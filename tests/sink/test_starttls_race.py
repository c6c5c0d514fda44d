"""STARTTLS: the client's first command under TLS may reach the sink before the sink's
own `loop.start_tls` has returned.

asyncio's SSLProtocol finishes the server side of the handshake on the client's Finished
and, in that same callback, hands whatever application data came with it (the EHLO) to
the sink's `data_received` — before `start_tls` has returned the new transport. The sink
used to pause reading then on the plain transport (the one beneath TLS) and later resume
the new one, so it never read again: MAIL FROM hung. uvloop delivers that data a tick
later; the sink must be right on both, whatever the order.

Sink and clients share one loop, on both loops: plain asyncio, and uvloop (in the test
extra), the loop the sink runs on by default. Every wait is bounded by a deadline.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import ModuleType

import pytest

from smtpcheck.sink.config import SinkConfig
from smtpcheck.sink.server import SinkServer

#: plain asyncio, and uvloop: the sink's default loop when installed (`--loop auto`)
LOOPS = ["asyncio", "uvloop"]
DEADLINE = 5.0
PARALLEL = 50


def uvloop_module() -> ModuleType:
    try:
        import uvloop
    except ImportError:
        pytest.fail("uvloop is missing: install the test extra (pip install -e '.[test]')")
    return uvloop


def test_the_loop_the_sink_uses_by_default_is_tested() -> None:
    from smtpcheck.sink.live import loop_factory

    assert loop_factory("auto") is uvloop_module().new_event_loop
    assert loop_factory("asyncio") is None  # asyncio's own: the other loop tested


def run_on(loop_name: str, main: Callable[[], Awaitable[None]]) -> None:
    uvloop = loop_name == "uvloop"
    loop = uvloop_module().new_event_loop() if uvloop else asyncio.new_event_loop()
    try:
        loop.run_until_complete(main())
    finally:
        loop.close()


def client_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the sink's own self-signed certificate
    context.minimum_version = ssl.TLSVersion.TLSv1_3  # data may follow the client's Finished
    return context


async def read_reply(reader: asyncio.StreamReader) -> int:
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionError("closed by the sink")
        if line[3:4] != b"-":
            return int(line[:3])


async def command(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, line: str) -> int:
    writer.write(line.encode() + b"\r\n")
    return await read_reply(reader)


class MemoryTlsClient:
    """TLS over memory BIOs, so the test decides what leaves in one write."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.incoming, self.outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = client_context().wrap_bio(self.incoming, self.outgoing)
        self.buffer = bytearray()

    async def receive(self) -> None:
        data = await self.reader.read(65536)
        if not data:
            raise ConnectionError("closed by the sink")
        self.incoming.write(data)

    async def handshake_then(self, first_line: str) -> None:
        """Handshake; the client's Finished and `first_line` go out in the same write."""
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self.writer.write(self.outgoing.read())
                await self.receive()
        self.tls.write(first_line.encode() + b"\r\n")
        self.writer.write(self.outgoing.read())

    async def reply(self) -> int:
        while True:
            while (end := self.buffer.find(b"\r\n")) >= 0:
                line = bytes(self.buffer[: end + 2])
                del self.buffer[: end + 2]
                if line[3:4] != b"-":
                    return int(line[:3])
            try:
                self.buffer += self.tls.read(65536)
            except ssl.SSLWantReadError:
                await self.receive()

    async def command(self, line: str) -> int:
        self.tls.write(line.encode() + b"\r\n")
        self.writer.write(self.outgoing.read())
        return await self.reply()


def sink_config(tmp_path: Path) -> SinkConfig:
    return SinkConfig(port=0, store_dir=tmp_path / "store", hostname="sink.test")


@pytest.mark.parametrize("loop_name", LOOPS)
def test_ehlo_in_the_same_write_as_the_clients_finished(loop_name: str, tmp_path: Path) -> None:
    async def main() -> None:
        async with SinkServer(sink_config(tmp_path)) as sink:
            reader, writer = await asyncio.open_connection("127.0.0.1", sink.port)
            try:
                async with asyncio.timeout(DEADLINE):
                    assert await read_reply(reader) == 220
                    assert await command(reader, writer, "EHLO client.test") == 250
                    assert await command(reader, writer, "STARTTLS") == 220
                    client = MemoryTlsClient(reader, writer)
                    await client.handshake_then("EHLO client.test")
                    assert await client.reply() == 250
                    assert await client.command("MAIL FROM:<a@client.test>") == 250
                    assert await client.command("RCPT TO:<b@sink.test>") == 250
                    assert await client.command("DATA") == 354
                    assert await client.command("Subject: race\r\n\r\nbody\r\n.") == 250
                    assert await client.command("QUIT") == 221
            finally:
                writer.close()
            assert len(sink.store.list_messages()) == 1

    run_on(loop_name, main)


async def starttls_session(port: int, number: int) -> None:
    """The ordinary way (asyncio streams): EHLO written as soon as start_tls returns."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        async with asyncio.timeout(DEADLINE):
            assert await read_reply(reader) == 220
            assert await command(reader, writer, "EHLO client.test") == 250
            assert await command(reader, writer, "STARTTLS") == 220
            await writer.start_tls(client_context())
            writer.write(b"EHLO client.test\r\n")  # no yield between handshake and EHLO
            assert await read_reply(reader) == 250
            assert await command(reader, writer, f"MAIL FROM:<s{number}@client.test>") == 250
            assert await command(reader, writer, "RCPT TO:<b@sink.test>") == 250
            assert await command(reader, writer, "DATA") == 354
            assert await command(reader, writer, f"Subject: {number}\r\n\r\nbody\r\n.") == 250
            assert await command(reader, writer, "QUIT") == 221
    finally:
        writer.close()


@pytest.mark.parametrize("loop_name", LOOPS)
def test_many_starttls_sessions_at_once(loop_name: str, tmp_path: Path) -> None:
    async def main() -> None:
        async with SinkServer(sink_config(tmp_path)) as sink:
            results = await asyncio.gather(
                *(starttls_session(sink.port, n) for n in range(PARALLEL)),
                return_exceptions=True,
            )
            failures = [repr(r) for r in results if isinstance(r, BaseException)]
            assert not failures, failures
            assert len(sink.store.list_messages()) == PARALLEL

    run_on(loop_name, main)
