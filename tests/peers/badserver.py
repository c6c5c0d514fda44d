"""A small misbehaving SMTP server for tests of how clients cope with broken peers.

`BadServer(behaviour)` listens on 127.0.0.1 (a free port) and serves every connection
with one behaviour, in an asyncio loop on a background thread, until `stop()`:

- `no-banner`           accept, then say nothing (reads and discards what arrives)
- `close-after-banner`  send a 220 banner, then close
- `slow`                an endless multi-line 220 banner, one byte per `interval` seconds
- `endless-multiline`   a normal banner; after EHLO, `250-xxx` lines forever
- `garbage`             non-SMTP bytes where a reply code should be, for every line
- `reset-in-data`       a normal dialogue up to DATA's 354; when the message starts
                        arriving, a TCP RST (SO_LINGER 0 then close)
- `scripted`            `steps`: a list of `(expect_prefix, reply)`. An empty prefix
                        means "send the reply without reading" (use it for the banner).
                        Otherwise one line is read (after a 354 reply: the whole message
                        up to `<CRLF>.<CRLF>`) and must start with the prefix (case
                        insensitive); a mismatch is recorded in `errors` and answered
                        with `500 5.5.1`. `reply` is bytes, or CLOSE, RESET or HANG.
                        When the steps run out the connection is closed.

Every loop ends when the server stops; `received` holds what clients sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
from collections.abc import Awaitable, Callable, Sequence
from enum import Enum
from typing import Protocol


class Action(Enum):
    CLOSE = "close"  # close the connection normally (FIN)
    RESET = "reset"  # abort with a TCP RST
    HANG = "hang"  # keep the connection open and never answer again


CLOSE, RESET, HANG = Action.CLOSE, Action.RESET, Action.HANG
Step = tuple[bytes | str, bytes | Action]

BEHAVIOURS = (
    "no-banner",
    "close-after-banner",
    "slow",
    "endless-multiline",
    "garbage",
    "reset-in-data",
    "scripted",
)
BANNER = b"220 bad.example.test ESMTP smtpcheck bad server\r\n"
GARBAGE = b"\x16\x03\x01\x00\xfe\xff\x00garbage, not SMTP \xc3\x28\x80\r\n"
EHLO_REPLY = b"250-bad.example.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 1048576\r\n"
MAX_LINE = 65536


class BadServerFactory(Protocol):
    """Type of the `bad_server` fixture."""

    def __call__(
        self, behaviour: str, steps: Sequence[Step] | None = None, interval: float = 1.0
    ) -> BadServer: ...


class BadServer:
    """One misbehaving server; use as a context manager or call start()/stop()."""

    host = "127.0.0.1"

    def __init__(
        self,
        behaviour: str,
        steps: Sequence[Step] | None = None,
        interval: float = 1.0,
    ) -> None:
        if behaviour not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {behaviour!r}; known: {BEHAVIOURS}")
        if (behaviour == "scripted") != (steps is not None):
            raise ValueError("steps are given with, and only with, the scripted behaviour")
        self.behaviour = behaviour
        self.steps: list[tuple[bytes, bytes | Action]] = [
            (prefix.encode() if isinstance(prefix, str) else prefix, reply)
            for prefix, reply in steps or ()
        ]
        self.interval = interval
        self.port = 0
        self.connections = 0
        self.received = bytearray()
        self.errors: list[str] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopping: asyncio.Event | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._ready = threading.Event()
        self._start_error: BaseException | None = None

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    # ---- life cycle ------------------------------------------------------------------
    def start(self) -> BadServer:
        self._thread = threading.Thread(target=self._run, name=f"bad-server-{self.behaviour}")
        self._thread.daemon = True
        self._thread.start()
        if not self._ready.wait(5):
            raise RuntimeError("bad server did not start within 5 s")
        if self._start_error is not None:
            raise RuntimeError("bad server failed to start") from self._start_error
        return self

    def stop(self) -> None:
        loop, stopping = self._loop, self._stopping
        if loop is not None and stopping is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # loop already closed
                loop.call_soon_threadsafe(stopping.set)
        if self._thread is not None:
            self._thread.join(5)
            if self._thread.is_alive():
                raise RuntimeError("bad server thread did not stop within 5 s")

    def __enter__(self) -> BadServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported to start() or lost only after stop
            self._start_error = exc
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        server = await asyncio.start_server(self._handle, self.host, 0)
        self.port = int(server.sockets[0].getsockname()[1])
        self._ready.set()
        async with server:
            await self._stopping.wait()
            server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections += 1
        handler: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]] = getattr(
            self, "_do_" + self.behaviour.replace("-", "_")
        )
        try:
            await handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 1)

    # ---- helpers ---------------------------------------------------------------------
    async def _line(self, reader: asyncio.StreamReader) -> bytes:
        """One line (with its ending); b"" when the client has closed."""
        try:
            line = await reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as exc:
            line = exc.partial
        except asyncio.LimitOverrunError:
            line = await reader.read(MAX_LINE)
        self.received += line
        return line

    async def _message(self, reader: asyncio.StreamReader) -> bytes:
        """DATA content up to and including the final <CRLF>.<CRLF>."""
        try:
            data = await reader.readuntil(b"\r\n.\r\n")
        except asyncio.IncompleteReadError as exc:
            data = exc.partial
        self.received += data
        return data

    async def _drain_forever(self, reader: asyncio.StreamReader) -> None:
        while chunk := await reader.read(4096):
            self.received += chunk

    @staticmethod
    def _reset(writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()

    # ---- behaviours ------------------------------------------------------------------
    async def _do_no_banner(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await self._drain_forever(reader)

    async def _do_close_after_banner(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        writer.write(BANNER)
        await writer.drain()

    async def _do_slow(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        line = b"220-bad.example.test slowly, very slowly\r\n"
        while True:
            for byte in line:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(self.interval)

    async def _do_endless_multiline(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        writer.write(BANNER)
        await writer.drain()
        while True:
            line = await self._line(reader)
            if not line:
                return
            if line[:4].upper() in (b"EHLO", b"HELO"):
                break
            writer.write(b"250 2.0.0 Ok\r\n")
            await writer.drain()
        count = 0
        while True:
            count += 1
            writer.write(b"250-xxx endless line %d\r\n" % count)
            await writer.drain()  # blocks while the client does not read
            if count % 100 == 0:
                await asyncio.sleep(0.001)

    async def _do_garbage(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(GARBAGE)
        await writer.drain()
        while await self._line(reader):
            writer.write(GARBAGE)
            await writer.drain()

    async def _do_reset_in_data(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        writer.write(BANNER)
        await writer.drain()
        while True:
            line = await self._line(reader)
            if not line:
                return
            verb = line.split(b" ", 1)[0].strip().upper()
            if verb in (b"EHLO", b"LHLO"):
                writer.write(EHLO_REPLY)
            elif verb == b"DATA":
                writer.write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                await writer.drain()
                first = await reader.read(1)
                self.received += first
                self._reset(writer)
                return
            elif verb == b"QUIT":
                writer.write(b"221 2.0.0 Bye\r\n")
                await writer.drain()
                return
            else:
                writer.write(b"250 2.0.0 Ok\r\n")
            await writer.drain()

    async def _do_scripted(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        in_data = False
        for number, (prefix, reply) in enumerate(self.steps, 1):
            if prefix:
                got = await (self._message(reader) if in_data else self._line(reader))
                if not got:
                    self.errors.append(f"step {number}: client closed, expected {prefix!r}")
                    return
                if not got.upper().startswith(prefix.upper()):
                    self.errors.append(f"step {number}: expected {prefix!r}, got {got[:200]!r}")
                    writer.write(b"500 5.5.1 Unexpected command (scripted server)\r\n")
                    await writer.drain()
                    in_data = False
                    continue
            if reply is Action.CLOSE:
                return
            if reply is Action.RESET:
                self._reset(writer)
                return
            if reply is Action.HANG:
                await self._drain_forever(reader)
                return
            assert isinstance(reply, bytes)
            writer.write(reply)
            await writer.drain()
            in_data = reply.startswith(b"354")
