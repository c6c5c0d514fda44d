"""Two stored runs of one domain side by side: what changed between them.

Reads two report dictionaries (the JSON form) and lists the differences a reader
cares about: the verdict and exit code, the problems that appeared or went away, and
the steps whose outcome changed. Steps are matched by their place in the tree (name,
host, address), not by their titles, which depend on the language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PROBLEMS = ("fail", "warn")


@dataclass
class Comparison:
    """What differs from `before` to `after` (both report dictionaries)."""

    verdict_before: str
    verdict_after: str
    exit_before: int
    exit_after: int
    new_problems: list[dict[str, Any]] = field(default_factory=list)
    solved_problems: list[dict[str, Any]] = field(default_factory=list)
    changed_steps: list[dict[str, Any]] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return (
            self.exit_before == self.exit_after
            and not self.new_problems
            and not self.solved_problems
            and not self.changed_steps
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": {"before": self.verdict_before, "after": self.verdict_after},
            "exit_code": {"before": self.exit_before, "after": self.exit_after},
            "new_problems": self.new_problems,
            "solved_problems": self.solved_problems,
            "changed_steps": self.changed_steps,
            "same": self.same,
        }


def _problems(report: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for finding in report.get("findings", []):
        if finding.get("status") in PROBLEMS:
            key = (str(finding.get("code")), str(finding.get("subject") or ""))
            found.setdefault(key, finding)
    return found


def _step_key(step: dict[str, Any], parent: str) -> str:
    data = step.get("data") or {}
    extra = data.get("ip") or data.get("exchange") or ""
    return f"{parent}/{step.get('name')}{'@' + str(extra) if extra else ''}"


def _steps(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every step by its place in the tree (a repeated name gets #2, #3...)."""
    out: dict[str, dict[str, Any]] = {}
    pending = [(step, "") for step in reversed(report.get("steps", []))]
    while pending:
        step, parent = pending.pop()
        key = _step_key(step, parent)
        number = 2
        base = key
        while key in out:
            key = f"{base}#{number}"
            number += 1
        out[key] = step
        pending += [(child, key) for child in reversed(step.get("children", []))]
    return out


def _outcome(step: dict[str, Any]) -> str:
    reply = step.get("reply") or {}
    code = reply.get("code")
    return f"{step.get('status')}{' ' + str(code) if code else ''}"


def compare(before: dict[str, Any], after: dict[str, Any]) -> Comparison:
    result = Comparison(
        verdict_before=str(before.get("verdict", "")),
        verdict_after=str(after.get("verdict", "")),
        exit_before=int(before.get("exit_code", 0)),
        exit_after=int(after.get("exit_code", 0)),
    )
    old, new = _problems(before), _problems(after)
    result.new_problems = [new[key] for key in new if key not in old]
    result.solved_problems = [old[key] for key in old if key not in new]
    old_steps, new_steps = _steps(before), _steps(after)
    for key in [*old_steps, *(k for k in new_steps if k not in old_steps)]:
        a, b = old_steps.get(key), new_steps.get(key)
        if a is not None and b is not None and _outcome(a) == _outcome(b):
            continue
        if (b or a or {}).get("name") == "capability":  # EHLO keywords: the step shows them
            continue
        result.changed_steps.append(
            {
                "path": key,
                "title": (b or a or {}).get("title", ""),
                "before": _outcome(a) if a is not None else None,
                "after": _outcome(b) if b is not None else None,
            }
        )
    return result
