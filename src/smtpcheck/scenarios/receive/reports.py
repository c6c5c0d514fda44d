"""Where the listener keeps its reports: one JSON file per message, beside the capture
store (`<store>/receive/<id>.json`), and how a stored report becomes a `Report` again
for `receive show` (text or HTML) and `receive list`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from smtpcheck.report.model import Finding, Report, Status, Step, TranscriptLine

REPORTS_DIR = "receive"


def report_path(store_root: Path, ident: str) -> Path:
    safe = "".join(c for c in ident if c.isalnum() or c in "-_.")
    return Path(store_root) / REPORTS_DIR / f"{safe}.json"


def save_report(store_root: Path, ident: str, report: Report) -> Path:
    """Write the report atomically (a reader never sees half a file)."""
    path = report_path(store_root, ident)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(report.to_dict(), ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, path)
    return path


def load_report(store_root: Path, ident: str) -> Report | None:
    """The stored report of message `ident`, or None when there is none (or it is
    unreadable)."""
    try:
        data = json.loads(report_path(store_root, ident).read_text(encoding="utf-8"))
        return report_from_dict(data)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _finding(data: dict[str, Any]) -> Finding:
    return Finding(
        status=Status(data["status"]),
        code=data["code"],
        message=data["message"],
        fix=data.get("fix"),
        subject=data.get("subject"),
    )


def _step(data: dict[str, Any]) -> Step:
    return Step(
        name=data["name"],
        title=data["title"],
        status=Status(data["status"]),
        detail=data.get("detail"),
        data=data.get("data") or {},
        children=[_step(child) for child in data.get("children", [])],
        findings=[_finding(f) for f in data.get("findings", [])],
    )


def report_from_dict(data: dict[str, Any]) -> Report:
    """A `Report` from its JSON form (`Report.to_dict()`), steps and findings whole."""
    return Report(
        scenario=data["scenario"],
        target=data["target"],
        verdict=data.get("verdict", ""),
        exit_code=int(data.get("exit_code", 0)),
        started_at=data.get("started_at", ""),
        duration_ms=float(data.get("duration_ms", 0.0)),
        steps=[_step(step) for step in data.get("steps", [])],
        findings=[_finding(f) for f in data.get("findings", [])],
        transcript=[TranscriptLine(**line) for line in data.get("transcript", [])],
        data=data.get("data") or {},
    )
