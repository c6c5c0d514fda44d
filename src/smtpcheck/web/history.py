"""Past checks in SQLite: each run's options, its report (JSON) and its HTML file.

One row per check, written when the check ends. The options kept are the form's (no
secret: a check sends no password). Searchable by domain; read back for the
permalink, the downloads, a re-run and a comparison.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS checks (
    id TEXT PRIMARY KEY,
    domain TEXT NOT NULL,
    target TEXT NOT NULL,
    started_at REAL NOT NULL,
    finished_at REAL NOT NULL,
    status TEXT NOT NULL,
    exit_code INTEGER NOT NULL,
    verdict TEXT NOT NULL,
    lang TEXT NOT NULL,
    options TEXT NOT NULL,
    report TEXT NOT NULL,
    html TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS checks_domain ON checks(domain, started_at);
"""

SUMMARY_COLUMNS = "id, domain, target, started_at, finished_at, status, exit_code, verdict, lang"


@dataclass(frozen=True)
class StoredCheck:
    """One row: the summary columns plus the options and the report."""

    id: str
    domain: str
    target: str
    started_at: float
    finished_at: float
    status: str
    exit_code: int
    verdict: str
    lang: str
    options: dict[str, Any]
    report: dict[str, Any]

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "domain": self.domain,
            "target": self.target,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "status": self.status,
            "exit_code": self.exit_code,
            "verdict": self.verdict,
            "lang": self.lang,
        }


class History:
    """The checks database (thread-safe: one connection behind a lock)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def add(
        self,
        check_id: str,
        *,
        domain: str,
        options: dict[str, Any],
        report: dict[str, Any],
        html: str,
        started_at: float,
        lang: str,
    ) -> None:
        row = (
            check_id,
            domain.lower(),
            str(report.get("target", "")),
            started_at,
            time.time(),
            str(report.get("status", "")),
            int(report.get("exit_code", 0)),
            str(report.get("verdict", "")),
            lang,
            json.dumps(options),
            json.dumps(report, ensure_ascii=False),
            html,
        )
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO checks VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", row)
            self._db.commit()

    def search(self, query: str = "", limit: int = 100) -> list[dict[str, Any]]:
        """Newest first; `query` matches part of the domain or the target."""
        like = "%" + query.strip().lower().replace("%", "").replace("_", "") + "%"
        sql = (
            f"SELECT {SUMMARY_COLUMNS} FROM checks WHERE domain LIKE ? OR lower(target) LIKE ?"
            " ORDER BY started_at DESC LIMIT ?"
        )
        with self._lock:
            rows = self._db.execute(sql, (like, like, limit)).fetchall()
        return [dict(row) for row in rows]

    def get(self, check_id: str) -> StoredCheck | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {SUMMARY_COLUMNS}, options, report FROM checks WHERE id = ?", (check_id,)
            ).fetchone()
        if row is None:
            return None
        item = dict(row)
        item["options"] = json.loads(item["options"])
        item["report"] = json.loads(item["report"])
        return StoredCheck(**item)

    def html(self, check_id: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT html FROM checks WHERE id = ?", (check_id,)).fetchone()
        return None if row is None else str(row[0])
