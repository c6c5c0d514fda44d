"""Benchmark: a TLS-quality scan (quick and full) of two addresses, against SSLyze's CLI.

Scans the weak and the modern listener of a private Postfix (tests/peers/postfix_lab.py)
at once with `net.tls_scan.scan_tls_quality`, quick and full, and with
`python -m sslyze --starttls smtp` (every suite of every version, groups, ROBOT,
Heartbleed, CCS, fallback, renegotiation, compression, early data, EMS and the
certificate with its trust stores) in the same run. `--delay MS` puts a loopback proxy in
front of each listener that holds every chunk MS milliseconds each way, so the round
trip is about 2*MS: loopback has none, mail servers on the internet have tens.
Prints the median of each and the ratio ours / SSLyze's CLI.

    .venv/bin/python bench/tls_scan.py [--runs 3] [--delay 25] [--connections 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from peers.postfix import PostfixPeer  # noqa: E402
from smtpcheck.net.tls_scan import scan_tls_quality  # noqa: E402
from smtpcheck.net.tls_scan_model import ScanTarget  # noqa: E402


class DelayProxy:
    """A loopback TCP proxy that holds every chunk `delay` seconds in each direction."""

    def __init__(self, target_port: int, delay: float) -> None:
        self.target_port = target_port
        self.delay = delay
        self.port = 0

    async def start(self) -> None:
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, data = await queue.get()
                await asyncio.sleep(max(0.0, due - loop.time()))
                if not data:
                    writer.close()
                    return
                writer.write(data)
                await writer.drain()

        delivering = asyncio.create_task(deliver())
        try:
            while data := await reader.read(65536):
                queue.put_nowait((loop.time() + self.delay, data))
        except OSError:
            pass
        queue.put_nowait((loop.time() + self.delay, b""))
        await delivering

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                "127.0.0.1", self.target_port
            )
        except OSError:
            writer.close()
            return
        await asyncio.gather(
            self._pipe(reader, upstream_writer),
            self._pipe(upstream_reader, writer),
            return_exceptions=True,
        )


#: the SSLyze CLI scans that match what a full scan of ours covers (without them the CLI
#: scans nothing when --mozilla_config is disabled)
SSLYZE_SCANS = [
    "--sslv2", "--sslv3", "--tlsv1", "--tlsv1_1", "--tlsv1_2", "--tlsv1_3",
    "--elliptic_curves", "--robot", "--heartbleed", "--openssl_ccs", "--fallback",
    "--reneg", "--compression", "--early_data", "--ems", "--certinfo",
]  # fmt: skip


def start_proxies(ports: list[int], delay: float) -> list[int]:
    """Run one proxy per port on a loop in a daemon thread; their listening ports."""
    if delay <= 0:
        return ports
    loop = asyncio.new_event_loop()
    proxies = [DelayProxy(port, delay) for port in ports]
    threading.Thread(target=loop.run_forever, daemon=True).start()
    for proxy in proxies:
        asyncio.run_coroutine_threadsafe(proxy.start(), loop).result(10)
    return [proxy.port for proxy in proxies]


def ours(ports: list[int], quick: bool, connections: int) -> float:
    targets = [ScanTarget("mx.example.test", "127.0.0.1", port) for port in ports]
    started = time.perf_counter()
    results = asyncio.run(
        scan_tls_quality(
            targets,
            ehlo="bench.example.test",
            quick=quick,
            time_limit=600,
            connections_per_address=connections,
        )
    )
    elapsed = time.perf_counter() - started
    if any(result.outcome != "scanned" for result in results):
        raise SystemExit(f"scan failed: {[(r.outcome, r.detail) for r in results]}")
    return elapsed


def sslyze_cli(ports: list[int]) -> float:
    command = [sys.executable, "-m", "sslyze", "--starttls", "smtp", "--quiet"]
    command += ["--mozilla_config", "disable", *SSLYZE_SCANS]
    command += [f"mx.example.test:{port}{{127.0.0.1}}" for port in ports]
    started = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, timeout=900)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"sslyze failed ({proc.returncode}): {proc.stderr[-500:]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--delay", type=float, default=0.0, help="one-way delay, ms")
    parser.add_argument("--connections", type=int, default=5, help="per address")
    args = parser.parse_args()
    peer = PostfixPeer()
    peer.start()
    try:
        ports = start_proxies([peer.weak_tls_port, peer.modern_tls_port], args.delay / 1000)
        times: dict[str, list[float]] = {"quick": [], "full": [], "sslyze": []}
        for _ in range(args.runs):  # alternating, so machine noise hits all alike
            times["quick"].append(ours(ports, True, args.connections))
            times["full"].append(ours(ports, False, args.connections))
            times["sslyze"].append(sslyze_cli(ports))
        medians = {name: statistics.median(values) for name, values in times.items()}
        print(
            f"two addresses at once, one-way delay {args.delay:g} ms, "
            f"{args.connections} connections per address, median of {args.runs}"
        )
        for name in ("quick", "full"):
            ratio = medians[name] / medians["sslyze"]
            theirs = medians["sslyze"]
            print(
                f"smtpcheck {name:<5} {medians[name]:6.2f} s   sslyze CLI {theirs:6.2f} s"
                f"   ratio {ratio:.2f}"
            )
    finally:
        peer.stop()
        peer.remove()
    return 0


if __name__ == "__main__":
    sys.exit(main())
