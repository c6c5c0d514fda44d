"""The part every foreground daemon peer of the posture lab shares (knot, unbound,
nginx): a run folder, one child process, a log; stop, remove, tail."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from peers.process import stop_process, tail


class ForegroundPeer:
    """A daemon run as our child in the foreground; subclasses set `dir` and `log_path`
    and start `process`."""

    dir: Path
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    def stop(self) -> None:
        process, self.process = self.process, None
        stop_process(process, timeout=5)

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

    def log_tail(self, lines: int = 30) -> str:
        return tail(self.log_path, lines) or ""
