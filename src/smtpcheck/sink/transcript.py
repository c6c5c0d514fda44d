"""Session transcripts: one JSON-lines file per session, secrets redacted, size bounded.

Each line is `{"t", "dir": "C"|"S", "tls", "data"}` with `data` the exact bytes decoded
as Latin-1. Unless the user asks to see secrets, AUTH payloads are replaced by
`<redacted>` (see sink/redact.py). A session's transcript keeps at most `limit` bytes of
data: past it, one last line `{"t", "dir": "!", "data": "transcript limit ..."}` says
so and nothing more is written (a client must not fill the disk through it).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TextIO

from smtpcheck.sink.redact import Redactor, Secrecy


class Transcript:
    """Writes one session's transcript (see the module docstring)."""

    def __init__(
        self, path: Path, started: float, show_secrets: bool = False, limit: int | None = None
    ) -> None:
        self.path = path
        self.started = started
        self.show_secrets = show_secrets
        self.redactor = Redactor()
        self.left = limit  # bytes that may still be written; None: no limit
        self._file: TextIO = open(path, "w", encoding="utf-8", buffering=1)  # noqa: SIM115

    @property
    def name(self) -> str:
        return str(self.path)

    def record(
        self, direction: str, data: bytes, tls: bool, secrecy: Secrecy = Secrecy.NONE
    ) -> None:
        """Write one chunk; `secrecy`: what the session expects of client bytes now."""
        if self.left is not None and self.left <= 0:
            return
        if direction == "C" and not self.show_secrets:
            data = self.redactor.redact(data, secrecy)
        if self.left is not None:
            self.left -= len(data)
            if self.left < 0:
                self._write("!", "transcript limit reached: nothing more is kept", tls)
                return
        self._write(direction, data.decode("latin-1"), tls)

    def _write(self, direction: str, text: str, tls: bool) -> None:
        entry = {"t": round(time.time() - self.started, 6), "dir": direction, "tls": tls}
        entry["data"] = text
        self._file.write(json.dumps(entry) + "\n")

    def close(self) -> None:
        self._file.close()
