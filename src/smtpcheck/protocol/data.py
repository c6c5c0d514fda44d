"""Message content on the wire: CRLF normalisation, dot-stuffing and its reverse.

Sending (client): `encode_message` turns any body into the DATA wire form: bare LF and
bare CR become CRLF, every line starting with "." gets a second one (the first line
too), the body ends with CRLF, then `.` CRLF. `bdat_frame` frames a BDAT chunk (octet
count, no stuffing).

Receiving (server): `DotReader` finds the end of data and unstuffs incrementally with
`bytes.find`/`replace`, never a per-byte loop. Only `<CRLF>.<CRLF>` ends a message (as
Postfix does): look-alikes such as `<LF>.<LF>`, `<CR>.<CR>` or `<CRLF>.<LF>` stay in
the content and are recorded as `smuggling-eod` anomalies (the SMTP smuggling class of
attack relies on two servers disagreeing about where a message ends).
`LineEndingStats` counts bare LF / bare CR even when a CRLF is split across reads.
"""

from __future__ import annotations

import re

from smtpcheck.protocol.events import Anomaly, AnomalyKind

EOD = b"\r\n.\r\n"
#: RFC 5321 4.5.3.1.6: a text line is at most 1000 octets, CRLF included
RFC_TEXT_LINE_LIMIT = 1000
_EOD_PREFIXES = (b"\r\n.\r", b"\r\n.", b"\r\n", b"\r")
_LOOKALIKE_EOD = re.compile(rb"(?:\r\n|\r|\n)\.(?:\r\n|\r|\n)")
#: the content of a line over the limit (its LF makes it RFC_TEXT_LINE_LIMIT + 1)
_LONG_RUN = re.compile(rb"^[^\n]{%d,}" % RFC_TEXT_LINE_LIMIT, re.MULTILINE)


def normalize_line_endings(body: bytes) -> bytes:
    """Bare LF and bare CR become CRLF; existing CRLF stay."""
    if b"\r" not in body:
        return body.replace(b"\n", b"\r\n")
    return body.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", b"\r\n")


def dot_stuff(body: bytes) -> bytes:
    """Double the leading dot of every line, the first line included (CRLF lines)."""
    stuffed = body.replace(b"\r\n.", b"\r\n..")
    return b"." + stuffed if stuffed.startswith(b".") else stuffed


def dot_unstuff(content: bytes) -> bytes:
    """The reverse of `dot_stuff` for complete CRLF content starting at a line start."""
    unstuffed = content.replace(b"\r\n.", b"\r\n")
    return unstuffed[1:] if unstuffed.startswith(b".") else unstuffed


def encode_message(body: bytes) -> bytes:
    """The DATA wire form of `body`: normalised, stuffed, ended by CRLF `.` CRLF."""
    normalized = normalize_line_endings(body)
    if normalized and not normalized.endswith(b"\r\n"):
        normalized += b"\r\n"
    return dot_stuff(normalized) + b".\r\n"


def bdat_frame(chunk: bytes, last: bool = False) -> bytes:
    """`BDAT <n> [LAST]` CRLF followed by the chunk, unchanged."""
    head = f"BDAT {len(chunk)} LAST\r\n" if last else f"BDAT {len(chunk)}\r\n"
    return head.encode("ascii") + chunk


