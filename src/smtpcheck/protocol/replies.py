"""The reply parser: bytes from a server in, complete `Reply` values out.

Tolerant where real servers are sloppy (bare LF, a bare `250`, a code that changes inside
a multi-line reply): each oddity is recorded as an `Anomaly` on the reply. Strict where
tolerance would be dangerous: a line longer than `max_line_length` (even one that never
ends), a reply longer than `max_reply_size` octets or with more than `max_reply_lines`
lines raises `BoundExceeded` (a `RemoteProtocolError` naming the bound), so an unfinished
reply never holds more than `max_reply_size` bytes, however the data is split.
"""

from __future__ import annotations

from smtpcheck.protocol.errors import Bound, BoundExceeded, RemoteProtocolError, quote_bytes
from smtpcheck.protocol.events import Anomaly, AnomalyKind, EnhancedStatus, Reply

DEFAULT_MAX_LINE_LENGTH = 8192
DEFAULT_MAX_REPLY_LINES = 1000
#: a whole reply, all its lines, CRLF included (h11 keeps one incomplete event < 16 KiB)
DEFAULT_MAX_REPLY_SIZE = 64 * 1024
#: the reply to EHLO/LHLO lists extensions: the only reply allowed to be longer
DEFAULT_MAX_EHLO_REPLY_SIZE = 256 * 1024
#: RFC 5321 4.5.3.1.5: a reply line is at most 512 octets, CRLF included
RFC_REPLY_LINE_LIMIT = 512

_DIGITS = frozenset(b"0123456789")


