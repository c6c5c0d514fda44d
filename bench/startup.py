"""Benchmark: smtpcheck's start-up and a short transaction, against swaks, in one run.

Measures the wall time of
  1. `smtpcheck --help`                          vs `swaks --help`
  2. `smtpcheck send ... --quit-after rcpt`      vs `swaks ... --quit-after RCPT`
both talking to the same private Postfix on loopback (started here, stopped at the end).
Runs alternate between the two tools so machine noise hits both alike; prints the median
of each and the ratio smtpcheck / swaks (target: <= 1.0).

    .venv/bin/python bench/startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from peers.postfix import PostfixPeer  # noqa: E402


def smtpcheck_program() -> list[str]:
    script = Path(sys.executable).parent / "smtpcheck"
    return [str(script)] if script.exists() else [sys.executable, "-m", "smtpcheck"]


# An installed smtpcheck has its bytecode cached, as any pip-installed package does;
# a PYTHONDONTWRITEBYTECODE left in the environment would make every run recompile.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def wall_time(command: list[str]) -> float:
    started = time.perf_counter()
    proc = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{command[0]} failed ({proc.returncode}): {proc.stderr[-500:]!r}")
    return elapsed


def compare(name: str, ours: list[str], theirs: list[str], runs: int) -> float:
    wall_time(ours), wall_time(theirs)  # warm the page cache
    ours_times, theirs_times = [], []
    for _ in range(runs):
        ours_times.append(wall_time(ours))
        theirs_times.append(wall_time(theirs))
    ours_median = statistics.median(ours_times) * 1000
    theirs_median = statistics.median(theirs_times) * 1000
    ratio = ours_median / theirs_median
    print(
        f"{name:<34} smtpcheck {ours_median:7.1f} ms   swaks {theirs_median:7.1f} ms"
        f"   ratio {ratio:.2f}"
    )
    return ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    swaks = shutil.which("swaks")
    if swaks is None:
        raise SystemExit("swaks is not installed: run scripts/install-peers.sh")
    smtpcheck = smtpcheck_program()
    peer = PostfixPeer()
    peer.start()
    try:
        server = f"{peer.host}:{peer.main_port}"
        common = [
            "--server",
            server,
            "--from",
            "bench@example.test",
            "--to",
            "alice@example.test",
            "--ehlo",
            "bench.example.test",
        ]
        print(f"median of {args.runs} runs each, alternating; Postfix at {server}")
        ratios = [
            compare("--help", [*smtpcheck, "--help"], [swaks, "--help"], args.runs),
            compare(
                "send ... --quit-after rcpt",
                [*smtpcheck, "send", *common, "--quit-after", "rcpt"],
                [swaks, *common, "--quit-after", "RCPT"],
                args.runs,
            ),
        ]
    finally:
        peer.stop()
        peer.remove()
    print(f"worst ratio smtpcheck/swaks: {max(ratios):.2f} (target <= 1.00)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
