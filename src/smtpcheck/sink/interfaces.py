"""The narrow interfaces the parts of the sink meet through (typed Protocols).

A session reaches its server only through `SinkHost` (not the whole `SinkServer`), the
store only through a `Committer`, and the dialogue reaches the connection only through
`Link`: each part can be read, typed and tested on its own.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Protocol

from smtpcheck.protocol.events import Anomaly, Reply

if TYPE_CHECKING:
    from smtpcheck.sink.auth import Authenticator
    from smtpcheck.sink.config import SinkConfig
    from smtpcheck.sink.store import Envelope, SessionRecord

#: what a handler returns: a coroutine the session runs (its reply must wait), or None
Pending = Coroutine[Any, Any, object] | None
#: the live-event listener (the terminal view, tests)
EventListener = Callable[[dict[str, Any]], None]
#: a committer's answer: None once the message is durable, else the error
Done = Callable[[BaseException | None], None]


class Committer(Protocol):
    """The store's single writer (sink/commit.py, sink/writer.py)."""

    def submit(self, envelope: Envelope, done: Done) -> None: ...

    def record_session(self, record: SessionRecord) -> None: ...


class ServedSession(Protocol):
    """What the server does with its open sessions."""

    def check_timeouts(self, now: float) -> None: ...

    def shutdown(self) -> None: ...


class SinkHost(Protocol):
    """What a session needs of its server: settings, credentials, TLS, store, events."""

    @property
    def config(self) -> SinkConfig: ...

    @property
    def authenticator(self) -> Authenticator: ...

    @property
    def tls_context(self) -> ssl.SSLContext | None: ...

    @property
    def committer(self) -> Committer | None: ...

    @property
    def on_event(self) -> EventListener | None: ...

    @property
    def sessions(self) -> set[ServedSession]: ...

    def emit(self, event: dict[str, Any]) -> None: ...


class Link(Protocol):
    """What the dialogue may ask of the connection (implemented by `SinkSession`)."""

    @property
    def closed(self) -> bool: ...

    def send_event(self, reply: Reply) -> None:
        """Send a reply through the protocol core (in order with the others)."""

    def write_raw(self, data: bytes) -> bool:
        """Write bytes as they are (a tarpit's dribble, a TLS alert); False if closed."""

    def close(self) -> None: ...

    def run_async(self, coro: Coroutine[Any, Any, object]) -> None:
        """Run `coro`; no further event is handled until it is done."""

    def hold(self) -> None:
        """Handle no further event until `release` (a reply waits for the store)."""

    def release(self) -> None:
        """Handle events again (after `hold`)."""

    def note(self, anomaly: Anomaly, secret: bool = False) -> None:
        """Record an anomaly; `secret`: it came with AUTH bytes (its detail is hidden)."""

    def emit(self, event: dict[str, Any]) -> None:
        """A live event about this session (client and session id are added)."""

    @property
    def listening(self) -> bool:
        """Whether anyone listens to live events (if not, build none)."""

    def hold_input(self) -> None:
        """Stop reading (before STARTTLS: the ClientHello is for the TLS layer)."""

    def resume_input(self) -> None: ...

    async def upgrade_to_tls(self) -> dict[str, Any] | None:
        """Run the server side of the TLS handshake; the TLS facts, or None (closed)."""