class ReplyReader:
    """Incremental reply parser with hard bounds (see the module docstring)."""

    def __init__(
        self,
        max_line_length: int = DEFAULT_MAX_LINE_LENGTH,
        max_reply_lines: int = DEFAULT_MAX_REPLY_LINES,
        max_reply_size: int = DEFAULT_MAX_REPLY_SIZE,
    ) -> None:
        if max_line_length < 8 or max_reply_lines < 1 or max_reply_size < max_line_length:
            raise ValueError(
                "max_line_length must be >= 8, max_reply_lines >= 1 and "
                "max_reply_size >= max_line_length"
            )
        self.max_line_length = max_line_length
        self.max_reply_lines = max_reply_lines
        self.max_reply_size = max_reply_size
        self._buffer = bytearray()
        self._raw: list[bytes] = []  # lines of the reply being read
        self._raw_size = 0  # octets in `_raw`
        self._consumed = 0  # stream offset of `_buffer[0]`
        self._reply_start = 0  # stream offset of the first octet of the current reply
        self._codes: list[int] = []
        self._texts: list[str] = []
        self._anomalies: dict[str, Anomaly] = {}
        self._error: RemoteProtocolError | None = None

    @property
    def max_buffered(self) -> int:
        """The most bytes kept after `next_reply` returned None (with the default bound)."""
        return self.max_reply_size

    @property
    def buffered_bytes(self) -> int:
        """Bytes held: the unparsed buffer plus the lines of an unfinished reply."""
        return len(self._buffer) + self._raw_size

    @property
    def reply_start(self) -> int:
        """Stream offset (octets received before it) of the reply last returned."""
        return self._reply_start

    @property
    def in_reply(self) -> bool:
        """True when part of a reply has been received but not its last line."""
        return bool(self._buffer) or bool(self._raw)

    def receive_data(self, data: bytes) -> None:
        self._buffer += data

    def take_buffered(self) -> bytes:
        """Remove and return everything held (used when TLS starts)."""
        data = b"".join(self._raw) + bytes(self._buffer)
        self._consumed += len(self._buffer)
        self._buffer.clear()
        self._reset()
        return data

    def _reset(self) -> None:
        self._raw = []
        self._raw_size = 0
        self._codes = []
        self._texts = []
        self._anomalies = {}

    def _note(self, kind: str, detail: str) -> None:
        if kind not in self._anomalies:
            self._anomalies[kind] = Anomaly(kind, detail)

    def _fail(self, error: RemoteProtocolError) -> RemoteProtocolError:
        self._error = error
        self._buffer.clear()
        self._reset()
        return error

    def next_reply(self, max_size: int | None = None, answering: str = "") -> Reply | None:
        """The next complete reply, or None if more data is needed.

        `max_size` replaces `max_reply_size` for this reply (the client allows more for
        the reply to EHLO); `answering` names what it answers, for error messages.
        """
        if self._error is not None:
            raise self._error
        buffer = self._buffer
        limit = self.max_line_length
        size_limit = self.max_reply_size if max_size is None else max_size
        while True:
            end = buffer.find(b"\n", 0, limit)
            if end < 0:
                if len(buffer) >= limit:
                    raise self._fail(
                        BoundExceeded(
                            Bound.LINE,
                            limit,
                            f"reply line longer than {limit} octets with no end of line "
                            f"(the bound on a reply line): {quote_bytes(bytes(buffer))}",
                        )
                    )
                if self._raw_size + len(buffer) > size_limit:
                    raise self._fail(self._too_big(size_limit, answering))
                return None
            line = bytes(buffer[: end + 1])
            if not self._raw:
                self._reply_start = self._consumed
            del buffer[: end + 1]
            self._consumed += end + 1
            if self._raw_size + len(line) > size_limit:
                raise self._fail(self._too_big(size_limit, answering))
            if self._take_line(line, answering):
                return self._finish()

    def _too_big(self, size_limit: int, answering: str) -> BoundExceeded:
        to = f" to {answering}" if answering else ""
        return BoundExceeded(
            Bound.REPLY_SIZE,
            size_limit,
            f"reply{to} longer than {size_limit} octets (the bound on a whole reply{to}); "
            f"{len(self._raw)} lines received",
        )

    def _take_line(self, line: bytes, answering: str = "") -> bool:
        """Parse one line of a reply; True if it was the last line."""
        number = len(self._raw) + 1
        if number > self.max_reply_lines:
            to = f" to {answering}" if answering else ""
            raise self._fail(
                BoundExceeded(
                    Bound.REPLY_LINES,
                    self.max_reply_lines,
                    f"reply{to} has more than {self.max_reply_lines} lines "
                    "(the bound on reply lines)",
                )
            )
        code_bytes = line[:3]
        if len(code_bytes) < 3 or not _DIGITS.issuperset(code_bytes):
            raise self._fail(
                RemoteProtocolError(f"expected a 3-digit reply code, received {quote_bytes(line)}")
            )
        self._raw.append(line)
        self._raw_size += len(line)
        if line.endswith(b"\r\n"):
            content = line[:-2]
        else:
            content = line[:-1]
            self._note(AnomalyKind.BARE_LF, f"line {number} ends with LF, not CRLF")
        if b"\r" in content:
            self._note(AnomalyKind.BARE_CR, f"line {number} contains a CR not followed by LF")
        if len(line) > RFC_REPLY_LINE_LIMIT:
            self._note(
                AnomalyKind.LONG_LINE,
                f"line {number} is {len(line)} octets (RFC 5321 limit: 512)",
            )
        if not line.isascii():
            self._note(AnomalyKind.EIGHT_BIT, f"line {number} contains 8-bit bytes")
        if b"\0" in line:
            self._note(AnomalyKind.NUL, f"line {number} contains a NUL byte")
        code = int(code_bytes)
        if self._codes and code != self._codes[0]:
            self._note(
                AnomalyKind.MIXED_CODES,
                f"line {number} has code {code}, line 1 had {self._codes[0]}",
            )
        self._codes.append(code)
        separator = content[3:4]
        if separator == b"-":
            self._texts.append(content[4:].decode("utf-8", "replace"))
            return False
        if separator in (b" ", b""):
            self._texts.append(content[4:].decode("utf-8", "replace"))
        else:
            self._note(
                AnomalyKind.NO_SEPARATOR,
                f"line {number}: {quote_bytes(content[:8])} has neither space nor hyphen "
                "after the code",
            )
            self._texts.append(content[3:].decode("utf-8", "replace"))
        return True

    def _finish(self) -> Reply:
        code = self._codes[-1]
        texts = tuple(self._texts)
        if len(texts) > 1 and not texts[-1].strip():
            self._note(AnomalyKind.EMPTY_LAST_LINE, f"the last of {len(texts)} lines has no text")
        if not (2 <= code // 100 <= 5 and code // 10 % 10 <= 5):
            self._note(AnomalyKind.UNKNOWN_CODE, f"{code} is not a RFC 5321 reply code")
        enhanced = EnhancedStatus.parse(texts[0])
        if enhanced is not None and enhanced.klass != code // 100:
            self._note(
                AnomalyKind.ENHANCED_STATUS_MISMATCH,
                f"enhanced status {enhanced} does not match reply code {code}",
            )
        reply = Reply(
            code=code,
            lines=texts,
            enhanced_status=enhanced,
            raw=b"".join(self._raw),
            anomalies=tuple(self._anomalies.values()),
        )
        self._reset()
        return reply
