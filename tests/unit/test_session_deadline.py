"""SmtpSession.read_reply: the session's deadline, or one given for a single read."""

from __future__ import annotations

import asyncio
import math

import pytest

from smtpcheck.net.errors import FailureKind, SessionError
from smtpcheck.net.session import SmtpSession
from smtpcheck.net.transcript import Transcript


async def _late_banner(delay: float, body: object) -> None:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(delay)
        writer.write(b"220 late.example ESMTP\r\n")
        await writer.drain()
        await reader.read()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        await body(port)  # type: ignore[operator]


def test_the_session_deadline_applies_unless_a_read_gives_its_own() -> None:
    async def body(port: int) -> None:
        session = SmtpSession(Transcript(), timeout=0.1)
        await session.connect("127.0.0.1", port)
        with pytest.raises(SessionError) as caught:
            await session.read_reply("banner", (220,))
        assert caught.value.kind is FailureKind.TIMEOUT
        assert "within 0.1 s" in str(caught.value)
        await session.close()

        for timeout in (2.0, math.inf):
            session = SmtpSession(Transcript(), timeout=0.1)
            await session.connect("127.0.0.1", port)
            reply = await session.read_reply("banner", (220,), timeout=timeout)
            assert reply.code == 220
            await session.close()

    asyncio.run(_late_banner(0.3, body))
