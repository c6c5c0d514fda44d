"""One client connection: asyncio I/O around the sans-IO `ServerConnection`.

`SinkSession` is an `asyncio.Protocol` (no stream objects: this path is hot in the
benchmark). Bytes go into the protocol core; events come out and are answered by the
`Dialogue` (sink/dialogue.py), which reaches the connection only through the `Link`
methods below. Most replies are written synchronously; a reply that must wait (group
commit, a rule's delay or tarpit, STARTTLS) makes the session `busy`, which stops event
processing, so replies always go out in order.

Reading stops while the session is busy and while the transport's write buffer is over
its high-water mark (a client that sends commands and never reads the replies): what
one client can make the sink hold is bounded by a read and the buffer limits.

Deadlines (sink/deadlines.py) are checked on one periodic tick of the server for all
sessions: idle, a command line not completed, a message's content too slow or too long.

Never does a client make this raise out of the loop: anything unexpected is logged as
an `error` event, answered with 421 when possible, and the connection closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Coroutine
from typing import Any, cast

from smtpcheck.protocol.errors import ProtocolError
from smtpcheck.protocol.events import CONNECTION_CLOSED, NEED_DATA, Anomaly, Reply
from smtpcheck.protocol.server import ServerConnection
from smtpcheck.protocol.states import ServerState
from smtpcheck.sink.context import SessionContext
from smtpcheck.sink.deadlines import overdue
from smtpcheck.sink.dialogue import Dialogue, advertised_keywords
from smtpcheck.sink.interfaces import SinkHost
from smtpcheck.sink.recorder import SessionRecorder
from smtpcheck.sink.redact import scrub_detail
from smtpcheck.sink.responder import Responder
from smtpcheck.sink.rules import Rule
from smtpcheck.sink.state import SessionState

#: the transport's write buffer above which the session stops reading (low: a quarter)
WRITE_HIGH_WATER = 64 * 1024
#: replies gathered in one pump before they are written (then flow control may pause)
_GATHER_LIMIT = 256
_IN_CONTENT = (ServerState.DATA, ServerState.BDAT)


class SinkSession(asyncio.Protocol):
    """Drives one connection from greeting to close."""

    def __init__(self, host: SinkHost, implicit_tls: bool) -> None:
        self.host = host
        self.config = config = host.config
        self.implicit_tls = implicit_tls
        self.loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport | None = None
        persona = config.persona
        self.conn = ServerConnection(
            advertised=advertised_keywords(persona.name, persona.keywords),
            lmtp=config.lmtp,
            max_line_length=config.limits.max_line_length,
            max_message_size=config.max_message_size,
        )
        self.state = SessionState()
        self.say = Responder(self.state, self, self.conn, config)
        self.dialogue = Dialogue(SessionContext(self.state, self, self.conn, host, self.say))
        self.busy = True  # until the greeting is out
        self._closed = False
        self.paused = False  # reading paused (busy, or the client does not read)
        self.write_blocked = False  # the transport's buffer is over its high-water mark
        self.tls_switching = False  # inside loop.start_tls: no transport to pause
        self.task: asyncio.Task[None] | None = None
        self.out: list[bytes] | None = None  # replies gathered while pumping
        self.last_activity = self.loop.time()
        self.partial_since: float | None = None
        self.recorder = SessionRecorder(self.state, host)  # opens the transcript, if any
        self.transcript = self.recorder.transcript
        self.conn_anomalies_noted = 0

    # -- connection lifecycle ------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass
        self.transport.set_write_buffer_limits(high=WRITE_HIGH_WATER)
        state, config = self.state, self.config
        peer = transport.get_extra_info("peername") or ("?", 0)
        state.client_ip = str(peer[0])
        state.client = f"[{peer[0]}]:{peer[1]}" if ":" in str(peer[0]) else f"{peer[0]}:{peer[1]}"
        if self.implicit_tls:
            state.tls = tls_facts(transport)
        self.host.sessions.add(self)
        if self.recorder.listening:
            self.recorder.emit({"event": "connect"})
        if len(self.host.sessions) > config.limits.max_connections:
            self.say.say("too_many_connections")
            self.close()
            return
        delay = config.rules.greeting_delay
        if delay > 0:
            self.loop.call_later(delay, self.greet)
        else:
            self.greet()

    def greet(self) -> None:
        if self._closed:
            return
        rules = self.config.rules
        text = rules.greeting_text or self.say.text("banner")
        text = text.replace("{hostname}", self.config.hostname)
        rule = rules.find("CONNECT", [self.state.client_ip]) if rules.rules else None
        if rule is not None:
            self.run_async(self._greet_by_rule(rule, text))
            return
        if self.say.send_text(text) >= 400:
            self.close()
            return
        self.busy = False
        self.pump()

    async def _greet_by_rule(self, rule: Rule, text: str) -> None:
        """A CONNECT rule: its reply, delay, disconnect or tarpit instead of the banner."""
        code = await self.say.apply_rule(rule, text, None)
        if code is None or code >= 400:
            self.close()

    def data_received(self, data: bytes) -> None:
        conn = self.conn
        if self.transcript is not None:
            self.recorder.record("C", data, self.state.tls is not None or self.tls_switching)
        self.last_activity = now = self.loop.time()
        if data.endswith(b"\n") or conn.state in _IN_CONTENT:
            self.partial_since = None
        elif self.partial_since is None:
            self.partial_since = now
        try:
            conn.receive_data(data)
        except ProtocolError as exc:
            self.fail_protocol(exc)
            return
        if (self.busy or self.write_blocked) and not self.paused and not self.tls_switching:
            self._pause()
        self.pump()

    def eof_received(self) -> bool | None:
        with contextlib.suppress(ProtocolError):
            self.conn.receive_data(b"")
        self.pump()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()
        self._closed = True
        state = self.state
        if state.in_transaction():
            self.note(Anomaly("incomplete-transaction", "client disconnected mid-transaction"))
        self.note_conn_anomalies()
        self.host.sessions.discard(self)
        self.recorder.finish()

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Close after what was written is flushed."""
        self.flush()
        self._closed = True
        if self.transport is not None:
            self.transport.close()

    def shutdown(self) -> None:
        """The server is stopping: 421 and close."""
        if not self._closed:
            if not self.tls_switching:  # no clear-text 421 inside a TLS handshake
                with contextlib.suppress(Exception):
                    self.say.say("shutdown")
            self.close()

    # -- the event loop of the session ----------------------------------------------
    def pump(self) -> None:
        """Handle events until the core needs data, a reply must wait, or the client
        does not read its replies.

        Replies made meanwhile are gathered and written at once (one send for a
        pipelined group); `close` and `flush` write them out earlier when needed.
        """
        if self.out is not None:  # re-entered (a reply callback while pumping)
            return
        self.out = []
        conn, handle = self.conn, self.dialogue.handle
        try:
            while not self.busy and not self._closed and not self.write_blocked:
                try:
                    event = conn.next_event()
                except ProtocolError as exc:
                    self.fail_protocol(exc)
                    return
                if event is NEED_DATA:
                    break
                if event is CONNECTION_CLOSED:
                    self.note_conn_anomalies()
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
        if self.paused and not self.busy and not self.write_blocked and not self._closed:
            self._resume()

    def flush(self) -> None:
        """Write the replies gathered by `pump`."""
        out = self.out
        if out:
            data = out[0] if len(out) == 1 else b"".join(out)
            out.clear()
            self.write(data)

    def write(self, data: bytes) -> None:
        transport = self.transport
        if transport is not None and not transport.is_closing():
            transport.write(data)
            if self.transcript is not None:
                self.recorder.record("S", data, self.state.tls is not None or self.tls_switching)

    def _pause(self) -> None:
        if self.transport is not None and not self.paused:
            self.paused = True
            self.transport.pause_reading()

    def _resume(self) -> None:
        if self.transport is not None and self.paused:
            self.paused = False
            self.transport.resume_reading()

    # -- flow control (asyncio calls these around the write buffer's water marks) ----
    def pause_writing(self) -> None:
        self.write_blocked = True
        if not self.tls_switching:
            self._pause()

    def resume_writing(self) -> None:
        self.write_blocked = False
        if not self.busy and not self._closed:
            self.pump()  # events the core still holds, then reading again

    # -- Link: what the dialogue may ask ---------------------------------------------
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
        if not self._closed:
            self.pump()

    def hold(self) -> None:
        self.busy = True

    def release(self) -> None:
        if self.task is not None and not self.task.done():
            return  # a coroutine started meanwhile: it releases when done
        self.busy = False
        self.last_activity = self.loop.time()
        if not self._closed:
            self.pump()

    def send_event(self, reply: Reply) -> None:
        """Format through the core (which tracks state) and write."""
        wire: bytes = self.conn.send(reply)
        out = self.out
        if out is not None:
            out.append(wire)
            if len(out) >= _GATHER_LIMIT:
                self.flush()  # the transport's flow control sees it now
        else:
            self.write(wire)

    def write_raw(self, data: bytes) -> bool:
        if self._closed or self.transport is None:
            return False
        self.flush()
        self.write(data)
        return True

    @property
    def listening(self) -> bool:
        return self.recorder.listening

    def emit(self, event: dict[str, Any]) -> None:
        self.recorder.emit(event)

    def note(self, anomaly: Anomaly, secret: bool = False) -> None:
        self.recorder.note(anomaly, secret)

    def note_conn_anomalies(self) -> None:
        """The core's connection-level anomalies not noted yet (bytes sent after STARTTLS,
        a line cut by the close)."""
        found = self.conn.anomalies
        for anomaly in found[self.conn_anomalies_noted :]:
            self.note(anomaly, self.state.auth_secret)
        self.conn_anomalies_noted = len(found)

    def hold_input(self) -> None:
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_input(self) -> None:
        if self.transport is not None:
            self.transport.resume_reading()

    async def upgrade_to_tls(self) -> dict[str, Any] | None:
        """The server side of STARTTLS on this connection; see the note below."""
        # The switch of transports has a window: asyncio's SSLProtocol finishes the
        # handshake on the client's Finished and hands the application data that came
        # with it (a client sends EHLO at once) to `data_received` in the same
        # callback, before `loop.start_tls` has returned the new transport (uvloop
        # hands it over a tick later). In that window `self.transport` is still the
        # clear-text transport, which now feeds the TLS layer: pausing it there would
        # stop the connection for good, since only the new transport is resumed. So
        # `tls_switching` is set for the window: no pause (the data is bounded by one
        # read, processed as soon as `start_tls` returns), and the new transport starts
        # unpaused, as `loop.start_tls` leaves the old one reading.
        transport, context = self.transport, self.host.tls_context
        assert transport is not None and context is not None
        self.note_conn_anomalies()
        self.tls_switching = True
        try:
            new_transport = await self.loop.start_tls(
                transport,
                self,
                context,
                server_side=True,
                ssl_handshake_timeout=self.config.limits.command_timeout,
            )
        except (TimeoutError, OSError, ssl.SSLError, ConnectionError) as exc:
            self.note(Anomaly("tls-handshake-failed", str(exc)[:200]))
            self.close()
            return None
        finally:
            self.tls_switching = False
        if new_transport is None:
            self.close()
            return None
        self.transport = new_transport
        self.paused = self.write_blocked = False  # a new transport, reading, nothing queued
        if self._closed:  # the server shut down during the handshake
            new_transport.close()
            return None
        return tls_facts(new_transport)

    # -- failures ------------------------------------------------------------------
    def fail_protocol(self, exc: ProtocolError) -> None:
        self.note(Anomaly("protocol-error", exc.message))
        with contextlib.suppress(Exception):
            self.say.send_reply(421, [f"4.5.0 {self.config.hostname} Error: {exc.message}"[:400]])
        self.close()

    def fail_internal(self, exc: BaseException) -> None:
        self.host.emit(
            {
                "event": "error",
                "session": self.state.id,
                "client": self.state.client,
                "detail": scrub_detail(f"{type(exc).__name__}: {exc}"),
            }
        )
        with contextlib.suppress(Exception):
            self.say.send_reply(421, ["4.3.0 Internal error, closing connection"])
        self.close()

    # -- deadlines -----------------------------------------------------------------
    def check_timeouts(self, now: float) -> None:
        """Called by the server's periodic tick (one timer for all sessions)."""
        if self._closed or self.busy:
            return
        partial = self.partial_since
        reason = overdue(
            self.config.limits,
            self.state.transaction,
            now - self.last_activity,
            None if partial is None else now - partial,
        )
        if reason is not None:
            self.note(Anomaly("timeout", reason))
            with contextlib.suppress(Exception):
                self.say.say("timeout")
            self.close()


def tls_facts(transport: asyncio.BaseTransport) -> dict[str, Any] | None:
    ssl_object: ssl.SSLObject | None = transport.get_extra_info("ssl_object")
    if ssl_object is None:
        return None
    cipher = ssl_object.cipher()
    return {"version": ssl_object.version(), "cipher": cipher[0] if cipher else None}
