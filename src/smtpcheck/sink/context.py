"""What every part of a session's dialogue works with, handed over as one object.

`SessionContext` bundles the session's state, the connection (`Link`), the protocol
core, the server (`SinkHost`) and the `Responder`: the dialogue and its parts
(sink/dialogue.py, dialogue_auth.py, dialogue_message.py) each receive it explicitly,
as aiosmtpd's handlers receive `server, session, envelope`.
"""

from __future__ import annotations

from dataclasses import dataclass

from smtpcheck.protocol.server import ServerConnection
from smtpcheck.sink.config import SinkConfig
from smtpcheck.sink.interfaces import Link, SinkHost
from smtpcheck.sink.responder import Responder
from smtpcheck.sink.state import SessionState


@dataclass(frozen=True, slots=True)
class SessionContext:
    """One session's state and the objects its dialogue acts through."""

    state: SessionState
    link: Link
    conn: ServerConnection
    host: SinkHost
    say: Responder

    @property
    def config(self) -> SinkConfig:
        return self.host.config
