"""The events a server-role connection returns (small frozen dataclasses).

What a client sent, as the server role reads it: commands, AUTH continuation lines,
message content and its end, and over-long lines. The values both roles share
(`Reply`, `Anomaly`, `ReplyTo`...) are in `events`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from smtpcheck.protocol.events import Anomaly


@dataclass(frozen=True, slots=True)
class ClientCommand:
    """A command line received by the server.

    `verb` is the first word, upper-cased (leading blanks skipped, noted as an anomaly).
    `address` is the path of MAIL FROM / RCPT TO (without brackets; `""` for `<>`; None
    when the argument cannot be understood), `params` their ESMTP parameters (upper-cased
    keywords). `syntax_error`, when set, says why the argument is malformed (a NUL or CR
    in it, an unreadable path): answer 501 with it, never echo the argument.
    """

    verb: str
    argument: str
    raw: bytes
    address: str | None = None
    params: dict[str, str | None] = field(default_factory=dict)
    anomalies: tuple[Anomaly, ...] = ()
    syntax_error: str | None = None


@dataclass(frozen=True, slots=True)
class LineTooLong:
    """A line longer than the server's `max_line_length`: answer it (500 5.5.6).

    `start` holds its first 64 octets; the rest is discarded as it arrives.
    """

    start: bytes
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
    """A BDAT chunk without LAST was read completely: reply to it now.

    `oversized`: the message exceeds the server's `max_message_size` (declared by the BDAT
    sizes); the chunk was discarded as it arrived, not returned as `MessageData`.
    """

    size: int
    oversized: bool = False


@dataclass(frozen=True, slots=True)
class MessageEnd:
    """The end of the message (the final dot, or the end of the BDAT LAST chunk).

    `oversized` as for `ChunkEnd`: refuse the message (552), its content was discarded.
    """

    anomalies: tuple[Anomaly, ...] = ()
    oversized: bool = False
