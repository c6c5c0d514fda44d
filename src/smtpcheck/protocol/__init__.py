"""Sans-IO SMTP: bytes in, events out; events in, bytes out. No sockets, no clocks.

See docs/protocol-contract.md for the interface other layers build on.
"""

from typing import TYPE_CHECKING, Any

from smtpcheck.protocol import commands
from smtpcheck.protocol.client import ClientConnection
from smtpcheck.protocol.commands import xtext, xtext_decode
from smtpcheck.protocol.data import (
    DotReader,
    bdat_frame,
    dot_stuff,
    dot_unstuff,
    encode_message,
    normalize_line_endings,
)
from smtpcheck.protocol.ehlo import EhloInfo, parse_ehlo
from smtpcheck.protocol.errors import LocalProtocolError, ProtocolError, RemoteProtocolError
from smtpcheck.protocol.events import (
    CONNECTION_CLOSED,
    NEED_DATA,
    Anomaly,
    AnomalyKind,
    Command,
    EnhancedStatus,
    Reply,
    ReplyTo,
    Sentinel,
)
from smtpcheck.protocol.replies import ReplyReader
from smtpcheck.protocol.states import ClientState, ServerState, SessionStage

if TYPE_CHECKING:
    from smtpcheck.protocol.server import ServerConnection, ServerEvent
    from smtpcheck.protocol.server_events import (
        AuthResponse,
        ChunkEnd,
        ClientCommand,
        LineTooLong,
        MessageData,
        MessageEnd,
    )

_SERVER_EVENTS = frozenset(
    {"AuthResponse", "ChunkEnd", "ClientCommand", "LineTooLong", "MessageData", "MessageEnd"}
)


def __getattr__(name: str) -> Any:
    # The server role is loaded on first use: clients (send, console) never pay for it.
    if name in ("ServerConnection", "ServerEvent"):
        from smtpcheck.protocol import server

        return getattr(server, name)
    if name in _SERVER_EVENTS:
        from smtpcheck.protocol import server_events

        return getattr(server_events, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CONNECTION_CLOSED",
    "NEED_DATA",
    "Anomaly",
    "AnomalyKind",
    "AuthResponse",
    "ChunkEnd",
    "ClientCommand",
    "ClientConnection",
    "ClientState",
    "Command",
    "DotReader",
    "EhloInfo",
    "EnhancedStatus",
    "LineTooLong",
    "LocalProtocolError",
    "MessageData",
    "MessageEnd",
    "ProtocolError",
    "RemoteProtocolError",
    "Reply",
    "ReplyReader",
    "ReplyTo",
    "Sentinel",
    "ServerConnection",
    "ServerEvent",
    "ServerState",
    "SessionStage",
    "bdat_frame",
    "commands",
    "dot_stuff",
    "dot_unstuff",
    "encode_message",
    "normalize_line_endings",
    "parse_ehlo",
    "xtext",
    "xtext_decode",
]
