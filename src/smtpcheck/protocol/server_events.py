"""The events a server-role connection returns (small frozen dataclasses).

They live apart from `events` so that a client (`send`, `console`) never pays for
creating these classes at start-up; `smtpcheck.protocol.events` still exports them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from smtpcheck.protocol.events import Anomaly


@dataclass(frozen=True, slots=True)
class ClientCommand:
    """A command line received by the server.

    `verb` is upper-cased; `""` means the line was over the length bound (answer
    `500 5.5.6 Line too long`; `raw` then holds only its start). `address` is the path
    of MAIL FROM / RCPT TO (without brackets; `""` for `<>`), `params` their ESMTP
    parameters (upper-cased keywords).
    """

    verb: str
    argument: str
    raw: bytes
    address: str | None = None
    params: dict[str, str | None] = field(default_factory=dict)
    anomalies: tuple[Anomaly, ...] = ()


@dataclass(frozen=True, slots=True)
class AuthResponse:
    """A line received while an AUTH exchange is open (after the server sent 334)."""

    text: str
    raw: bytes
    anomalies: tuple[Anomaly, ...] = ()


@dataclass(frozen=True, slots=True)
class MessageData:
    """Message content as it arrives (DATA: already dot-unstuffed; BDAT: as sent)."""

    data: bytes


@dataclass(frozen=True, slots=True)
class ChunkEnd:
    """A BDAT chunk without LAST was read completely: reply to it now."""

    size: int


@dataclass(frozen=True, slots=True)
class MessageEnd:
    """The end of the message (the final dot, or the end of the BDAT LAST chunk)."""

    anomalies: tuple[Anomaly, ...] = ()
