"""Session transcripts: one JSON-lines file per session, secrets redacted.

Each line is `{"t", "dir": "C"|"S", "tls", "data"}` with `data` the exact bytes decoded
as Latin-1. Unless the user asks to see secrets, AUTH payloads are replaced by
`<redacted>`: the initial response on the command line itself (`AUTH PLAIN <base64>`
becomes `AUTH PLAIN <redacted>`: the mechanism stays visible) and every continuation
line sent after a 334 challenge. Client bytes arrive in arbitrary pieces (a telnet user
sends one character at a time), so the redactor follows the current line across chunks.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import TextIO

REDACTED = b"<redacted>"
#: `AUTH <mechanism> ` at the start of a line: what follows is the initial response
_AUTH_PREFIX = re.compile(rb"[ \t]*AUTH[ \t]+[^ \t\r\n]+[ \t]+", re.IGNORECASE)
_LINES = re.compile(rb"[^\n]*\n|[^\n]+")
_HEAD_LIMIT = 256  # enough for "AUTH <mechanism> "; longer heads cannot start a secret


class Redactor:
    """Replaces AUTH payloads in client bytes fed in arbitrary chunks."""

    def __init__(self) -> None:
        self._head = b""  # the current line so far (bounded), when no secret started
        self._in_secret = False  # the rest of the current line is secret

    def redact(self, data: bytes, continuation: bool = False) -> bytes:
        """The chunk with secrets replaced; `continuation`: it answers a 334 challenge."""
        out: list[bytes] = []
        for segment in _LINES.findall(data):
            ending = _ending(segment)
            content = segment[: len(segment) - len(ending)]
            if self._in_secret or continuation:
                if not self._in_secret:
                    out.append(REDACTED)
                self._in_secret = not ending
            else:
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
            out.append(ending)
            if ending:
                self._head = b""
        return b"".join(out)


def _ending(segment: bytes) -> bytes:
    if segment.endswith(b"\r\n"):
        return b"\r\n"
    return b"\n" if segment.endswith(b"\n") else b""


class Transcript:
    """Writes one session's transcript (see the module docstring)."""

    def __init__(self, path: Path, started: float, show_secrets: bool = False) -> None:
        self.path = path
        self.started = started
        self.show_secrets = show_secrets
        self.redactor = Redactor()
        self._file: TextIO = open(path, "w", encoding="utf-8", buffering=1)  # noqa: SIM115

    @property
    def name(self) -> str:
        return str(self.path)

    def record(self, direction: str, data: bytes, tls: bool, continuation: bool = False) -> None:
        """Write one chunk; `continuation`: client bytes answering a 334 (all secret)."""
        if direction == "C" and not self.show_secrets:
            data = self.redactor.redact(data, continuation)
        entry = {
            "t": round(time.time() - self.started, 6),
            "dir": direction,
            "tls": tls,
            "data": data.decode("latin-1"),
        }
        self._file.write(json.dumps(entry) + "\n")

    def close(self) -> None:
        self._file.close()
