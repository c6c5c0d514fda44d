"""Durable storage of captured mail: a Maildir plus an SQLite index.

The Maildir is the truth. Each accepted message becomes one file in `Maildir/new/`,
written to `tmp/`, renamed, and made durable (file data and directory entry) before
anyone may acknowledge it. `write_batch` does this for a whole batch at once (group
commit): on Linux one syncfs(2) covers the batch's files, renames and index; elsewhere
each file is fsynced, then the directory. The file starts with the trace headers an
MDA adds (`Return-Path`, `Delivered-To`, `Received`), then the message exactly as
received.

The SQLite index (envelope, headers, size, client, TLS, AUTH, anomalies, time) is
written in the same batch; if the process dies between the Maildir rename and the
index commit, `Store.open` re-indexes the orphan file from its trace headers.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.utils import formatdate
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    id TEXT PRIMARY KEY, received_at REAL NOT NULL, mail_from TEXT NOT NULL,
    recipients TEXT NOT NULL, mail_params TEXT NOT NULL, rcpt_params TEXT NOT NULL,
    subject TEXT, from_header TEXT, to_header TEXT, message_id TEXT, headers TEXT NOT NULL,
    size INTEGER NOT NULL, trace_length INTEGER NOT NULL, path TEXT NOT NULL,
    client TEXT, helo TEXT, protocol TEXT, tls TEXT, auth TEXT, session_id TEXT,
    anomalies TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_time ON messages(received_at);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, started_at REAL NOT NULL, ended_at REAL, client TEXT, helo TEXT,
    tls TEXT, auth TEXT, messages INTEGER NOT NULL, anomalies TEXT NOT NULL,
    transcript TEXT
);
"""

