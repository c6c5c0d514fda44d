"""One client connection: asyncio I/O around the sans-IO `ServerConnection`.

`SinkSession` is an `asyncio.Protocol` (no stream objects: this path is hot in the
benchmark). Bytes go into the protocol core; events come out and are handled by
`CommandHandlers` (sink/handlers.py). Most replies are written synchronously; a reply
that must wait (group commit, a rule's delay or tarpit, STARTTLS) sets `busy`, which
stops event processing, so replies always go out in order.

Never does a client make this raise out of the loop: anything unexpected is logged as
an `error` event, answered with 421 when possible, and the connection closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from smtpcheck.protocol.errors import ProtocolError
from smtpcheck.protocol.events import CONNECTION_CLOSED, NEED_DATA, Anomaly, Reply
from smtpcheck.protocol.server import ServerConnection
from smtpcheck.sink.handlers import CommandHandlers
from smtpcheck.sink.rules import parse_reply
from smtpcheck.sink.store import SessionRecord

if TYPE_CHECKING:
    from smtpcheck.sink.server import SinkServer

_counter = itertools.count()
_REPLY_CACHE: dict[str, Reply] = {}


_worker_suffix = ""


def set_worker(number: int) -> None:
    """In a `--workers` process: ids end with the worker's number (unique across them)."""
    global _worker_suffix
    _worker_suffix = f"{number:02X}"


def new_id() -> str:
    """A short id, sortable by time: milliseconds and a counter, in hex (like Postfix)."""
    return f"{int(time.time() * 1000):011X}{next(_counter) % 4096:03X}{_worker_suffix}"


