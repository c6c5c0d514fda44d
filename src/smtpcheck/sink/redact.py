"""Keeping AUTH secrets out of everything the sink writes: transcripts and anomalies.

Every byte a client sends in an AUTH exchange is secret: the initial response on the
command line (`AUTH PLAIN <redacted>`: the mechanism stays visible), every line
answering a 334, and lines a pipelining client sent after its AUTH command without
waiting for the reply. The session tells the transcript's `Redactor` what the client
is doing (`Secrecy`); the redactor also finds AUTH command lines itself, since client
bytes arrive in arbitrary pieces (a telnet user sends one character at a time, a
pipelining client the command and its answer in one write) and are recorded before the
protocol core has parsed them.

Anomaly details may quote client bytes (an over-long line, a line cut by a disconnect,
bytes sent after STARTTLS): `scrub_detail` redacts any quoted AUTH command with
everything after it; a session hides the whole detail of an anomaly met inside an
exchange (`SECRET_DETAIL`).
"""

from __future__ import annotations

import ast
import enum
import re

REDACTED = b"<redacted>"
SECRET_DETAIL = "(in an AUTH exchange: not shown)"
#: `AUTH <mechanism> ` at the start of a line: what follows is the initial response
_AUTH_PREFIX = re.compile(rb"[ \t]*AUTH[ \t]+[^ \t\r\n]+[ \t]+", re.IGNORECASE)
#: an AUTH command line (with or without an initial response)
_AUTH_LINE = re.compile(rb"[ \t]*AUTH(?:[ \t]|\r?\n|\Z)", re.IGNORECASE)
#: an AUTH command and its mechanism, inside quoted bytes
_AUTH_QUOTED = re.compile(rb"(?:^|\n)[ \t]*AUTH(?:[ \t]+[^ \t\r\n]*)?", re.IGNORECASE)
_LINES = re.compile(rb"[^\n]*\n|[^\n]+")
_MAYBE_AUTH = re.compile(rb"AUTH", re.IGNORECASE)
_HEAD_LIMIT = 256  # enough for "AUTH <mechanism> "; longer heads cannot start a secret
#: verbs that end the secrecy after a refused AUTH: the client is sending commands again
COMMAND_VERBS = frozenset(
    {b"EHLO", b"HELO", b"LHLO", b"MAIL", b"RCPT", b"DATA", b"BDAT", b"RSET", b"NOOP"}
    | {b"VRFY", b"EXPN", b"HELP", b"QUIT", b"AUTH", b"STARTTLS"}
)
_BYTES_LITERAL = re.compile(r"b'(?:[^'\\]|\\.)*'" + "|" + r'b"(?:[^"\\]|\\.)*"')


class Secrecy(enum.Enum):
    """What the client's next bytes are, as far as the session knows."""

    NONE = "commands"
    ANSWERS = "answers to a 334: every line is secret"
    EARLY = "after an AUTH: lines are secret until the next command"


class Redactor:
    """Replaces AUTH secrets in client bytes fed in arbitrary chunks."""

    def __init__(self) -> None:
        self._head = b""  # the current line so far (bounded), when no secret started
        self._in_secret = False  # the rest of the current line is secret

    def redact(self, data: bytes, secrecy: Secrecy = Secrecy.NONE) -> bytes:
        """The chunk with secrets replaced, given what the session expects now."""
        if (
            secrecy is Secrecy.NONE
            and not self._in_secret
            and _MAYBE_AUTH.search(data) is None
            and not _may_become_auth(self._head)
        ):  # nothing secret can be in it (a message's content, a flood): no line split
            end = data.rfind(b"\n")
            if end < 0:
                self._head = (self._head + data)[:_HEAD_LIMIT]
            else:
                self._head = data[end + 1 : end + 1 + _HEAD_LIMIT]
            return data
        out: list[bytes] = []
        mode = secrecy
        for segment in _LINES.findall(data):
            ending = _ending(segment)
            content = segment[: len(segment) - len(ending)]
            if self._in_secret:  # the rest of a secret line: already marked
                self._in_secret = not ending
            elif mode is Secrecy.ANSWERS or (mode is Secrecy.EARLY and not _is_command(content)):
                out.append(REDACTED)
                self._in_secret = not ending
            else:
                if mode is Secrecy.EARLY:
                    mode = Secrecy.NONE  # a command: the client is past its AUTH
                line = self._head + content
                match = _AUTH_PREFIX.match(line)
                if match is not None and match.end() < len(line):
                    keep = max(0, match.end() - len(self._head))
                    out.append(content[:keep] + REDACTED)
                    self._in_secret = not ending
                else:
                    out.append(content)
                    if len(self._head) < _HEAD_LIMIT:
                        self._head = line[:_HEAD_LIMIT]
                if ending and _AUTH_LINE.match(line):
                    mode = Secrecy.EARLY  # what follows in this chunk may be its answer
            out.append(ending)
            if ending:
                self._head = b""
        return b"".join(out)


def _ending(segment: bytes) -> bytes:
    if segment.endswith(b"\r\n"):
        return b"\r\n"
    return b"\n" if segment.endswith(b"\n") else b""


def _may_become_auth(head: bytes) -> bool:
    """Whether a line that starts with `head` may still turn out to be an AUTH line."""
    start = head.lstrip(b" \t")[:4].upper()
    return bool(head) and b"AUTH".startswith(start)


def _is_command(content: bytes) -> bool:
    return content.split(b" ", 1)[0].upper() in COMMAND_VERBS


def redact_quoted(data: bytes) -> bytes:
    """Client bytes with an AUTH command's payload and everything after it redacted."""
    match = _AUTH_QUOTED.search(data)
    if match is None:
        return data
    rest = data[match.end() :]
    return data[: match.end()] + (b" " + REDACTED if rest.strip() else rest)


def scrub_detail(detail: str) -> str:
    """An anomaly's detail with AUTH secrets in its quoted bytes (`b'...'`) redacted."""
    if "auth" not in detail.lower():
        return detail
    return _BYTES_LITERAL.sub(_scrub_literal, detail)


def _scrub_literal(match: re.Match[str]) -> str:
    try:
        data = ast.literal_eval(match[0])
    except (ValueError, SyntaxError):  # not a whole literal: keep nothing of it
        return repr(REDACTED)
    if not isinstance(data, bytes):
        return repr(REDACTED)
    return repr(redact_quoted(data))