MAX_INDEXED_HEADERS = 200
INSERT_MESSAGE = (
    "INSERT OR REPLACE INTO messages VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)
INSERT_SESSION = "INSERT OR REPLACE INTO sessions VALUES (?,?,?,?,?,?,?,?,?,?)"
_INDEXED_FIELDS = frozenset({"subject", "from", "to", "message-id"})


@dataclass
class Envelope:
    """One accepted message, as the session hands it to the store."""

    id: str
    mail_from: str
    recipients: list[str]
    data: bytes
    mail_params: dict[str, str | None] = field(default_factory=dict)
    rcpt_params: list[dict[str, str | None]] = field(default_factory=list)
    client: str = ""
    helo: str = ""
    protocol: str = "ESMTP"
    tls: dict[str, Any] | None = None
    auth: dict[str, Any] | None = None
    session_id: str = ""
    anomalies: list[dict[str, str]] = field(default_factory=list)
    received_at: float = field(default_factory=time.time)
    hostname: str = "sink.localhost"


@dataclass
class SessionRecord:
    """What the index keeps about one connection."""

    id: str
    started_at: float
    ended_at: float | None
    client: str
    helo: str
    tls: dict[str, Any] | None
    auth: dict[str, Any] | None
    messages: int
    anomalies: list[dict[str, str]]
    transcript: str | None = None


def parse_headers(data: bytes) -> list[tuple[str, str]]:
    """The header fields of a message, unfolded, in order (bounded)."""
    end = data.find(b"\r\n\r\n")
    block = data if end < 0 else data[:end]
    fields: list[tuple[str, str]] = []
    for raw_line in block.replace(b"\r\n", b"\n").split(b"\n"):
        line = raw_line.decode("utf-8", "replace")
        if line[:1] in (" ", "\t") and fields:
            name, value = fields[-1]
            fields[-1] = (name, value + " " + line.strip())
        elif ":" in line:
            name, _, value = line.partition(":")
            if len(fields) >= MAX_INDEXED_HEADERS:
                break
            fields.append((name.strip(), value.strip()))
    return fields


def decode_mime_words(value: str | None) -> str | None:
    """`=?utf-8?q?...?=` -> text, leaving undecodable input as it is."""
    if not value:
        return value
    try:
        return str(make_header(decode_header(value)))
    except Exception:  # malformed encoded words are common in test mail
        return value


def trace_headers(env: Envelope) -> bytes:
    """Return-Path, Delivered-To and Received, as an MDA would prepend them."""
    with_ = env.protocol
    lines = [f"Return-Path: <{env.mail_from}>"]
    lines += [f"Delivered-To: {rcpt}" for rcpt in env.recipients]
    lines.append(
        f"Received: from {env.helo or 'unknown'} ({env.client})\r\n"
        f"\tby {env.hostname} (smtpcheck sink) with {with_} id {env.id}\r\n"
        f"\t; {formatdate(env.received_at, localtime=True)}"
    )
    return ("\r\n".join(lines) + "\r\n").encode("utf-8", "surrogateescape")


def _load_syncfs() -> Callable[[int], int] | None:
    """libc's syncfs(2) (Linux), or None where it does not exist."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        function: Callable[[int], int] = libc.syncfs
    except (OSError, AttributeError):
        return None
    return function


_SYNCFS = _load_syncfs()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Store:
    """A Maildir with its SQLite index. Writers: one thread at a time (the committer)."""

    def __init__(self, root: Path, durable: bool = True) -> None:
        self.root = Path(root)
        self.durable = durable
        self.maildir = self.root / "Maildir"
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    # -- opening -------------------------------------------------------------------
    def open(self, reconcile: bool = True) -> Store:
        """Create the directories and index if needed, and index orphan files."""
        for sub in ("tmp", "new", "cur"):
            (self.maildir / sub).mkdir(parents=True, exist_ok=True)
        self._db = self._connect()
        if reconcile:
            self.reconcile()
        return self

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.root / "index.sqlite", check_same_thread=False, timeout=30)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        # With syncfs the batch barrier covers the WAL file too, so SQLite need not fsync.
        full = self.durable and _SYNCFS is None
        db.execute(f"PRAGMA synchronous={'FULL' if full else 'OFF'}")
        db.executescript(SCHEMA)
        return db

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            self.open()
        assert self._db is not None
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def reconcile(self) -> int:
        """Index Maildir files the index does not know (a crash after rename). Returns count."""
        known = {row[0] for row in self.db.execute("SELECT path FROM messages")}
        added = 0
        for sub in ("new", "cur"):
            for entry in os.scandir(self.maildir / sub):
                rel = f"{sub}/{entry.name}"
                if rel not in known and entry.is_file():
                    self._index_orphan(Path(entry.path), rel)
                    added += 1
        if added:
            self.db.commit()
        return added

    def _index_orphan(self, path: Path, rel: str) -> None:
        raw = path.read_bytes()
        fields = parse_headers(raw)
        mail_from = next((v.strip("<>") for k, v in fields if k.lower() == "return-path"), "")
        rcpts = [v for k, v in fields if k.lower() == "delivered-to"]
        msg_id = path.name.split(".")[1] if path.name.count(".") >= 2 else path.name
        trace = self._trace_length(raw)
        env = Envelope(
            id=msg_id,
            mail_from=mail_from,
            recipients=rcpts,
            data=raw[trace:],
            received_at=path.stat().st_mtime,
            anomalies=[{"kind": "recovered", "detail": "re-indexed from the Maildir"}],
        )
        self._insert(env, rel, trace)

    @staticmethod
    def _trace_length(raw: bytes) -> int:
        """Length of our prepended trace headers (up to the end of the Received field)."""
        marker = raw.find(b"(smtpcheck sink)")
        if marker < 0:
            return 0
        end = raw.find(b"\r\n", raw.find(b"\t; ", marker))
        return end + 2 if end >= 0 else 0

    # -- writing -------------------------------------------------------------------
    def write_batch(
        self, envelopes: Sequence[Envelope], sessions: Sequence[SessionRecord] = ()
    ) -> None:
        """Make every envelope durable (file, directory, index) before returning.

        Finished sessions' records go into the same index transaction (one commit).
        """
        if not envelopes:
            if sessions:
                self.record_sessions(sessions)
            return
        with self._lock:
            tmp_dir, new_dir = f"{self.maildir}/tmp/", f"{self.maildir}/new/"
            fsync_each = self.durable and _SYNCFS is None
            rows = []
            for env in envelopes:
                trace = trace_headers(env)
                name = f"{int(env.received_at)}.{env.id}.{env.hostname.replace('/', '_')}"
                tmp_path = tmp_dir + name
                fd = os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                try:
                    written = os.write(fd, trace + env.data)
                    if written < len(trace) + len(env.data):
                        view = memoryview(trace + env.data)[written:]
                        while view:
                            view = view[os.write(fd, view) :]
                    if fsync_each:
                        os.fsync(fd)
                finally:
                    os.close(fd)
                os.rename(tmp_path, new_dir + name)
                rows.append(self._message_row(env, f"new/{name}", len(trace)))
            self.db.executemany(INSERT_MESSAGE, rows)
            if sessions:
                self.db.executemany(INSERT_SESSION, [_session_row(s) for s in sessions])
            self.db.commit()
            if self.durable:
                self._barrier()

    def _barrier(self) -> None:
        """Make the batch's files, their directory entries and the index durable.

        Group commit: one syncfs(2) flushes every file of the batch, the renames and the
        index's WAL with a single journal commit, instead of an fsync per file (each of
        which costs a journal commit: ~3 ms here). Without syncfs: fsync per file (done
        while writing), the directory, and SQLite's own fsync (synchronous=FULL).
        """
        if _SYNCFS is not None:
            fd = os.open(self.maildir / "new", os.O_RDONLY | os.O_DIRECTORY)
            try:
                if _SYNCFS(fd) != 0:
                    error = ctypes.get_errno()
                    raise OSError(error, f"syncfs: {os.strerror(error)}")
            finally:
                os.close(fd)
        else:
            _fsync_dir(self.maildir / "new")

    def _insert(self, env: Envelope, rel: str, trace_len: int) -> None:
        self.db.execute(INSERT_MESSAGE, self._message_row(env, rel, trace_len))

    @staticmethod
    def _message_row(env: Envelope, rel: str, trace_len: int) -> tuple[Any, ...]:
        fields = parse_headers(env.data)
        first: dict[str, str] = {}
        for name, value in fields:
            key = name.lower()
            if key in _INDEXED_FIELDS and key not in first:
                first[key] = value
        dumps = json.dumps
        return (
            env.id,
            env.received_at,
            env.mail_from,
            dumps(env.recipients),
            dumps(env.mail_params),
            dumps(env.rcpt_params),
            first.get("subject"),
            first.get("from"),
            first.get("to"),
            first.get("message-id"),
            dumps(fields),
            len(env.data),
            trace_len,
            rel,
            env.client,
            env.helo,
            env.protocol,
            _json_or_none(env.tls),
            _json_or_none(env.auth),
            env.session_id,
            dumps(env.anomalies),
        )

    def record_sessions(self, sessions: Iterable[SessionRecord]) -> None:
        """Index finished sessions (their anomalies, TLS and AUTH facts)."""
        with self._lock:
            self.db.executemany(INSERT_SESSION, [_session_row(s) for s in sessions])
            self.db.commit()

    # -- reading -------------------------------------------------------------------
    def list_messages(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Newest last; each a plain dict ready for JSON."""
        sql = "SELECT * FROM messages ORDER BY received_at, rowid"
        rows = self.db.execute(sql).fetchall()
        if limit is not None:
            rows = rows[-limit:] if limit > 0 else []
        return [_message_dict(row) for row in rows]

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM messages").fetchone()[0])

    def resolve(self, ident: str) -> dict[str, Any] | None:
        """A message by its id, a unique id prefix, or its 1-based position in `list`."""
        row = self.db.execute("SELECT * FROM messages WHERE id = ?", (ident,)).fetchone()
        if row is None and ident.isdigit() and len(ident) < 8:
            row = (
                self.db.execute(
                    "SELECT * FROM messages ORDER BY received_at, rowid LIMIT 1 OFFSET ?",
                    (int(ident) - 1,),
                ).fetchone()
                if int(ident) > 0
                else None
            )
        if row is None:
            like = ident.replace("%", "").replace("_", "") + "%"
            rows = self.db.execute("SELECT * FROM messages WHERE id LIKE ?", (like,)).fetchall()
            row = rows[0] if len(rows) == 1 else None
        return _message_dict(row) if row is not None else None

    def raw(self, message: dict[str, Any], with_trace: bool = True) -> bytes:
        """The stored bytes: with our trace headers (the Maildir file) or as received."""
        path: str = message["path"]
        trace_length: int = message["trace_length"]
        data = (self.maildir / path).read_bytes()
        return data if with_trace else data[trace_length:]

    def export_eml(self, message: dict[str, Any], target: Path) -> Path:
        """Write the message as an .eml file (CRLF, trace headers kept)."""
        target = Path(target)
        if target.is_dir():
            target = target / f"{message['id']}.eml"
        target.write_bytes(self.raw(message))
        return target

    def list_sessions(self) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT * FROM sessions ORDER BY started_at").fetchall()
        out = []
        for row in rows:
            item = dict(row)
            for key in ("tls", "auth", "anomalies"):
                item[key] = json.loads(item[key]) if item[key] else None
            out.append(item)
        return out

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
        """Delete every message and session record. Returns how many messages went."""
        with self._lock:
            count = self.count()
            for sub in ("tmp", "new", "cur"):
                for entry in os.scandir(self.maildir / sub):
                    if entry.is_file():
                        os.unlink(entry.path)
            self.db.execute("DELETE FROM messages")
            self.db.execute("DELETE FROM sessions")
            self.db.commit()
            return count


def _session_row(s: SessionRecord) -> tuple[Any, ...]:
    return (
        s.id,
        s.started_at,
        s.ended_at,
        s.client,
        s.helo,
        _json_or_none(s.tls),
        _json_or_none(s.auth),
        s.messages,
        json.dumps(s.anomalies),
        s.transcript,
    )


def _json_or_none(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def _message_dict(row: sqlite3.Row) -> dict[str, Any]:
    item = dict(row)
    for key in ("recipients", "mail_params", "rcpt_params", "headers", "anomalies"):
        item[key] = json.loads(item[key])
    for key in ("tls", "auth"):
        item[key] = json.loads(item[key]) if item[key] else None
    item["subject"] = decode_mime_words(item["subject"])
    return item
