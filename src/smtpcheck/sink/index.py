"""The SQLite index of the store: one row per message and per session, for `sink list`,
`show` and `sessions`, and the rows' conversion to and from what the store hands out.

The index is written behind the spool (sink/journal.py). Its connection runs in
autocommit mode; writers open their own `BEGIN IMMEDIATE` transactions.
"""

from __future__ import annotations

import json
import sqlite3
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

from smtpcheck.sink.records import Envelope, SessionRecord

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
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value);
"""

MESSAGE_COLUMNS = (
    *("id", "received_at", "mail_from", "recipients", "mail_params", "rcpt_params"),
    *("subject", "from_header", "to_header", "message_id", "headers", "size"),
    *("trace_length", "path", "client", "helo", "protocol", "tls", "auth"),
    *("session_id", "anomalies"),
)
SESSION_COLUMNS = (
    *("id", "started_at", "ended_at", "client", "helo", "tls", "auth", "messages"),
    *("anomalies", "transcript"),
)
INSERT_MESSAGE = f"INSERT OR REPLACE INTO messages VALUES ({','.join('?' * 21)})"
INSERT_SESSION = f"INSERT OR REPLACE INTO sessions VALUES ({','.join('?' * 10)})"
MAX_INDEXED_HEADERS = 200
_INDEXED_FIELDS = frozenset({"subject", "from", "to", "message-id"})
CLEARED_AT = "cleared_at"


def connect(path: Path, synchronous: str) -> sqlite3.Connection:
    """Open (and create) the index; `synchronous` is SQLite's OFF, NORMAL or FULL."""
    db = sqlite3.connect(path, check_same_thread=False, timeout=30, isolation_level=None)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={synchronous}")
    db.executescript(SCHEMA)
    return db


def cleared_at(db: sqlite3.Connection) -> float:
    """When `sink clear` last ran (0: never): older records are not to be indexed."""
    row = db.execute("SELECT value FROM meta WHERE key = ?", (CLEARED_AT,)).fetchone()
    return float(row[0]) if row is not None else 0.0


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


def message_row(env: Envelope, rel: str, trace_len: int) -> tuple[Any, ...]:
    """The `messages` row of an envelope whose file is `rel` in the Maildir."""
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


def session_row(s: SessionRecord) -> tuple[Any, ...]:
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


def message_dict(row: sqlite3.Row | tuple[Any, ...]) -> dict[str, Any]:
    """A message as the store hands it out (plain dict, ready for JSON)."""
    item = dict(zip(MESSAGE_COLUMNS, tuple(row), strict=True))
    for key in ("recipients", "mail_params", "rcpt_params", "headers", "anomalies"):
        item[key] = json.loads(item[key])
    for key in ("tls", "auth"):
        item[key] = json.loads(item[key]) if item[key] else None
    item["subject"] = decode_mime_words(item["subject"])
    return item


def session_dict(row: sqlite3.Row | tuple[Any, ...]) -> dict[str, Any]:
    item = dict(zip(SESSION_COLUMNS, tuple(row), strict=True))
    for key in ("tls", "auth", "anomalies"):
        item[key] = json.loads(item[key]) if item[key] else None
    return item


def _json_or_none(value: Any) -> str | None:
    return None if value is None else json.dumps(value)
