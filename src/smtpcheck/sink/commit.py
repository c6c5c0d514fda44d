"""Group commit: one committer thread makes batches of messages durable together.

Sessions `submit` an envelope with a callback; the committer thread takes everything
queued since its last batch (messages and finished sessions' records), appends it to
the spool with one write and one fdatasync (`Journal.commit`), and then runs all the
batch's callbacks with a single wake-up of the event loop. A session sends its final
250 only from its callback, so nothing acknowledged is ever lost, yet concurrent
sessions share the cost of the sync. The Maildir and index are written behind by the
indexer: a thread of the server here (`--writer thread`), a process of its own with
`ProcessCommitter` (sink/writer.py, `--writer process`).
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Any

from smtpcheck.sink.indexer import IndexerThread
from smtpcheck.sink.journal import IDLE_SEAL, IndexerLink, Journal
from smtpcheck.sink.records import Envelope, SessionRecord
from smtpcheck.sink.spool import encode_message, encode_session
from smtpcheck.sink.store import Store

_STOP = object()
Done = Callable[[BaseException | None], None]


class GroupCommitter:
    """The single writer of a `Store`, driven from one asyncio loop."""

    def __init__(self, store: Store, loop: asyncio.AbstractEventLoop, max_batch: int = 256) -> None:
        self.store = store
        self.loop = loop
        self.max_batch = max_batch
        self.journal = Journal(store, self.make_indexer)
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="sink-commit", daemon=True)

    def make_indexer(self) -> IndexerLink:
        return IndexerThread(self.store)

    def start(self) -> None:
        self.journal.start()
        self._thread.start()

    def submit(self, envelope: Envelope, done: Done) -> None:
        """Queue a message; `done(None)` runs on the loop once it is durable, else
        `done(error)`."""
        self._queue.put((envelope, done))

    def record_session(self, record: SessionRecord) -> None:
        """Queue a finished session's record (not awaited: nothing is acknowledged)."""
        self._queue.put(record)

    def stop(self) -> None:
        """Commit what is queued, let the Maildir and index catch up, end the threads."""
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join()
        self.journal.close()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            timeout = IDLE_SEAL if self.journal.needs_attention() else None
            try:
                items = [self._queue.get(timeout=timeout)]
            except queue.Empty:
                self.journal.idle()
                continue
            while len(items) < self.max_batch:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            records: list[bytes] = []
            callbacks: list[Done] = []
            for item in items:
                if item is _STOP:
                    stopping = True
                elif isinstance(item, SessionRecord):
                    records.append(encode_session(item))
                else:
                    envelope, done = item
                    records.append(encode_message(envelope))
                    callbacks.append(done)
            if not records:
                continue
            error: BaseException | None = None
            try:
                self.journal.commit(records, sync=bool(callbacks))
            except Exception as exc:  # reported to every waiting session as a 451
                error = exc
            if callbacks:
                self._resolve_soon(callbacks, error)

    def _resolve_soon(self, callbacks: list[Done], error: BaseException | None) -> None:
        def resolve() -> None:
            for done in callbacks:
                with contextlib.suppress(Exception):  # a session's bug is its own
                    done(error)

        with contextlib.suppress(RuntimeError):  # loop closed: nobody is waiting any more
            self.loop.call_soon_threadsafe(resolve)
