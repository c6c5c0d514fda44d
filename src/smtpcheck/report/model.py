"""The data every scenario returns: a `Report`, a tree of `Step`s plus `Finding`s.

Renderers (text, JSON, later HTML) read these objects and compute nothing; scenarios
build them and print nothing. `to_dict()` gives the versioned JSON form documented in
docs/json-report.md; bump `SCHEMA` when a field changes meaning or disappears.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from smtpcheck.transcript_entry import Direction, Entry

SCHEMA = "smtpcheck.report/1"


class Status(StrEnum):
    """Outcome of a step or the severity of a finding, mildest last in `SEVERITY_ORDER`."""

    FAIL = "fail"
    WARN = "warn"
    PASS = "pass"
    INFO = "info"
    SKIPPED = "skipped"


SEVERITY_ORDER = (Status.FAIL, Status.WARN, Status.PASS, Status.INFO, Status.SKIPPED)


def worst_status(statuses: Iterable[Status]) -> Status:
    """The most severe of `statuses` in `SEVERITY_ORDER`; INFO when there is none."""
    present = set(statuses)
    return next((status for status in SEVERITY_ORDER if status in present), Status.INFO)


@dataclass
class ReplyInfo:
    """A server reply as it goes into a report: code, enhanced code, text lines."""

    code: int
    enhanced_status: str | None
    lines: list[str]
    meaning: str | None = None
    anomalies: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "enhanced_status": self.enhanced_status,
            "lines": list(self.lines),
            "meaning": self.meaning,
            "anomalies": list(self.anomalies),
        }


@dataclass
class Explanation:
    """Why a step ended as it did and what to do: filled from `knowledge/`."""

    summary: str
    causes: list[str] = field(default_factory=list)
    fixes: list[str] = field(default_factory=list)
    next: str | None = None  # what a sending server does after this reply

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary,
            "causes": self.causes,
            "fixes": self.fixes,
            "next": self.next,
        }


@dataclass
class Step:
    """One thing that was tried: a command and its reply, a connection, a lookup."""

    name: str
    title: str
    status: Status = Status.INFO
    command: str | None = None
    reply: ReplyInfo | None = None
    duration_ms: float | None = None
    detail: str | None = None
    explanation: Explanation | None = None
    data: dict[str, Any] = field(default_factory=dict)
    children: list[Step] = field(default_factory=list)
    #: what this step found (check): each a pass/warn/fail/info verdict with its fix
    findings: list[Finding] = field(default_factory=list)
    #: the conversation of this step and its children (check: one per tested address)
    transcript: list[TranscriptLine] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "status": str(self.status),
            "command": self.command,
            "reply": self.reply.to_dict() if self.reply else None,
            "duration_ms": None if self.duration_ms is None else round(self.duration_ms, 3),
            "detail": self.detail,
            "explanation": self.explanation.to_dict() if self.explanation else None,
            "data": self.data,
            "children": [child.to_dict() for child in self.children],
            "findings": [finding.to_dict() for finding in self.findings],
            "transcript": [line.to_dict() for line in self.transcript],
        }


@dataclass
class Finding:
    """Something worth telling the user, ranked by status (fail before warn...)."""

    status: Status
    code: str
    message: str
    fix: str | None = None
    #: what the finding is about, e.g. "mx1.example.test [192.0.2.1]" (check); None: the run
    subject: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": str(self.status),
            "code": self.code,
            "message": self.message,
            "fix": self.fix,
            "subject": self.subject,
        }


#: sent data this long or longer is a message: the report says its size, not its text
MESSAGE_DATA = 4096


@dataclass
class TranscriptLine:
    """One line of the byte-exact conversation, already redacted where secret."""

    elapsed_ms: float
    direction: str  # "sent", "received", "note", "error"
    tls: bool
    text: str

    @classmethod
    def from_entry(cls, entry: Entry) -> TranscriptLine:
        """The report's form of a transcript entry (a message's text is left out)."""
        text = entry.text()
        if entry.direction is Direction.SENT and len(entry.data) >= MESSAGE_DATA:
            text = f"<{len(entry.data)} bytes of message data>"
        return cls(entry.elapsed * 1000, str(entry.direction), entry.tls, text)

    def to_dict(self) -> dict[str, Any]:
        return {
            "elapsed_ms": round(self.elapsed_ms, 3),
            "direction": self.direction,
            "tls": self.tls,
            "text": self.text,
        }


@dataclass
class Report:
    """What a scenario found: the verdict, the exit code, the steps and the findings."""

    scenario: str
    target: str
    verdict: str = ""
    exit_code: int = 0
    started_at: str = ""
    duration_ms: float = 0.0
    steps: list[Step] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    transcript: list[TranscriptLine] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def worst_status(self) -> Status:
        statuses = {step.status for step in self.walk()} | {f.status for f in self.findings}
        statuses |= {f.status for step in self.walk() for f in step.findings}
        return worst_status(statuses)

    def walk(self) -> list[Step]:
        """Every step, depth first."""
        out: list[Step] = []
        pending = list(reversed(self.steps))
        while pending:
            step = pending.pop()
            out.append(step)
            pending.extend(reversed(step.children))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "scenario": self.scenario,
            "target": self.target,
            "verdict": self.verdict,
            "exit_code": self.exit_code,
            "status": str(self.worst_status),
            "started_at": self.started_at,
            "duration_ms": round(self.duration_ms, 3),
            "steps": [step.to_dict() for step in self.steps],
            "findings": [finding.to_dict() for finding in self.findings],
            "transcript": [line.to_dict() for line in self.transcript],
            "data": self.data,
        }
