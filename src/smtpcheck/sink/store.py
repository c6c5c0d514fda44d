"""Durable storage of captured mail: a spool, a Maildir and an SQLite index.

The spool (sink/spool.py, written by sink/journal.py) is the commit point: a message
is acknowledged once its record is fdatasync'ed there. The Maildir (what users and mail
readers read, one file per message, sink/maildir.py) and the index (sink/index.py) are
written behind it by the indexer (sink/indexer.py) with `index_batch`, and made durable
together (`barrier`: one syncfs) before a spool segment is deleted. So at any moment an
acknowledged message is in the spool, or in the Maildir and the index, or both.

`Store` is also the reader: `list_messages`, `resolve`, `raw` and `list_sessions` read
the spool's segments first and then the index, so they show every acknowledged message
even while the Maildir is catching up. `open` replays the segments of dead writers and
indexes Maildir files the index does not know (sink/recovery.py).

The session hands its messages over as `Envelope` and its record as `SessionRecord`
(sink/records.py; importable from here too).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from smtpcheck.sink import faults, maildir
from smtpcheck.sink.index import (
    INSERT_MESSAGE,
    INSERT_SESSION,
    cleared_at,
    connect,
    decode_mime_words,
    message_dict,
    message_row,
    parse_headers,
    session_dict,
    session_row,
)
from smtpcheck.sink.maildir import trace_headers
from smtpcheck.sink.records import Envelope, SessionRecord
from smtpcheck.sink.recovery import index_orphans, replay_spool
from smtpcheck.sink.spool import read_records, segment_paths

__all__ = [
    "Envelope",
    "SessionRecord",
    "Store",
    "decode_mime_words",
    "parse_headers",
]


def _load_syncfs() -> Callable[[int], int] | None:
    """libc's syncfs(2) (Linux), or None where it does not exist."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        function: Callable[[int], int] = libc.syncfs
    except (OSError, AttributeError):
        return None
    return function


_SYNCFS = _load_syncfs()


