"""One entry of a session's transcript: what was sent or received, or a note of ours.

Plain data, below both the layer that records it (`net.transcript.Transcript`, while
the session runs) and the ones that show it (report/ renderers, the console): a
renderer reads entries without depending on the I/O layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Direction(StrEnum):
    SENT = "sent"
    RECEIVED = "received"
    NOTE = "note"
    ERROR = "error"


@dataclass(frozen=True)
class Entry:
    """One write, one reply, or one note of our own."""

    elapsed: float  # seconds since the transcript started
    direction: Direction
    tls: bool
    data: bytes
    unexpected: bool = False  # a reply the step did not hope for
    since_previous: float | None = None  # for received entries: time waited for it
    annotation: str | None = None  # the reply's meaning in one line, when known

    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")
