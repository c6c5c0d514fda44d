"""The programmatic face of the sink: `SinkServer` (asyncio) and `run_in_thread`.

    async with SinkServer(SinkConfig(port=0, store_dir=tmp)) as sink:
        smtp_to("127.0.0.1", sink.port) ...
        sink.store.list_messages()

    with run_in_thread(SinkConfig(port=0, store_dir=tmp)) as sink:   # synchronous tests
        smtplib.SMTP("127.0.0.1", sink.port) ...

Closing stops accepting, tells live sessions `421` and closes them, writes whatever
the committer still holds, and leaves no thread or socket behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import threading
from collections.abc import Iterator
from typing import Any

from smtpcheck.sink.auth import Authenticator, load_users
from smtpcheck.sink.commit import GroupCommitter
from smtpcheck.sink.config import SinkConfig
from smtpcheck.sink.interfaces import EventListener, ServedSession
from smtpcheck.sink.store import Store
from smtpcheck.sink.writer import ProcessCommitter


class SinkServer:
    """A running capture server bound to one asyncio loop."""

    def __init__(self, config: SinkConfig, on_event: EventListener | None = None) -> None:
        config.validate()
        self.config = config
        self.on_event = on_event
        self.store = Store(config.store_dir, durable=config.durable)
        self.authenticator = Authenticator(
            load_users(config.users_file) if config.users_file else None
        )
        self.tls_context: ssl.SSLContext | None = None
        self.sessions: set[ServedSession] = set()
        self.port = 0
        self.tls_port: int | None = None
        self.committer: GroupCommitter | ProcessCommitter | None = None
        self._servers: list[asyncio.AbstractServer] = []
        self.loop: asyncio.AbstractEventLoop | None = None
        self._tick: asyncio.TimerHandle | None = None

    async def start(self) -> SinkServer:
        """Open the store, prepare TLS, and start listening."""
        from smtpcheck.sink.session import SinkSession

        self.loop = asyncio.get_running_loop()
        await self.loop.run_in_executor(None, self.store.open)
        if self.config.starttls or self.config.tls_port is not None:
            self.tls_context = await self.loop.run_in_executor(None, self._make_tls_context)
        if self.config.transcript_dir is not None:
            self.config.transcript_dir.mkdir(parents=True, exist_ok=True)
        if self.config.writer == "process":
            self.committer = ProcessCommitter(self.store, self.loop)
        else:
            self.committer = GroupCommitter(self.store, self.loop)
        self.committer.start()
        try:
            server = await self.loop.create_server(
                lambda: SinkSession(self, implicit_tls=False),
                self.config.host,
                self.config.port,
                backlog=1024,
                reuse_address=True,
                reuse_port=self.config.workers > 1 or None,
            )
            self._servers.append(server)
            self.port = server.sockets[0].getsockname()[1]
            if self.config.tls_port is not None:
                tls_server = await self.loop.create_server(
                    lambda: SinkSession(self, implicit_tls=True),
                    self.config.host,
                    self.config.tls_port,
                    ssl=self.tls_context,
                    backlog=1024,
                    reuse_address=True,
                    reuse_port=self.config.workers > 1 or None,
                    ssl_handshake_timeout=self.config.limits.command_timeout,
                )
                self._servers.append(tls_server)
                self.tls_port = tls_server.sockets[0].getsockname()[1]
        except BaseException:
            await self.close()
            raise
        self._schedule_tick()
        self.emit(self.listening_event())
        return self

    def _make_tls_context(self) -> ssl.SSLContext:
        from smtpcheck.sink.certs import ensure_certificate, server_context

        if self.config.tls_cert is not None and self.config.tls_key is not None:
            return server_context(self.config.tls_cert, self.config.tls_key)
        cert, key = ensure_certificate(self.config.cert_dir, self.config.hostname)
        return server_context(cert, key)

    @property
    def cert_path(self) -> str:
        """The certificate clients should trust (for `cafile=`)."""
        return str(self.config.tls_cert or self.config.cert_dir / "cert.pem")

    def listening_event(self) -> dict[str, Any]:
        return {
            "event": "listening",
            "host": self.config.host,
            "port": self.port,
            "tls_port": self.tls_port,
            "store": str(self.config.store_dir),
        }

    def _schedule_tick(self) -> None:
        """One timer checks every session's timeouts (not one timer per connection)."""
        limits = self.config.limits
        shortest = min(
            limits.idle_timeout,
            limits.command_timeout,
            limits.data_timeout,
            limits.message_timeout,
        )
        tick = max(0.05, min(1.0, shortest / 4))
        assert self.loop is not None
        self._tick = self.loop.call_later(tick, self._check_timeouts)

    def _check_timeouts(self) -> None:
        assert self.loop is not None
        now = self.loop.time()
        for session in list(self.sessions):
            session.check_timeouts(now)
        self._schedule_tick()

    def emit(self, event: dict[str, Any]) -> None:
        """Tell the listener (live terminal view, tests) what happened; never raise."""
        if self.on_event is not None:
            with contextlib.suppress(Exception):
                self.on_event(event)

    async def close(self) -> None:
        """Stop listening, close sessions with 421, flush the committer."""
        if self._tick is not None:
            self._tick.cancel()
            self._tick = None
        for server in self._servers:
            server.close()
        for session in list(self.sessions):
            session.shutdown()
        for server in self._servers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 2)
        self._servers.clear()
        # Give closing sessions a moment to record themselves.
        for _ in range(50):
            if not self.sessions:
                break
            await asyncio.sleep(0.01)
        if isinstance(self.committer, ProcessCommitter):
            await self.committer.aclose()
            self.committer = None
        elif self.committer is not None:
            assert self.loop is not None
            await self.loop.run_in_executor(None, self.committer.stop)
            self.committer = None
        self.store.close()

    async def serve_forever(self) -> None:
        await asyncio.Event().wait()

    async def __aenter__(self) -> SinkServer:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


