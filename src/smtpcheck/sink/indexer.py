"""The indexer: writes the Maildir and the index behind the spool.

The committer (sink/journal.py) tells it of each new segment (`open`, with a descriptor
of its own, which keeps the segment locked for as long as the indexer needs it), how far
the segment is committed (`commit`) and when it is complete (`seal`). The indexer reads
the committed records back (from the page cache, normally), writes their Maildir files
and index rows (`Store.index_batch`) and reports how far it got; once a sealed segment
is all indexed it makes that durable (`Store.barrier`: one syncfs) and deletes the
segment. Now and then, and when it starts, it also replays segments nobody holds (their
writer died: sink/recovery.py).

It runs as a thread of the server (`IndexerThread`, `--writer thread`) or as a process
of its own (sink/indexer_process.py, `--writer process`); `drive` is its loop in both.
"""

from __future__ import annotations

import contextlib
import os
import queue
import struct
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from smtpcheck.sink import faults
from smtpcheck.sink.records import Envelope, SessionRecord
from smtpcheck.sink.recovery import replay_spool
from smtpcheck.sink.spool import MAGIC, Segment, decode, split_records
from smtpcheck.sink.store import Store

READ_BYTES = 1 << 20  # records read and indexed per transaction (at least one record)
IDLE = 0.5  # seconds without news after which the indexer looks for dead writers' segments
REPLAY_INTERVAL = 5.0
RETRY_DELAY = 1.0

Message = tuple[str, str, int]  # ("open", name, fd) | ("commit" | "seal", name, offset)
Report = Callable[[str, int], None]  # (segment name, bytes indexed so far)
_LENGTH = struct.Struct(">I")


@dataclass(eq=False)
class _Source:
    """A segment as the indexer sees it."""

    path: Path
    fd: int
    committed: int  # the records up to here may be indexed
    read: int  # the records up to here are indexed
    sealed: bool = False

    @property
    def done(self) -> bool:
        return self.sealed and self.read >= self.committed


class Indexer:
    """Indexes committed spool records; deletes the segments it has finished."""

    def __init__(self, store: Store, report: Report) -> None:
        self.store = store
        self.report = report
        self._sources: dict[str, _Source] = {}  # oldest first
        self._complained = False
        self._last_replay = 0.0

    def handle(self, kind: str, name: str, value: int) -> None:
        """Apply one message from the committer."""
        if kind == "open":
            start = len(MAGIC)
            self._sources[name] = _Source(self.store.spool_dir / name, value, start, start)
            return
        source = self._sources.get(name)
        if source is not None:
            source.committed = max(source.committed, value)
            source.sealed = source.sealed or kind == "seal"

    def busy(self) -> bool:
        """Records to index or a finished segment to delete."""
        return any(s.read < s.committed or s.done for s in self._sources.values())

    def step(self) -> None:
        """Index one batch of the oldest segment with unindexed records, then delete the
        segments that are done. Raises when the store cannot be written (retry later)."""
        for name, source in self._sources.items():
            if source.read < source.committed:
                self._index(name, source)
                break
        self._compact()

    def idle(self) -> None:
        """Nothing to do: replay segments whose writer died (not too often)."""
        now = time.monotonic()
        if now - self._last_replay >= REPLAY_INTERVAL:
            self._last_replay = now
            replay_spool(self.store)

    def close(self) -> None:
        """Let go of the segments not finished (kept for the next start to replay)."""
        for source in self._sources.values():
            os.close(source.fd)
        self._sources.clear()

    def complain(self, text: str) -> None:
        if not self._complained:  # once: a full disk would otherwise fill the terminal
            self._complained = True
            print(f"smtpcheck sink: {text}", file=sys.stderr, flush=True)

    def _index(self, name: str, source: _Source) -> None:
        data = os.pread(source.fd, min(source.committed - source.read, READ_BYTES), source.read)
        found, used, intact = split_records(data)
        if not found and intact and len(data) >= _LENGTH.size:  # one record > READ_BYTES
            whole = _LENGTH.size * 2 + _LENGTH.unpack_from(data)[0]
            data = os.pread(source.fd, whole, source.read)
            found, used, intact = split_records(data)
        if not found:
            self.complain(
                f"corrupt spool record in {source.path} at byte {source.read}: "
                "the rest of that segment is skipped"
            )
            source.read = source.committed
            self.report(name, source.read)
            return
        envelopes: list[Envelope] = []
        sessions: list[SessionRecord] = []
        for payload in found:
            record = decode(payload)
            if isinstance(record, Envelope):
                envelopes.append(record)
            else:
                sessions.append(record)
        self.store.index_batch(envelopes, sessions)
        source.read += used
        self.report(name, source.read)

    def _compact(self) -> None:
        done = [(name, source) for name, source in self._sources.items() if source.done]
        if not done:
            return
        self.store.barrier()
        faults.reached("compact")
        for name, source in done:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(source.path)
            os.close(source.fd)
            del self._sources[name]


