"""Recovery after a crash: replay the spool segments of dead writers, and index the
Maildir files the index does not know.

Both run when a store is opened (`Store.open`), and the writer replays now and then
while it runs (sink/indexer.py). A segment is replayed only by whoever can lock it: a
live writer holds its own (sink/spool.py). Replaying is idempotent — a message already
indexed is skipped, its Maildir file found or replaced by name — and stops at a
segment's torn tail (never acknowledged). The replayed messages are made durable
(`Store.barrier`) before the segment is deleted.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smtpcheck.sink import faults, maildir
from smtpcheck.sink.index import message_row, parse_headers
from smtpcheck.sink.records import Envelope, SessionRecord
from smtpcheck.sink.spool import read_records, segment_paths, try_lock

if TYPE_CHECKING:
    from smtpcheck.sink.store import Store

REPLAY_BATCH = 500  # messages per index transaction


def replay_spool(store: Store) -> int:
    """Index what the segments of dead writers hold and the index lacks, make it
    durable, delete the segments. Returns how many messages were added."""
    for path in _stale_segment_files(store.spool_dir):
        with contextlib.suppress(OSError):
            os.unlink(path)
    added = 0
    for path in segment_paths(store.spool_dir):
        fd = try_lock(path)
        if fd is None:  # a live writer's
            continue
        try:
            added += _replay(store, path)
            store.barrier()
            faults.reached("replay")
            os.unlink(path)
        finally:
            os.close(fd)
    return added


def _replay(store: Store, path: Path) -> int:
    records = read_records(path)
    envelopes = [r for r in records if isinstance(r, Envelope)]
    sessions = [r for r in records if isinstance(r, SessionRecord)]
    known = store.known_ids([env.id for env in envelopes], writer=True)
    missing = [env for env in envelopes if env.id not in known]
    for start in range(0, max(len(missing), len(sessions)), REPLAY_BATCH):
        batch = missing[start : start + REPLAY_BATCH]
        store.index_batch(batch, sessions[start : start + REPLAY_BATCH])
    return len(missing)


def _stale_segment_files(spool_dir: Path) -> list[Path]:
    """Segments a writer died creating (never renamed, so never written to): unlocked."""
    stale = []
    with contextlib.suppress(FileNotFoundError):
        for name in os.listdir(spool_dir):
            if name.startswith(".") and name.endswith(".new"):
                fd = try_lock(spool_dir / name)
                if fd is not None:
                    os.close(fd)
                    stale.append(spool_dir / name)
    return stale


def index_orphans(store: Store) -> int:
    """Index Maildir files the index does not know (copied in by hand, or from before
    the index), from their trace headers. Returns how many."""
    known = {row[0] for row in store.db.execute("SELECT path FROM messages")}
    rows = []
    for sub in ("new", "cur"):
        for entry in os.scandir(store.maildir / sub):
            rel = f"{sub}/{entry.name}"
            if rel not in known and entry.is_file():
                rows.append(_orphan_row(Path(entry.path), rel))
    if rows:
        store.insert_message_rows(rows)
    return len(rows)


def _orphan_row(path: Path, rel: str) -> tuple[Any, ...]:
    """The index row of a Maildir file nobody indexed, from its trace headers."""
    raw = path.read_bytes()
    fields = parse_headers(raw)
    mail_from = next((v.strip("<>") for k, v in fields if k.lower() == "return-path"), "")
    recipients = [v for k, v in fields if k.lower() == "delivered-to"]
    message_id = path.name.split(".")[1] if path.name.count(".") >= 2 else path.name
    trace = maildir.trace_length(raw)
    env = Envelope(
        id=message_id,
        mail_from=mail_from,
        recipients=recipients,
        data=raw[trace:],
        received_at=path.stat().st_mtime,
        anomalies=[{"kind": "recovered", "detail": "re-indexed from the Maildir"}],
    )
    return message_row(env, rel, trace)
