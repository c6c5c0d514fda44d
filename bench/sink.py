"""Benchmark: Postfix's smtp-source against smtpcheck sink, aiosmtpd and smtp-sink.

    python bench/sink.py [--messages 5000] [--sessions 20] [--size 1024] [--workers N]
                         [--loop auto|asyncio|uvloop] [--writer process|thread] [--rounds 3]

Each server runs as its own process on loopback; smtp-source sends N messages of
--size bytes over --sessions parallel sessions, first with a new connection per
message, then reusing connections (`-d`); --rounds rounds alternate the servers, and
the medians are reported. smtpcheck sink runs with durable storage on (each 250 after
its batch is fdatasync'ed in the spool; the Maildir and index are written behind).
Prints msgs/s per server (messages acknowledged per second, as the client sees it) and
the ratios of smtpcheck sink to each peer, all measured in this run; for smtpcheck also
how long the Maildir took to catch up after the last 250 (each run starts with a new,
empty store), and the rate counting that time too ("with Maildir").

After each smtpcheck run the server is stopped and the store checked: every message
smtp-source sent (and got a 250 for: it fails otherwise) must be in the index and in
the Maildir, else the benchmark says MISMATCH and exits with status 1. smtpcheck sink
uses uvloop when it is installed (`--loop auto`); aiosmtpd runs on plain asyncio.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from statistics import median

AIOSMTPD_SINK = """
import asyncio, sys
from aiosmtpd.smtp import SMTP
class Sink:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"
async def main(port):
    loop = asyncio.get_running_loop()
    srv = await loop.create_server(lambda: SMTP(Sink(), hostname="aiosink.test"),
                                   "127.0.0.1", port, backlog=1024)
    async with srv:
        await srv.serve_forever()
