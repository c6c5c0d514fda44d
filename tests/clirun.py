"""Run `smtpcheck` as a user types it, in a subprocess, and read its JSON report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

SMTPCHECK = [sys.executable, "-m", "smtpcheck"]


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    @property
    def report(self) -> dict[str, Any]:
        return json.loads(self.stdout)

    def steps(self, name: str) -> list[dict[str, Any]]:
        return [s for s in self.report["steps"] if s["name"] == name]

    def step(self, name: str) -> dict[str, Any]:
        found = self.steps(name)
        assert found, f"no step {name!r} in {[s['name'] for s in self.report['steps']]}"
        return found[-1]


def run_cli(
    *args: str, timeout: float = 60, stdin: str | None = None, env: dict[str, str] | None = None
) -> CliResult:
    environment = {**os.environ, "NO_COLOR": "1", "LANG": "C.UTF-8", **(env or {})}
    proc = subprocess.run(
        [*SMTPCHECK, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment,
        input=stdin,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)
