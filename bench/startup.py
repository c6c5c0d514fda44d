"""Benchmark: smtpcheck's start-up and a short transaction, against swaks, in one run.

Measures the wall time of
  1. `smtpcheck --help`                          vs `swaks --help`
  2. `smtpcheck send ... --quit-after rcpt`      vs `swaks ... --quit-after RCPT`
both talking to the same private Postfix on loopback (started here, stopped at the end).
Runs alternate between the two tools so machine noise hits both alike; prints the median
of each and the ratio smtpcheck / swaks (target: <= 1.0).

A/B mode compares this tree with another version of smtpcheck in the same run, on the
same commands (plus `explain`), alternating as above: `--baseline REF` checks out the
git revision REF in a temporary worktree; `--baseline-env NAME=VALUE` runs this tree
with that variable set as the baseline (for a switch such as SMTPCHECK_NO_DATA_CACHE).
Both sides run the same console script with PYTHONPATH pointing at their source tree;
each row gives the median wall time and the median CPU time (user + system) of the
process, the steadier of the two on a busy machine. An A/A run (`--baseline HEAD`)
shows the noise: its differences should be near zero.

    .venv/bin/python bench/startup.py [--runs 15] [--baseline REF | --baseline-env N=V]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
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

Env = dict[str, str]


def wall_time(command: list[str], env: Env = ENV) -> float:
    started = time.perf_counter()
    proc = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{command[0]} failed ({proc.returncode}): {proc.stderr[-500:]!r}")
    return elapsed


def cpu_time(command: list[str], env: Env) -> float:
    """User + system CPU seconds of one run: less sensitive than wall time to other
    processes on a busy machine, and what start-up work costs."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall_time(command, env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def alternate(
    first: tuple[list[str], Env], second: tuple[list[str], Env], runs: int, measure=wall_time
) -> tuple[float, float]:
    """Median times (ms) of two commands run in turn `runs` times each."""
    measure(*first), measure(*second)  # warm the page cache (and write bytecode)
    first_times, second_times = [], []
    for _ in range(runs):
        first_times.append(measure(*first))
        second_times.append(measure(*second))
    return statistics.median(first_times) * 1000, statistics.median(second_times) * 1000


def compare(name: str, ours: list[str], theirs: list[str], runs: int) -> float:
    ours_median, theirs_median = alternate((ours, ENV), (theirs, ENV), runs)
    ratio = ours_median / theirs_median
    print(
        f"{name:<34} smtpcheck {ours_median:7.1f} ms   swaks {theirs_median:7.1f} ms"
        f"   ratio {ratio:.2f}"
    )
    return ratio


def compare_versions(name: str, command: list[str], baseline: Env, ours: Env, runs: int) -> None:
    for kind, measure in (("wall", wall_time), ("CPU", cpu_time)):
        base, our = alternate((command, baseline), (command, ours), runs, measure)
        print(
            f"{name:<28}{kind:>4}  baseline {base:7.1f} ms   this tree {our:7.1f} ms"
            f"   difference {our - base:+6.1f} ms"
        )


def with_pythonpath(source: Path, extra: Env | None = None) -> Env:
    return {**ENV, "PYTHONPATH": str(source), **(extra or {})}


@contextlib.contextmanager
def checkout(ref: str) -> Iterator[Path]:
    """A temporary detached worktree of `ref`; yields its `src` folder."""
    folder = Path(tempfile.mkdtemp(prefix="smtpcheck-baseline-"))
    tree = folder / "tree"
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(tree), ref],
        check=True,
    )
    try:
        yield tree / "src"
    finally:
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False
        )
        shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--baseline", metavar="REF", help="A/B against this git revision")
    group.add_argument(
        "--baseline-env", metavar="NAME=VALUE", help="A/B against this tree with NAME=VALUE set"
    )
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
        send = [*smtpcheck, "send", *common, "--quit-after", "rcpt"]
        print(f"median of {args.runs} runs each, alternating; Postfix at {server}")
        ratios = [
            compare("--help", [*smtpcheck, "--help"], [swaks, "--help"], args.runs),
            compare(
                "send ... --quit-after rcpt",
                send,
                [swaks, *common, "--quit-after", "RCPT"],
                args.runs,
            ),
        ]
        print(f"worst ratio smtpcheck/swaks: {max(ratios):.2f} (target <= 1.00)")
        if args.baseline or args.baseline_env:
            with contextlib.ExitStack() as stack:
                ours = with_pythonpath(ROOT / "src")
                if args.baseline:
                    baseline = with_pythonpath(stack.enter_context(checkout(args.baseline)))
                    print(f"A/B: {args.baseline} (baseline) against this tree")
                else:
                    name, _, value = args.baseline_env.partition("=")
                    baseline = with_pythonpath(ROOT / "src", {name: value})
                    print(f"A/B: {args.baseline_env} (baseline) against this tree without it")
                rows = [
                    ("--help", [*smtpcheck, "--help"]),
                    ("explain 550 5.1.1", [*smtpcheck, "explain", "550 5.1.1 no such user"]),
                    ("send ... --quit-after rcpt", send),
                ]
                for name, command in rows:
                    compare_versions(name, command, baseline, ours, args.runs)
    finally:
        peer.stop()
        peer.remove()
    return 0


if __name__ == "__main__":
    sys.exit(main())