class ThreadedSink:
    """What `run_in_thread` yields: the server's port and store, usable synchronously."""

    def __init__(self, server: SinkServer, loop: asyncio.AbstractEventLoop) -> None:
        self.server = server
        self.loop = loop
        self.config = server.config
        self.store = server.store
        self.events: list[dict[str, Any]] = []

    @property
    def host(self) -> str:
        return self.config.host

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def tls_port(self) -> int | None:
        return self.server.tls_port

    @property
    def cert_path(self) -> str:
        return self.server.cert_path

    def messages(self) -> list[dict[str, Any]]:
        """The captured messages, read in the server's thread (consistent with it)."""
        future = asyncio.run_coroutine_threadsafe(self._messages(), self.loop)
        return future.result(10)

    async def _messages(self) -> list[dict[str, Any]]:
        return self.store.list_messages()


@contextlib.contextmanager
def run_in_thread(
    config: SinkConfig, on_event: EventListener | None = None
) -> Iterator[ThreadedSink]:
    """Run a SinkServer on its own loop in a thread for the `with` block; stop it cleanly."""
    ready = threading.Event()
    stop: asyncio.Event | None = None
    holder: dict[str, Any] = {}
    events: list[dict[str, Any]] = []

    def listener(event: dict[str, Any]) -> None:
        events.append(event)
        if on_event is not None:
            on_event(event)

    async def main() -> None:
        nonlocal stop
        stop = asyncio.Event()
        try:
            server = await SinkServer(config, listener).start()
        except BaseException as exc:
            holder["error"] = exc
            ready.set()
            return
        holder["sink"] = ThreadedSink(server, asyncio.get_running_loop())
        holder["sink"].events = events
        ready.set()
        try:
            await stop.wait()
        finally:
            await server.close()

    thread = threading.Thread(target=lambda: asyncio.run(main()), name="sink", daemon=True)
    thread.start()
    ready.wait()
    if "error" in holder:
        thread.join()
        raise holder["error"]
    sink: ThreadedSink = holder["sink"]
    try:
        yield sink
    finally:
        assert stop is not None
        sink.loop.call_soon_threadsafe(stop.set)
        thread.join(30)