class LineEndingStats:
    """Counts bare LF, bare CR and over-long lines in content fed in arbitrary pieces."""

    def __init__(self) -> None:
        self.bare_lf = 0
        self.bare_cr = 0
        self.longest_line = 0
        self.eight_bit = False
        self._pending_cr = False  # the previous piece ended with CR
        self._line_length = 0  # octets of the current line so far

    def feed(self, data: bytes) -> None:
        if not data:
            return
        crlf = data.count(b"\r\n")
        lf = data.count(b"\n")
        cr = data.count(b"\r")
        if self._pending_cr:
            if data[0] == 0x0A:  # the CRLF straddled two pieces
                lf -= 1
            else:
                self.bare_cr += 1
        ends_cr = data[-1] == 0x0D
        self.bare_lf += lf - crlf
        self.bare_cr += cr - crlf - (1 if ends_cr else 0)
        self._pending_cr = ends_cr
        if not self.eight_bit and not data.isascii():
            self.eight_bit = True
        self._measure(data)

    def _measure(self, data: bytes) -> None:
        first = data.find(b"\n")
        if first < 0:
            self._line_length += len(data)
            self.longest_line = max(self.longest_line, self._line_length)
            return
        self.longest_line = max(self.longest_line, self._line_length + first + 1)
        last = data.rfind(b"\n")
        if last - first > RFC_TEXT_LINE_LIMIT:
            # a regex scan, not a Python loop over lines: this runs on every message
            for match in _LONG_RUN.finditer(data, first + 1, last):
                self.longest_line = max(self.longest_line, len(match[0]) + 1)
        self._line_length = len(data) - last - 1

    def finish(self) -> list[Anomaly]:
        """Close the content (a trailing CR is bare) and return what was seen."""
        if self._pending_cr:
            self.bare_cr += 1
            self._pending_cr = False
        self.longest_line = max(self.longest_line, self._line_length)
        found = []
        if self.bare_lf:
            found.append(
                Anomaly(AnomalyKind.BARE_LF_IN_DATA, f"{self.bare_lf} bare LF in the message")
            )
        if self.bare_cr:
            found.append(
                Anomaly(AnomalyKind.BARE_CR_IN_DATA, f"{self.bare_cr} bare CR in the message")
            )
        if self.longest_line > RFC_TEXT_LINE_LIMIT:
            found.append(
                Anomaly(
                    AnomalyKind.LONG_LINE_IN_DATA,
                    f"a line of {self.longest_line} octets (RFC 5321 limit: 1000)",
                )
            )
        return found


class DotReader:
    """Reads DATA content: unstuffs, finds `<CRLF>.<CRLF>`, notes look-alike endings.

    `process(buffer)` looks at the bytes available and returns `(content, consumed,
    ended)`: the unstuffed content that can be released, how many bytes of `buffer` it
    used, and whether the end of data was reached. At most four bytes (a possible start
    of the end marker) are left unconsumed, so nothing accumulates.
    """

    def __init__(self) -> None:
        self.stats = LineEndingStats()
        self.lookalikes: list[bytes] = []
        self._at_start = True
        self._context = b"\r\n"  # the last raw bytes released (the DATA line's CRLF)

    def process(self, buffer: bytes | bytearray) -> tuple[bytes, int, bool]:
        if self._at_start:
            if buffer[:3] == b".\r\n":
                self._inspect(b"")
                return b"", 3, True
            if len(buffer) < 3 and b".\r\n".startswith(buffer):
                return b"", 0, False
        end = buffer.find(EOD)
        if end >= 0:
            raw = bytes(buffer[: end + 2])
            consumed = end + 5
            ended = True
        else:
            keep = 0
            for prefix in _EOD_PREFIXES:
                if buffer.endswith(prefix):
                    keep = len(prefix)
                    break
            raw = bytes(buffer[: len(buffer) - keep])
            consumed = len(raw)
            ended = False
        if not raw:
            return b"", consumed, ended
        self._inspect(raw)
        if self._at_start:
            content = dot_unstuff(raw)
            self._at_start = False
        else:
            content = raw.replace(b"\r\n.", b"\r\n")
        return content, consumed, ended

    def _inspect(self, raw: bytes) -> None:
        self.stats.feed(raw)
        if len(self.lookalikes) < 5:
            # a look-alike straddling the previous piece and this one
            for seam in _LOOKALIKE_EOD.finditer(self._context + raw[:4]):
                if seam.start() < len(self._context) < seam.end():
                    self.lookalikes.append(seam[0])
            # cheap pre-check: a look-alike needs a line break right before a dot
            if b"\n." in raw or b"\r." in raw:
                self.lookalikes.extend(m[0] for m in _LOOKALIKE_EOD.finditer(raw))
        self._context = (self._context + raw[-4:])[-4:]

    def finish(self) -> list[Anomaly]:
        """Anomalies of the whole message, once the end was found."""
        found = self.stats.finish()
        if self.lookalikes:
            shown = ", ".join(sorted({repr(x) for x in self.lookalikes}))
            found.append(
                Anomaly(
                    AnomalyKind.SMUGGLING_EOD,
                    f"non-standard end-of-data look-alike in the content: {shown} "
                    "(only CRLF.CRLF ends the message here; other servers may disagree)",
                )
            )
        return found