class SinkSession(CommandHandlers, asyncio.Protocol):
    """Drives one connection from greeting to close."""

    new_id = staticmethod(new_id)

    def __init__(self, server: SinkServer, implicit_tls: bool) -> None:
        self.server = server
        self.config = server.config
        self.persona = server.config.persona
        self.rules = server.config.rules
        self.implicit_tls = implicit_tls
        self.id = new_id()
        self.loop = server.loop or asyncio.get_running_loop()
        self.transport: asyncio.Transport | None = None
        self.conn = ServerConnection(
            advertised=self.advertised_keywords(),
            lmtp=self.config.lmtp,
            max_line_length=self.config.limits.max_line_length,
            max_message_size=self.config.max_message_size,
        )
        self.client_ip, self.client = "", ""
        self.helo = ""
        self.tls: dict[str, Any] | None = None
        self.auth: dict[str, Any] | None = None
        self.anomalies: list[dict[str, str]] = []
        self.messages = 0
        self.errors = 0
        self.started = time.time()
        self.busy = True  # until the greeting is out
        self.closed = False
        self.paused = False
        self.tls_switching = False  # inside loop.start_tls: no transport to pause (handle_tls)
        self.task: asyncio.Task[None] | None = None
        self.out: list[bytes] | None = None  # replies gathered while pumping
        self.last_activity = self.loop.time()
        self.partial_since: float | None = None
        self.transcript: Any = None
        self.reset_transaction()

    # -- connection lifecycle ------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no subclass
        peer = transport.get_extra_info("peername") or ("?", 0)
        self.client_ip = str(peer[0])
        self.client = f"[{peer[0]}]:{peer[1]}" if ":" in str(peer[0]) else f"{peer[0]}:{peer[1]}"
        if self.implicit_tls:
            self.tls = self.tls_facts(transport)
        self.server.sessions.add(self)
        if self.config.transcript_dir is not None:
            from smtpcheck.sink.transcript import Transcript

            path = self.config.transcript_dir / f"{self.id}.jsonl"
            self.transcript = Transcript(path, self.started, self.config.show_secrets)
        if self.server.on_event is not None:
            self.server.emit({"event": "connect", "session": self.id, "client": self.client})
        if len(self.server.sessions) > self.config.limits.max_connections:
            self.say("too_many_connections")
            self.close()
            return
        delay = self.rules.greeting_delay
        if delay > 0:
            self.loop.call_later(delay, self.greet)
        else:
            self.greet()

    def greet(self) -> None:
        if self.closed:
            return
        text = self.rules.greeting_text or self.persona.reply("banner", self.fields())
        text = text.replace("{hostname}", self.config.hostname)
        rule = self.rules.find("CONNECT", [self.client_ip]) if self.rules.rules else None
        if rule is not None:
            self.run_async(self._greet_by_rule(rule, text))
            return
        if self.send_text(text) >= 400:
            self.close()
            return
        self.busy = False
        self.pump()

    async def _greet_by_rule(self, rule: Any, text: str) -> None:
        """A CONNECT rule: its reply, delay, disconnect or tarpit instead of the banner."""
        code = await self.apply_rule(rule, text, None)
        if code is None or code >= 400:
            self.close()

    def data_received(self, data: bytes) -> None:
        if self.transcript is not None:
            self.record("C", data)
        self.last_activity = now = self.loop.time()
        if data.endswith(b"\n") or self.conn_in_data():
            self.partial_since = None
        elif self.partial_since is None:
            self.partial_since = now
        try:
            self.conn.receive_data(data)
        except ProtocolError as exc:
            self.fail_protocol(exc)
            return
        if self.busy and not self.paused and not self.tls_switching and self.transport is not None:
            self.paused = True  # bounded buffering while a slow reply is prepared
            self.transport.pause_reading()
        self.pump()

    def eof_received(self) -> bool | None:
        with contextlib.suppress(ProtocolError):
            self.conn.receive_data(b"")
        self.pump()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()
        self.closed = True
        if self.in_transaction():
            self.note(Anomaly("incomplete-transaction", "client disconnected mid-transaction"))
        for anomaly in self.conn.anomalies:
            if anomaly.kind != "buffered-after-starttls":  # noted when it happened
                self.note(anomaly)
        self.server.sessions.discard(self)
        transcript = None
        if self.transcript is not None:
            transcript = self.transcript.name
            self.transcript.close()
        record = SessionRecord(
            self.id,
            self.started,
            time.time(),
            self.client,
            self.helo,
            self.tls,
            self.auth,
            self.messages,
            self.anomalies,
            transcript,
        )
        if self.server.committer is not None:
            self.server.committer.record_session(record)
        if self.server.on_event is not None:
            self.server.emit(
                {
                    "event": "close",
                    "session": self.id,
                    "client": self.client,
                    "messages": self.messages,
                    "duration": time.time() - self.started,
                    "tls": self.tls,
                    "auth": self.auth,
                    "anomalies": self.anomalies,
                }
            )

    def close(self) -> None:
        """Close after what was written is flushed."""
        self.flush()
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def shutdown(self) -> None:
        """The server is stopping: 421 and close."""
        if not self.closed:
            if not self.tls_switching:  # no clear-text 421 inside a TLS handshake
                with contextlib.suppress(Exception):
                    self.say("shutdown")
            self.close()

    # -- the event loop of the session ----------------------------------------------
    def pump(self) -> None:
        """Handle events until the core needs data or a reply must wait.

        Replies made meanwhile are gathered and written at once (one send for a
        pipelined group); `close` and `flush` write them out earlier when needed.
        """
        if self.out is not None:  # re-entered (a reply callback while pumping)
            return
        self.out = []
        conn, handle = self.conn, self.handle
        try:
            while not self.busy and not self.closed:
                try:
                    event = conn.next_event()
                except ProtocolError as exc:
                    self.fail_protocol(exc)
                    return
                if event is NEED_DATA:
                    break
                if event is CONNECTION_CLOSED:
                    self.close()
                    break
                try:
                    pending = handle(event)
                except Exception as exc:  # a bug here must not take the server down
                    self.fail_internal(exc)
                    return
                if pending is not None:
                    self.run_async(pending)
        finally:
            self.flush()
            self.out = None
        if not self.busy and self.paused and self.transport is not None and not self.closed:
            self.paused = False
            self.transport.resume_reading()

    def flush(self) -> None:
        """Write the replies gathered by `pump`."""
        out = self.out
        if out:
            data = out[0] if len(out) == 1 else b"".join(out)
            out.clear()
            transport = self.transport
            if transport is not None and not transport.is_closing():
                transport.write(data)

    def run_async(self, coro: Coroutine[Any, Any, object]) -> None:
        self.busy = True
        self.task = self.loop.create_task(self._finish_async(coro))

    async def _finish_async(self, coro: Coroutine[Any, Any, object]) -> None:
        try:
            await coro
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.fail_internal(exc)
            return
        self.busy = False
        self.last_activity = self.loop.time()
        if not self.closed:
            self.pump()

    # -- writing -------------------------------------------------------------------
    def send_reply(self, code: int, lines: list[str]) -> bytes:
        """Format through the core (which tracks state) and write; returns the bytes."""
        return self.send_event(Reply.build(code, *lines))

    def send_event(self, reply: Reply) -> bytes:
        wire: bytes = self.conn.send(reply)
        if self.out is not None:
            self.out.append(wire)
        elif self.transport is not None and not self.transport.is_closing():
            self.transport.write(wire)
        if self.transcript is not None:
            self.record("S", wire)
        return wire

    def send_text(self, text: str, cache: bool = True) -> int:
        """Send a `"CODE text\\nline2"` reply; returns the code.

        Parsed replies are cached per text: most replies repeat (hot in the benchmark);
        `cache=False` for a text made once (it carries a message id).
        """
        reply = _REPLY_CACHE.get(text)
        if reply is None:
            code, lines = parse_reply(text)
            reply = Reply.build(code, *lines)
            if cache:
                if len(_REPLY_CACHE) > 4096:
                    _REPLY_CACHE.clear()
                _REPLY_CACHE[text] = reply
        self.send_event(reply)
        return reply.code

    def send_single_line(self, text: str) -> None:
        """Send a one-line `"CODE text"` made once (the final 250 with its id): no parsing
        through the cache; anything unusual goes the validating way (`send_text`)."""
        code = text[:3]
        if text[3:4] != " " or not code.isdigit() or not text.isprintable():
            self.send_text(text, False)
            return
        self.send_event(Reply(int(code), (text[4:],), None, f"{text}\r\n".encode()))

    def say(self, key: str, **extra: Any) -> int:
        """Send the persona's reply `key`."""
        return self.send_text(self.persona.reply(key, self.fields(**extra)))

    def record(self, direction: str, data: bytes) -> None:
        if self.transcript is not None:
            secret = direction == "C" and self.auth_secret_pending
            under_tls = self.tls is not None or self.tls_switching
            self.transcript.record(direction, data, under_tls, secret)

    # -- failures ------------------------------------------------------------------
    def fail_protocol(self, exc: ProtocolError) -> None:
        self.note(Anomaly("protocol-error", exc.message))
        with contextlib.suppress(Exception):
            self.send_reply(421, [f"4.5.0 {self.config.hostname} Error: {exc.message}"[:400]])
        self.close()

    def fail_internal(self, exc: BaseException) -> None:
        self.server.emit(
            {
                "event": "error",
                "session": self.id,
                "client": self.client,
                "detail": f"{type(exc).__name__}: {exc}",
            }
        )
        with contextlib.suppress(Exception):
            self.send_reply(421, ["4.3.0 Internal error, closing connection"])
        self.close()

    def note(self, anomaly: Anomaly) -> None:
        item = {"kind": str(anomaly.kind), "detail": anomaly.detail}
        self.anomalies.append(item)
        self.tx_anomalies.append(item)
        self.server.emit({"event": "anomaly", "session": self.id, "client": self.client, **item})

    # -- timeouts ------------------------------------------------------------------
    def check_timeouts(self, now: float) -> None:
        """Called by the server's periodic tick (one timer for all sessions)."""
        if self.closed or self.busy:
            return
        limits = self.config.limits
        idle = now - self.last_activity > limits.idle_timeout
        slow = self.partial_since is not None and (
            now - self.partial_since > limits.command_timeout
        )
        if idle or slow:
            self.note(Anomaly("timeout", "idle" if idle else "command not completed"))
            with contextlib.suppress(Exception):
                self.say("timeout")
            self.close()