Receive = Callable[[float], "list[Message] | None"]


def drive(indexer: Indexer, receive: Receive) -> None:
    """The indexer's loop: `receive(timeout)` gives the committer's messages ([] when
    none came, None once the committer is gone); index until it is gone and all is done.
    """
    ended = False
    with contextlib.suppress(Exception):
        indexer.idle()  # dead writers' segments first: they are older
    while True:
        busy = indexer.busy()
        if not ended:
            messages = receive(0 if busy else IDLE)
            if messages is None:
                ended = True
            else:
                for message in messages:
                    indexer.handle(*message)
                if not busy and not messages:
                    with contextlib.suppress(Exception):
                        indexer.idle()
        if indexer.busy():
            try:
                indexer.step()
            except Exception as exc:
                indexer.complain(
                    f"cannot write the Maildir or index: {exc} "
                    "(the messages are safe in the spool; retrying)"
                )
                if ended:
                    break
                time.sleep(RETRY_DELAY)
        elif ended:
            break
    indexer.close()


T = TypeVar("T")


def _take(source: queue.SimpleQueue[T], timeout: float) -> list[T]:
    """Everything in `source`, after waiting up to `timeout` for the first item."""
    items: list[T] = []
    with contextlib.suppress(queue.Empty):
        items.append(source.get(timeout=timeout) if timeout else source.get_nowait())
        while True:
            items.append(source.get_nowait())
    return items


class IndexerThread:
    """The indexer as a thread of the server (`--writer thread`)."""

    def __init__(self, store: Store) -> None:
        self._inbox: queue.SimpleQueue[Message | None] = queue.SimpleQueue()
        self._reports: queue.SimpleQueue[tuple[str, int]] = queue.SimpleQueue()
        self._indexer = Indexer(store, lambda name, offset: self._reports.put((name, offset)))
        self._thread = threading.Thread(target=self._run, name="sink-index", daemon=True)
        self._ended = False

    @property
    def alive(self) -> bool:
        return True

    def pending(self) -> bool:
        return False

    def start(self) -> None:
        self._thread.start()

    def open(self, segment: Segment) -> None:
        self._inbox.put(("open", segment.name, os.dup(segment.fd)))

    def commit(self, name: str, offset: int) -> None:
        self._inbox.put(("commit", name, offset))

    def seal(self, name: str, offset: int) -> None:
        self._inbox.put(("seal", name, offset))

    def reports(self, timeout: float) -> list[tuple[str, int]]:
        """What the indexer reported since the last call (waiting up to `timeout`)."""
        found: list[tuple[str, int]] = []
        with contextlib.suppress(queue.Empty):
            found.append(
                self._reports.get(timeout=timeout) if timeout else self._reports.get_nowait()
            )
            while True:
                found.append(self._reports.get_nowait())
        return found

    def close(self) -> None:
        """Everything committed is indexed (or left for replay) when this returns."""
        self._inbox.put(None)
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        drive(self._indexer, self._receive)

    def _receive(self, timeout: float) -> list[Message] | None:
        if self._ended:
            return None
        items = _take(self._inbox, timeout)
        messages: list[Message] = []
        for item in items:
            if item is None:
                self._ended = True
                break
            messages.append(item)
        if self._ended and not messages:
            return None
        return messages
