"""Group commit: one writer thread makes batches of messages durable together.

Sessions `submit` an envelope with a callback; the writer thread takes everything
queued since its last batch (messages and finished sessions' records), writes it with
`Store.write_batch` (one syncfs or directory fsync and one index commit per batch) and
then runs all the batch's callbacks with a single wake-up of the event loop. A session
sends its final 250 only from its callback, so nothing acknowledged is ever lost, yet
concurrent sessions share the cost of the fsyncs.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Any

from smtpcheck.sink.store import Envelope, SessionRecord, Store

_STOP = object()
Done = Callable[[BaseException | None], None]


class GroupCommitter:
    """The single writer of a `Store`, driven from one asyncio loop."""

    def __init__(self, store: Store, loop: asyncio.AbstractEventLoop, max_batch: int = 256):
        self.store = store
        self.loop = loop
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="sink-commit", daemon=True)
        self.batches = 0
        self.committed = 0

    def start(self) -> None:
        self._thread.start()

    def submit(self, envelope: Envelope, done: Done) -> None:
        """Queue a message; `done(None)` runs on the loop once it is durable, else
        `done(error)`."""
        self._queue.put((envelope, done))

    def record_session(self, record: SessionRecord) -> None:
        """Queue a finished session's record (not awaited: nothing is acknowledged)."""
        self._queue.put(record)

    def stop(self) -> None:
        """Write what is queued, then end the thread."""
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            items = [self._queue.get()]
            while len(items) < self.max_batch:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            messages: list[tuple[Envelope, Done]] = []
            sessions: list[SessionRecord] = []
            for item in items:
                if item is _STOP:
                    stopping = True
                elif isinstance(item, SessionRecord):
                    sessions.append(item)
                else:
                    messages.append(item)
            error: BaseException | None = None
            try:
                self.store.write_batch([env for env, _ in messages], sessions)
            except BaseException as exc:  # reported to every waiting session as a 451
                error = exc
                if sessions:
                    # Session records are informative; losing one loses no mail.
                    with contextlib.suppress(Exception):
                        self.store.record_sessions(sessions)
            self.batches += 1
            self.committed += len(messages) if error is None else 0
            if messages:
                self._resolve_soon([done for _, done in messages], error)

    def _resolve_soon(self, callbacks: list[Done], error: BaseException | None) -> None:
        def resolve() -> None:
            for done in callbacks:
                with contextlib.suppress(Exception):  # a session's bug is its own
                    done(error)

        with contextlib.suppress(RuntimeError):  # loop closed: nobody is waiting any more
            self.loop.call_soon_threadsafe(resolve)
