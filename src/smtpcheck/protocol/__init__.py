"""Sans-IO SMTP: bytes in, events out; events in, bytes out. No sockets, no clocks.

See docs/protocol-contract.md for the interface other layers build on. This package
exports the client role and the values both roles share; the server role is imported
from its modules (`protocol.server`, `protocol.server_events`), so a client never loads it.
"""

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
from smtpcheck.protocol.errors import (
    Bound,
    BoundExceeded,
    LocalProtocolError,
    ProtocolError,
    RemoteProtocolError,
)
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

__all__ = [
    "CONNECTION_CLOSED",
    "NEED_DATA",
    "Anomaly",
    "AnomalyKind",
    "Bound",
    "BoundExceeded",
    "ClientConnection",
    "ClientState",
    "Command",
    "DotReader",
    "EhloInfo",
    "EnhancedStatus",
    "LocalProtocolError",
    "ProtocolError",
    "RemoteProtocolError",
    "Reply",
    "ReplyReader",
    "ReplyTo",
    "Sentinel",
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
