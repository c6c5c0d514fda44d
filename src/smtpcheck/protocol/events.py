"""Events and values exchanged with the sans-IO connections (small frozen dataclasses).

Client side: `Command` goes out, `Reply` comes in; every `Reply` says what it answers
(`ReplyTo`). The server side's events are in `server_events`. `NEED_DATA` and
`CONNECTION_CLOSED` are sentinels, compared with `is`. Anything odd the peer did is kept
as an `Anomaly` on the event that carried it.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from smtpcheck.protocol.errors import LocalProtocolError

CRLF = b"\r\n"


class Sentinel(enum.Enum):
    """The type of `NEED_DATA` and `CONNECTION_CLOSED` (usable in annotations)."""

    NEED_DATA = "NEED_DATA"
    CONNECTION_CLOSED = "CONNECTION_CLOSED"

    def __repr__(self) -> str:
        return self.value


NEED_DATA = Sentinel.NEED_DATA
CONNECTION_CLOSED = Sentinel.CONNECTION_CLOSED


class AnomalyKind(enum.StrEnum):
    """Every `Anomaly.kind` this package emits (a `str`, so plain strings compare equal)."""

    # what a server sent us (client role)
    BARE_LF = "bare-lf"
    BARE_CR = "bare-cr"
    MIXED_CODES = "mixed-codes"
    LONG_LINE = "long-line"
    EIGHT_BIT = "eight-bit"
    NUL = "nul"
    EMPTY_LAST_LINE = "empty-last-line"
    NO_SEPARATOR = "no-separator"
    UNKNOWN_CODE = "unknown-code"
    ENHANCED_STATUS_MISMATCH = "enhanced-status-mismatch"
    UNSOLICITED_REPLY = "unsolicited-reply"
    TRUNCATED = "truncated"
    BUFFERED_AFTER_STARTTLS = "buffered-after-starttls"
    # what a client sent us (server role)
    BARE_LF_IN_DATA = "bare-lf-in-data"
    BARE_CR_IN_DATA = "bare-cr-in-data"
    LONG_LINE_IN_DATA = "long-line-in-data"
    SMUGGLING_EOD = "smuggling-eod"
    COMMAND_BEFORE_GREETING = "command-before-greeting"
    UNADVERTISED_PIPELINING = "unadvertised-pipelining"
    IMPROPER_PIPELINING = "improper-pipelining"
    EIGHT_BIT_WITHOUT_8BITMIME = "eight-bit-without-8bitmime"
    SPACE_AFTER_COLON = "space-after-colon"
    NO_ANGLE_BRACKETS = "no-angle-brackets"
    BAD_ARGUMENT = "bad-argument"
    UNADVERTISED_EXTENSION = "unadvertised-extension"
    LEADING_WHITESPACE = "leading-whitespace"


class ReplyTo(enum.StrEnum):
    """What a reply answers: an SMTP command, or a turn of the dialogue that is not one.

    The state tables of both roles are keyed by it (as h11 keys its tables by event
    class). A command's member has the verb as its value (`ReplyTo.MAIL == "MAIL"`); the
    other members are the greeting, a line sent after a 334 (`AUTH_RESPONSE`), the end of
    the message after DATA (`END_OF_DATA`), a `BDAT n LAST` chunk (`BDAT_LAST`: it ends
    the message too), an over-long line (server role) and any command this package has
    no table entry for (`OTHER`, e.g. XCLIENT sent with `commands.raw`).
    """

    GREETING = "greeting"
    EHLO = "EHLO"
    HELO = "HELO"
    LHLO = "LHLO"
    MAIL = "MAIL"
    RCPT = "RCPT"
    DATA = "DATA"
    BDAT = "BDAT"
    RSET = "RSET"
    NOOP = "NOOP"
    QUIT = "QUIT"
    STARTTLS = "STARTTLS"
    AUTH = "AUTH"
    VRFY = "VRFY"
    EXPN = "EXPN"
    HELP = "HELP"
    AUTH_RESPONSE = "AUTH response"
    END_OF_DATA = "end of data"
    BDAT_LAST = "BDAT LAST"
    LINE_TOO_LONG = "over-long line"
    OTHER = "other command"

    @property
    def is_command(self) -> bool:
        """True for a command verb the tables know (its value is the verb)."""
        return self.value in _COMMAND_VERBS

    @property
    def ends_message(self) -> bool:
        """True for the end of a message: the final dot or the BDAT LAST chunk."""
        return self is ReplyTo.END_OF_DATA or self is ReplyTo.BDAT_LAST

    @classmethod
    def of_verb(cls, verb: str) -> ReplyTo:
        """The member of a command verb (any case); `OTHER` for a verb not in the tables."""
        return _COMMAND_VERBS.get(verb.upper(), cls.OTHER)


_NOT_COMMANDS = frozenset(
    {
        ReplyTo.GREETING,
        ReplyTo.AUTH_RESPONSE,
        ReplyTo.END_OF_DATA,
        ReplyTo.BDAT_LAST,
        ReplyTo.LINE_TOO_LONG,
        ReplyTo.OTHER,
    }
)
_COMMAND_VERBS: dict[str, ReplyTo] = {
    member.value: member for member in ReplyTo if member not in _NOT_COMMANDS
}


@dataclass(frozen=True, slots=True)
class Anomaly:
    """Something the peer did that works but that a diagnostic tool should report."""

    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}"


_ENHANCED_RE = re.compile(r"([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")


@dataclass(frozen=True, slots=True)
class EnhancedStatus:
    """An RFC 3463 enhanced status code `class.subject.detail`, e.g. 5.1.1."""

    klass: int
    subject: int
    detail: int

    def __str__(self) -> str:
        return f"{self.klass}.{self.subject}.{self.detail}"

    @classmethod
    def parse(cls, text: str) -> EnhancedStatus | None:
        """The code at the start of `text` ("5.1.1 User unknown"), or None."""
        match = _ENHANCED_RE.match(text)
        if match is None:
            return None
        end = match.end()
        if end < len(text) and not text[end].isspace():
            return None
        return cls(int(match[1]), int(match[2]), int(match[3]))


@dataclass(frozen=True, slots=True)
class Reply:
    """One complete SMTP reply (all its lines), as received or as to be sent.

    `lines` hold the text after `CODE-`/`CODE ` of each line, the enhanced code still
    included. `command` is what this reply answers (`ReplyTo.GREETING`, `ReplyTo.MAIL`,
    `ReplyTo.END_OF_DATA`...), filled by `ClientConnection`; None for a reply that no
    command awaited (`unsolicited`) and for a reply built to be sent.
    """

    code: int
    lines: tuple[str, ...]
    enhanced_status: EnhancedStatus | None
    raw: bytes
    anomalies: tuple[Anomaly, ...] = ()
    command: ReplyTo | None = None

    @classmethod
    def build(cls, code: int, *lines: str, command: ReplyTo | None = None) -> Reply:
        """A reply to send: `Reply.build(250, "2.1.0 Ok")`; the wire form goes in `raw`."""
        texts = lines or ("",)
        enhanced = EnhancedStatus.parse(texts[0])
        raw = format_reply(code, texts)
        return cls(code, tuple(texts), enhanced, raw, (), command)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def unsolicited(self) -> bool:
        """True when no command awaited this reply: it arrived before the command it could
        answer was sent (e.g. together with the greeting), or when nothing was awaited.
        The client connection does not let it answer a later command."""
        return any(anomaly.kind == AnomalyKind.UNSOLICITED_REPLY for anomaly in self.anomalies)

    @property
    def klass(self) -> int:
        return self.code // 100

    @property
    def is_success(self) -> bool:
        return self.klass == 2

    @property
    def is_intermediate(self) -> bool:
        return self.klass == 3

    @property
    def is_transient(self) -> bool:
        return self.klass == 4

    @property
    def is_permanent(self) -> bool:
        return self.klass == 5


def format_reply(code: int, lines: tuple[str, ...] | list[str]) -> bytes:
    """The wire form of a reply: `250-a`, `250-b`, `250 c`; a `""` text gives `250`."""
    if not 100 <= code <= 599:
        raise LocalProtocolError(f"reply code {code} is not a 3-digit code 100-599")
    texts = list(lines) or [""]
    out = []
    last = len(texts) - 1
    for index, text in enumerate(texts):
        if "\r" in text or "\n" in text or "\0" in text:
            raise LocalProtocolError(f"reply text contains CR, LF or NUL: {text[:60]!r}")
        if index < last:
            out.append(f"{code}-{text}\r\n")
        elif text:
            out.append(f"{code} {text}\r\n")
        else:
            out.append(f"{code}\r\n")
    return "".join(out).encode("utf-8")


@dataclass(frozen=True, slots=True)
class Command:
    """A command a client sends. Build it with `protocol.commands`, which validates.

    `line`, when set (only by `commands.raw`), is sent verbatim instead of
    `verb argument`. A `verb` of `""` is a bare line (an AUTH continuation).
    """

    verb: str
    argument: str = ""
    secret: bool = False
    line: str | None = None

    def _text(self) -> str:
        if self.line is not None:
            return self.line
        if not self.verb:
            return self.argument
        return f"{self.verb} {self.argument}" if self.argument else self.verb

    def to_bytes(self) -> bytes:
        """The wire form, CRLF included."""
        text = self._text()
        if self.line is not None and text.endswith("\n"):
            return text.encode("utf-8", "surrogateescape")
        return text.encode("utf-8", "surrogateescape") + CRLF

    def redacted(self) -> bytes:
        """The wire form for transcripts: secrets replaced by `<redacted>`.

        For AUTH the mechanism stays visible (`AUTH PLAIN <redacted>`).
        """
        if not self.secret:
            return self.to_bytes()
        if self.verb == "AUTH":
            mechanism, _, rest = self.argument.partition(" ")
            text = f"AUTH {mechanism} <redacted>" if rest else f"AUTH {mechanism}"
        elif self.verb:
            text = f"{self.verb} <redacted>"
        else:
            text = "<redacted>"
        return text.encode("utf-8") + CRLF