asyncio.run(main(int(sys.argv[1])))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_listening(port: int, process: subprocess.Popen[bytes], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early with status {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listening on port {port} after {timeout} s")


@contextlib.contextmanager
def server(command: list[str], port: int) -> Iterator[None]:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_listening(port, process)
        yield
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_source(port: int, messages: int, sessions: int, size: int, reuse: bool) -> float:
    """Send the messages; the seconds it took."""
    command = [
        "smtp-source",
        "-s",
        str(sessions),
        "-m",
        str(messages),
        "-l",
        str(size),
        "-M",
        "client.example.test",
        "-f",
        "a@example.test",
        "-t",
        "b@example.test",
    ]
    if reuse:
        command.append("-d")
    command.append(f"127.0.0.1:{port}")
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"smtp-source failed: {result.stderr.strip()[:300]}")
    return elapsed


def catch_up(store_dir: Path, expected: int, timeout: float = 300) -> float:
    """Seconds until the Maildir holds `expected` files."""
    start = time.perf_counter()
    new = store_dir / "Maildir" / "new"
    while len(os.listdir(new)) < expected:
        if time.perf_counter() - start > timeout:
            break
        time.sleep(0.01)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--only", choices=["smtpcheck", "aiosmtpd", "smtp-sink"], default=None)
    parser.add_argument("--workers", type=int, default=1, help="smtpcheck sink --workers")
    parser.add_argument("--loop", choices=["auto", "asyncio", "uvloop"], default="auto")
    parser.add_argument("--writer", choices=["process", "thread"], default="process")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each, interleaved")
    args = parser.parse_args()
    for tool in ("smtp-source", "smtp-sink"):
        if shutil.which(tool) is None:
            print(f"{tool} not found: run scripts/install-peers.sh (postfix)", file=sys.stderr)
            return 2
    root = Path(tempfile.mkdtemp(prefix="bench-sink-"))
    stores: list[Path] = []

    def smtpcheck(port: int) -> list[str]:
        stores.append(root / f"store{len(stores)}")
        return [
            sys.executable,
            "-m",
            "smtpcheck",
            "sink",
            "--listen",
            f"127.0.0.1:{port}",
            "--store",
            str(stores[-1]),
            "--quiet",
            "--no-starttls",
            "--max-connections",
            "1000",
            "--workers",
            str(args.workers),
            "--loop",
            args.loop,
            "--writer",
            args.writer,
        ]

    servers = {
        "smtpcheck": smtpcheck,
        "aiosmtpd": lambda port: [sys.executable, "-c", AIOSMTPD_SINK, str(port)],
        "smtp-sink": lambda port: ["smtp-sink", "-u", "nobody", f"127.0.0.1:{port}", "1024"],
    }
    selected = {name: build for name, build in servers.items() if args.only in (None, name)}
    modes = (("new connection", False), ("reused (-d)", True))
    rates: dict[str, dict[str, list[float]]] = {n: {m: [] for m, _ in modes} for n in selected}
    behind: dict[str, list[tuple[float, float]]] = {m: [] for m, _ in modes}
    lost = 0
    try:
        # Rounds interleave the servers, so that a busy moment of the machine does not
        # fall on one of them only; the ratios are the medians of each round's ratios.
        for round_number in range(1, args.rounds + 1):
            for mode, reuse in modes:
                for name, build in selected.items():
                    port = free_port()
                    with server(build(port), port):
                        seconds = run_source(port, args.messages, args.sessions, args.size, reuse)
                        if name == "smtpcheck":
                            lag = catch_up(stores[-1], args.messages)
                    rate = args.messages / seconds
                    rates[name][mode].append(rate)
                    print(f"{round_number}  {name:<10} {mode:<15} {rate:>9,.0f} msg/s", flush=True)
                    if name == "smtpcheck":  # stopped: verify every acknowledged message
                        with_maildir = args.messages / (seconds + lag)
                        behind[mode].append((lag, with_maildir))
                        print(
                            f"{'':<13} Maildir caught up {lag:.2f} s after the last 250 "
                            f"({with_maildir:,.0f} msg/s with Maildir)"
                        )
                        lost += verify_store(stores[-1], args.messages)
                        shutil.rmtree(stores[-1], ignore_errors=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"\n{args.messages} messages of {args.size} B, {args.sessions} sessions, medians of")
    print(f"{args.rounds} rounds{'':<6}{'new connection':>16}{'reused (-d)':>16}")
    for name, by_mode in rates.items():
        print(f"{name:<16}" + "".join(f"{median(r):>16,.0f}" for r in by_mode.values()))
    if "smtpcheck" in rates:
        with_maildir = [median([r for _, r in runs]) for runs in behind.values()]
        print(f"{'  with Maildir':<16}" + "".join(f"{r:>16,.0f}" for r in with_maildir))
        for peer in ("aiosmtpd", "smtp-sink"):
            if peer in rates:
                ratios = [
                    median([a / b for a, b in zip(rates["smtpcheck"][m], runs, strict=True)])
                    for m, runs in rates[peer].items()
                ]
                print(f"smtpcheck/{peer:<6}" + "".join(f"{r:>15.2f}x" for r in ratios))
    loop = "uvloop" if args.loop != "asyncio" and uvloop_installed() else "asyncio"
    print(f"smtpcheck sink: --workers {args.workers}, event loop {loop}, --writer {args.writer}")
    return 1 if lost else 0


def uvloop_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("uvloop") is not None


def verify_store(store_dir: Path, expected: int) -> int:
    """Count the stored messages (index and Maildir); returns how many are missing."""
    from smtpcheck.sink.store import Store

    store = Store(store_dir).open(reconcile=False)  # as the sink left it
    try:
        indexed = int(store.db.execute("SELECT count(*) FROM messages").fetchone()[0])
    finally:
        store.close()
    files = len(list((store_dir / "Maildir" / "new").iterdir()))
    spooled = len(list((store_dir / "spool").iterdir()))
    ok = indexed == files == expected and not spooled
    print(
        f"{'':<10} stored durably: {indexed} indexed, {files} in Maildir of {expected} sent"
        + (f", {spooled} spool segments left" if spooled else "")
        + ("" if ok else "  <-- MISMATCH")
    )
    return 0 if ok else max(1, expected - min(indexed, files))


if __name__ == "__main__":
    sys.exit(main())
