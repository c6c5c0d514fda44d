"""A byte-exact, timestamped record of what was said, with secrets redacted.

Every byte sent and received goes through a `Transcript`, which records it as an
`Entry` (smtpcheck/transcript_entry.py: plain data that report/ renders too).
Listeners (the live terminal view, a `--log-file`) are told of each entry as it
happens, so a session that hangs or dies still leaves everything said so far on screen
and on disk.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from smtpcheck.transcript_entry import Direction, Entry

Listener = Callable[[Entry], None]


class Transcript:
    """Collects entries and forwards each one to the listeners."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, *, lang: str = "en") -> None:
        self._clock = clock
        #: the language of our own notes and errors (what the peer sent stays as sent)
        self.lang = lang
        self._start = clock()
        self._last_sent = self._start
        self.entries: list[Entry] = []
        self._listeners: list[Listener] = []

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _emit(self, entry: Entry) -> Entry:
        self.entries.append(entry)
        for listener in self._listeners:
            listener(entry)
        return entry

    def sent(self, data: bytes, *, tls: bool) -> Entry:
        now = self._clock()
        self._last_sent = now
        return self._emit(Entry(now - self._start, Direction.SENT, tls, data))

    def received(
        self, data: bytes, *, tls: bool, unexpected: bool = False, annotation: str | None = None
    ) -> Entry:
        now = self._clock()
        return self._emit(
            Entry(
                now - self._start,
                Direction.RECEIVED,
                tls,
                data,
                unexpected,
                since_previous=now - self._last_sent,
                annotation=annotation,
            )
        )

    def note(self, text: str, *, tls: bool = False) -> Entry:
        return self._emit(Entry(self._clock() - self._start, Direction.NOTE, tls, text.encode()))

    def error(self, text: str, *, tls: bool = False) -> Entry:
        return self._emit(Entry(self._clock() - self._start, Direction.ERROR, tls, text.encode()))
