"""The committer's side of a store: group commit to the spool, and the indexer kept in
step behind it.

`Journal.commit(records)` appends a batch of encoded records (sink/spool.py) with one
write and one fdatasync and returns once they are durable: the caller may then answer
250. The indexer (sink/indexer.py, a thread or a process: the `link`) hears of each
segment and how far it is committed, writes the Maildir and index behind, reports how
far it got, and deletes each segment it has finished. The journal seals the segment
being written when it grows past its size, at stop, and when the sink is idle and
everything is indexed, so a sink at rest has an empty spool.

If the indexer falls more than `max_lag_bytes` behind, commits wait for it (and fail
after `LAG_TIMEOUT` seconds: the sessions answer 451 rather than grow the spool without
end). If an indexer process dies, the journal seals the segment it was writing and
starts another, which replays the dead one's segments: nobody holds them any more.

One thread uses a journal: the committer's (sink/commit.py).
"""

from __future__ import annotations

import errno
import sys
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from smtpcheck.sink import faults
from smtpcheck.sink.spool import Segment, SpoolWriter
from smtpcheck.sink.store import Store

MAX_LAG_BYTES = 64 << 20
LAG_TIMEOUT = 30.0  # seconds a commit waits for a lagging indexer before failing
IDLE_SEAL = 0.5  # seconds without commits before a fully indexed segment is sealed
RESTART_INTERVAL = 1.0  # at least this long between two starts of an indexer process


class IndexerLink(Protocol):
    """How the journal talks to its indexer (a thread, or a process)."""

    @property
    def alive(self) -> bool: ...
    def start(self) -> None: ...
    def open(self, segment: Segment) -> None: ...
    def commit(self, name: str, offset: int) -> None: ...
    def seal(self, name: str, offset: int) -> None: ...
    def reports(self, timeout: float) -> list[tuple[str, int]]: ...
    def pending(self) -> bool: ...
    def close(self) -> None: ...


class Journal:
    """The writer of a store's spool, keeping its indexer informed and not too far
    behind."""

    def __init__(
        self,
        store: Store,
        make_link: Callable[[], IndexerLink],
        max_lag_bytes: int = MAX_LAG_BYTES,
    ) -> None:
        self.store = store
        self.max_lag_bytes = max_lag_bytes
        self._make_link = make_link
        self.link = make_link()
        self.spool = SpoolWriter(store.spool_dir, store.durable, self._opened, self._sealed)
        self._segments: dict[str, Segment] = {}  # not yet all indexed, oldest first
        self._started_at = 0.0

    def start(self) -> None:
        self._started_at = time.monotonic()
        self.link.start()

    @property
    def lag(self) -> int:
        """Bytes committed to the spool and not yet written behind it."""
        return sum(s.size - s.indexed for s in self._segments.values())

    def commit(self, records: Sequence[bytes], sync: bool = True) -> None:
        """Append `records` to the spool; with `sync`, durable when this returns.

        Raises OSError when the spool cannot be written or synced (nothing of the batch
        may be acknowledged) or when the indexer has been far behind for too long.
        """
        self._take_reports(0)
        if self.lag > self.max_lag_bytes:
            self._wait_for_indexer()
        segment = self.spool.append(records, sync)
        if sync:
            faults.reached("spool-synced")
        if not segment.sealed:  # a seal carries the final size itself
            self.link.commit(segment.name, segment.size)

    def needs_attention(self) -> bool:
        """True while `idle` has something to do: the committer should call it."""
        return self.spool.active is not None or self.link.pending() or not self.link.alive

    def idle(self) -> None:
        """No commit for a moment: seal the segment if it is all indexed (the indexer
        then deletes it), and pass on what the indexer link still holds."""
        self._take_reports(0)
        active = self.spool.active
        if active is not None and active.indexed >= active.size:
            self.spool.seal()
        self._take_reports(0)

    def close(self) -> None:
        """Seal the spool and wait until the indexer has written everything behind it."""
        self._take_reports(0)
        self.spool.seal()
        self.link.close()

    # -- internals -------------------------------------------------------------------
    def _opened(self, segment: Segment) -> None:
        self._segments[segment.name] = segment
        self.link.open(segment)

    def _sealed(self, segment: Segment) -> None:
        self.link.seal(segment.name, segment.size)
        self._forget_if_indexed(segment)

    def _forget_if_indexed(self, segment: Segment) -> None:
        if segment.sealed and segment.indexed >= segment.size:
            self._segments.pop(segment.name, None)

    def _take_reports(self, timeout: float) -> None:
        for name, offset in self.link.reports(timeout):
            segment = self._segments.get(name)
            if segment is not None:
                segment.indexed = max(segment.indexed, offset)
                self._forget_if_indexed(segment)
        if not self.link.alive:
            self._restart_indexer()

    def _wait_for_indexer(self) -> None:
        deadline = time.monotonic() + LAG_TIMEOUT
        while self.lag > self.max_lag_bytes:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise OSError(errno.EAGAIN, "the Maildir and index are too far behind")
            self._take_reports(min(remaining, IDLE_SEAL))

    def _restart_indexer(self) -> None:
        """The indexer process died: a new one replays what the old one held."""
        if time.monotonic() - self._started_at < RESTART_INTERVAL:
            return
        print(
            "smtpcheck sink: the writer process exited; starting another "
            "(the messages are safe in the spool)",
            file=sys.stderr,
            flush=True,
        )
        self.spool.seal()  # so that nobody holds the dead indexer's segments
        self._segments.clear()  # the new indexer replays them: no reports for those
        self.link = self._make_link()
        self.start()