class Store:
    """The spool, Maildir and index under one directory. One writer thread at a time
    (`index_batch` and `clear` hold a lock); any number of readers."""

    def __init__(self, root: Path, durable: bool = True) -> None:
        self.root = Path(root)
        self.durable = durable
        self.maildir = self.root / "Maildir"
        self.spool_dir = self.root / "spool"
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._writer_db: sqlite3.Connection | None = None

    # -- opening -------------------------------------------------------------------
    def open(self, reconcile: bool = True) -> Store:
        """Create what is missing; replay dead writers' spool segments and index orphan
        Maildir files (unless `reconcile=False`: a writer process, after its server)."""
        for sub in maildir.SUBDIRS:
            (self.maildir / sub).mkdir(parents=True, exist_ok=True)
        self._db = self._connect()
        if reconcile:
            replay_spool(self)
            index_orphans(self)
        return self

    def _connect(self) -> sqlite3.Connection:
        # The barrier (syncfs) before a spool segment is deleted makes the index durable,
        # so commits need no fsync; NORMAL still syncs checkpoints, so a checkpoint can
        # never lose rows whose segment is already gone. Without syncfs: FULL.
        mode = ("NORMAL" if _SYNCFS is not None else "FULL") if self.durable else "OFF"
        return connect(self.root / "index.sqlite", mode)

    @property
    def db(self) -> sqlite3.Connection:
        """The connection readers use."""
        if self._db is None:
            self.open()
        assert self._db is not None
        return self._db

    @property
    def _wdb(self) -> sqlite3.Connection:
        """The writer's own connection (a reader never sees its open transaction)."""
        if self._writer_db is None:
            self._writer_db = self._connect()
        return self._writer_db

    def close(self) -> None:
        for db in (self._db, self._writer_db):
            if db is not None:
                db.close()
        self._db = self._writer_db = None

    # -- writing (behind the spool) -----------------------------------------------------
    def index_batch(
        self, envelopes: Sequence[Envelope], sessions: Sequence[SessionRecord] = ()
    ) -> None:
        """Write the envelopes' Maildir files, then their rows and the sessions' in one
        transaction. Idempotent. Not durable by itself: see `barrier`.

        Records older than the last `clear` are not indexed (and their files removed):
        they were in flight when it ran.
        """
        with self._lock:
            db = self._wdb
            fsync_each = self.durable and _SYNCFS is None
            cleared = cleared_at(db)
            rows: list[tuple[Any, ...]] = []
            crash_midway = bool(envelopes) and faults.armed("maildir-half")
            for number, env in enumerate(envelopes):
                if crash_midway and number == len(envelopes) // 2:
                    maildir.write_partial(self.maildir, env)
                    faults.reached("maildir-half")
                if env.received_at <= cleared:
                    maildir.remove(self.maildir, env)
                    continue
                trace = trace_headers(env)
                maildir.deliver(self.maildir, env, trace, fsync_each)
                rows.append(message_row(env, maildir.relative_path(env), len(trace)))
            if envelopes and not crash_midway:
                faults.reached("maildir-half")
            db.execute("BEGIN IMMEDIATE")
            try:
                now_cleared = cleared_at(db)
                if now_cleared != cleared:  # `clear` ran meanwhile
                    for env in envelopes:
                        if cleared < env.received_at <= now_cleared:
                            maildir.remove(self.maildir, env)
                    rows = [row for row in rows if row[1] > now_cleared]
                db.executemany(INSERT_MESSAGE, rows)
                db.executemany(
                    INSERT_SESSION,
                    [session_row(s) for s in sessions if (s.ended_at or 0) > now_cleared],
                )
                if envelopes:
                    faults.reached("index-behind")
                db.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
                raise

    def barrier(self) -> None:
        """Make every Maildir file and index row written so far durable.

        One syncfs(2) flushes the files, their renames and the index's WAL with a single
        journal commit. Without syncfs: the files were fsynced as written, SQLite syncs
        its own commits (synchronous=FULL), and the directory is fsynced here.
        """
        if not self.durable:
            return
        fd = os.open(self.maildir / "new", os.O_RDONLY | os.O_DIRECTORY)
        try:
            if _SYNCFS is not None:
                if _SYNCFS(fd) != 0:
                    error = ctypes.get_errno()
                    raise OSError(error, f"syncfs: {os.strerror(error)}")
            else:
                os.fsync(fd)
        finally:
            os.close(fd)

    def write_batch(
        self, envelopes: Sequence[Envelope], sessions: Sequence[SessionRecord] = ()
    ) -> None:
        """Write straight to the Maildir and index and make it durable (no spool: for
        tools and tests that fill a store without a running sink)."""
        self.index_batch(envelopes, sessions)
        self.barrier()

    def record_sessions(self, sessions: Iterable[SessionRecord]) -> None:
        """Index finished sessions (durably)."""
        self.write_batch([], list(sessions))

    def insert_message_rows(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Index rows made elsewhere (Maildir files found without one), in one commit."""
        with self._lock:
            db = self._wdb
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany(INSERT_MESSAGE, rows)
                db.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
                raise

    def known_ids(self, ids: Sequence[str], writer: bool = False) -> set[str]:
        """Which of `ids` the index has (`writer`: asked on the writer's connection)."""
        db = self._wdb if writer else self.db
        known: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT id FROM messages WHERE id IN ({marks})"
            known.update(row[0] for row in db.execute(sql, chunk))
        return known

    # -- reading (through the spool) ----------------------------------------------------
    def _spooled(self) -> tuple[list[Envelope], list[SessionRecord]]:
        """What the spool holds (read before the index: a segment is deleted only after
        its records are committed there, so nothing falls between the two reads)."""
        cleared = cleared_at(self.db)
        envelopes: dict[str, Envelope] = {}
        sessions: dict[str, SessionRecord] = {}
        for path in segment_paths(self.spool_dir):
            for record in read_records(path):
                if isinstance(record, Envelope):
                    if record.received_at > cleared:
                        envelopes[record.id] = record
                elif (record.ended_at or 0) > cleared:
                    sessions[record.id] = record
        return list(envelopes.values()), list(sessions.values())

    def list_messages(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Newest last; each a plain dict ready for JSON."""
        spooled, _ = self._spooled()
        sql = "SELECT * FROM messages ORDER BY received_at, rowid"
        messages = [message_dict(row) for row in self.db.execute(sql).fetchall()]
        if spooled:
            indexed = {m["id"] for m in messages}
            messages += [_spooled_dict(env) for env in spooled if env.id not in indexed]
            messages.sort(key=lambda m: float(m["received_at"]))
        if limit is not None:
            messages = messages[-limit:] if limit > 0 else []
        return messages

    def count(self) -> int:
        spooled, _ = self._spooled()
        indexed = int(self.db.execute("SELECT count(*) FROM messages").fetchone()[0])
        ids = [env.id for env in spooled]
        return indexed + len(ids) - len(self.known_ids(ids))

    def resolve(self, ident: str) -> dict[str, Any] | None:
        """A message by its id, a unique id prefix, or its 1-based position in `list`."""
        spooled, _ = self._spooled()
        if spooled:
            return _resolve_in(self.list_messages(), ident)
        row = self.db.execute("SELECT * FROM messages WHERE id = ?", (ident,)).fetchone()
        if row is None and ident.isdigit() and len(ident) < 8 and int(ident) > 0:
            row = self.db.execute(
                "SELECT * FROM messages ORDER BY received_at, rowid LIMIT 1 OFFSET ?",
                (int(ident) - 1,),
            ).fetchone()
        if row is None:
            like = ident.replace("%", "").replace("_", "") + "%"
            rows = self.db.execute("SELECT * FROM messages WHERE id LIKE ?", (like,)).fetchall()
            row = rows[0] if len(rows) == 1 else None
        return message_dict(row) if row is not None else None

    def raw(self, message: dict[str, Any], with_trace: bool = True) -> bytes:
        """The stored bytes: with our trace headers (the Maildir file) or as received.

        A message still only in the spool is read from there, as its file will be.
        """
        path = self.maildir / str(message["path"])
        trace_length = int(message["trace_length"])
        data: bytes
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            spooled = {env.id: env for env in self._spooled()[0]}
            env = spooled.get(message["id"])
            # Not in the spool any more: indexed meanwhile, so the file is there now.
            data = path.read_bytes() if env is None else trace_headers(env) + env.data
        return data if with_trace else data[trace_length:]

    def export_eml(self, message: dict[str, Any], target: Path) -> Path:
        """Write the message as an .eml file (CRLF, trace headers kept)."""
        target = Path(target)
        if target.is_dir():
            target = target / f"{message['id']}.eml"
        target.write_bytes(self.raw(message))
        return target

    def list_sessions(self) -> list[dict[str, Any]]:
        _, spooled = self._spooled()
        rows = self.db.execute("SELECT * FROM sessions ORDER BY started_at").fetchall()
        records = [session_dict(row) for row in rows]
        if spooled:
            indexed = {r["id"] for r in records}
            records += [session_dict(session_row(s)) for s in spooled if s.id not in indexed]
            records.sort(key=lambda r: float(r["started_at"]))
        return records

    def delete(self, message_id: str) -> bool:
        """Delete one message (its index row and its file); False if there is none."""
        with self._lock:
            row = self.db.execute(
                "SELECT path FROM messages WHERE id = ?", (message_id,)
            ).fetchone()
            if row is None:
                return False
            self.db.execute("DELETE FROM messages WHERE id = ?", (message_id,))
            self.db.commit()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.maildir / row[0])
        return True

    def clear(self) -> int:
        """Delete every message and session record. Returns how many messages went.

        Safe while a sink writes to the store: what was received before this moment
        goes (a record still on its way to the index is dropped there), later mail stays.
        """
        with self._lock:
            spooled, _ = self._spooled()
            db = self._wdb
            now = time.time()
            db.execute("BEGIN IMMEDIATE")
            try:
                rows = db.execute("SELECT id, path FROM messages").fetchall()
                db.execute("DELETE FROM messages")
                db.execute("DELETE FROM sessions")
                db.execute("INSERT OR REPLACE INTO meta VALUES ('cleared_at', ?)", (now,))
                db.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
                raise
        gone = {row[0] for row in rows} | {env.id for env in spooled if env.received_at <= now}
        for row in rows:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.maildir / row[1])
        for env in spooled:
            maildir.remove(self.maildir, env)
        self._remove_old_files(now, gone)
        return len(gone)

    def _remove_old_files(self, now: float, gone: set[str]) -> None:
        """Files the index did not know (copied in, or from before the index): those older
        than the clear. (A file's mtime comes from a coarse clock: a margin of a second.)"""
        for sub in ("new", "cur"):
            for entry in os.scandir(self.maildir / sub):
                parts = entry.name.split(".")
                if len(parts) >= 2 and parts[1] in gone:
                    continue
                with contextlib.suppress(FileNotFoundError):
                    if entry.is_file() and entry.stat().st_mtime < now - 1:
                        os.unlink(entry.path)


def _spooled_dict(env: Envelope) -> dict[str, Any]:
    trace = trace_headers(env)
    return message_dict(message_row(env, maildir.relative_path(env), len(trace)))


def _resolve_in(messages: list[dict[str, Any]], ident: str) -> dict[str, Any] | None:
    for message in messages:
        if message["id"] == ident:
            return message
    if ident.isdigit() and len(ident) < 8 and 0 < int(ident) <= len(messages):
        return messages[int(ident) - 1]
    prefix = ident.replace("%", "").replace("_", "")
    matches = [m for m in messages if str(m["id"]).startswith(prefix)]
    return matches[0] if len(matches) == 1 else None
