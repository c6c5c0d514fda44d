"""Protocol errors, named by whose fault they are.

`LocalProtocolError` means we misused the connection (a command in the wrong state, an
argument that would inject CR/LF). `RemoteProtocolError` means the peer broke the
protocol (garbage instead of a reply code, a line beyond our bounds). Both carry a
single-line message that is safe to print.
"""

from __future__ import annotations

import enum

#: how many bytes of offending input an error message quotes
QUOTE_LIMIT = 60


def quote_bytes(data: bytes, limit: int = QUOTE_LIMIT) -> str:
    """`data` as a repr-escaped, truncated literal, for one-line messages."""
    if len(data) > limit:
        return repr(data[:limit]) + f"... ({len(data)} bytes)"
    return repr(data)


class ProtocolError(Exception):
    """Base class: the SMTP exchange cannot go on as asked."""

    def __init__(self, message: str) -> None:
        # Messages end up in one-line logs and transcripts: never let them span lines.
        one_line = " ".join(message.splitlines())
        super().__init__(one_line)
        self.message = one_line


class LocalProtocolError(ProtocolError):
    """We (the caller of this library) broke the rules: wrong state or a bad argument."""


class RemoteProtocolError(ProtocolError):
    """The peer broke the protocol: garbage instead of a reply, a line over the bounds."""


class Bound(enum.Enum):
    """The bounds a peer can exceed (see docs/protocol-contract.md, "Bounds")."""

    LINE = "line"
    REPLY_SIZE = "whole reply"
    REPLY_LINES = "reply lines"


class BoundExceeded(RemoteProtocolError):
    """The peer sent more than a bound allows; `bound` says which, `limit` its value."""

    def __init__(self, bound: Bound, limit: int, message: str) -> None:
        super().__init__(message)
        self.bound = bound
        self.limit = limit
