"""What held when the sink was probed as an attacker would, kept tested: a BDAT chunk
declaring a huge size, and a thousand sessions at once (1 MB lines, binary junk and a
silent client are in test_bad_input.py)."""

from __future__ import annotations

import asyncio
import json
import resource
from pathlib import Path

from sinkutil import RawClient, SinkProcess, peak_rss_kib, sink_cli, wait_for

MiB = 1024 * 1024


def test_bdat_with_a_huge_declared_size_keeps_nothing_beyond_the_limit(tmp_path: Path) -> None:
    with SinkProcess(tmp_path / "store", "--max-size", "100000") as sink:
        client = RawClient(sink.port)
        client.reply()
        client.cmd("EHLO c.test")
        client.cmd("MAIL FROM:<a@c.test>")
        client.cmd("RCPT TO:<b@s.test>")
        before = peak_rss_kib(sink.pid)
        client.send(b"BDAT 1000000000000000 LAST\r\n")
        for _ in range(16):
            client.send(b"x" * MiB)
        client.close()  # it cannot ever send that much
        recorded = wait_for(lambda: sessions(sink.store), 30)
        assert "truncated" in {anomaly["kind"] for anomaly in recorded[0]["anomalies"]}
        grown = peak_rss_kib(sink.pid) - before
        check = RawClient(sink.port)
        assert check.reply()[0] == 220 and check.cmd("NOOP")[0] == 250
        check.close()
    assert grown * 1024 < 4 * MiB, f"the sink grew by {grown} KiB"
    listed = sink_cli("list", "--store", str(tmp_path / "store"))
    assert b"no messages" in listed.stdout


def sessions(store: Path) -> list[dict]:
    result = sink_cli("sessions", "--json", "--store", str(store))
    return json.loads(result.stdout)["sessions"] if result.returncode == 0 else []


async def one_session(port: int, number: int) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        async with asyncio.timeout(120):
            await reader.readuntil(b"\r\n")
            lines = [
                b"EHLO c.test",
                b"MAIL FROM:<a@c.test>",
                b"RCPT TO:<b@s.test>",
                b"DATA",
                b"Subject: %d\r\n\r\nbody\r\n." % number,
                b"QUIT",
            ]
            last = b""
            for line in lines:
                writer.write(line + b"\r\n")
                last = await reader.readuntil(b"\r\n")
                while last[3:4] == b"-":
                    last = await reader.readuntil(b"\r\n")
            return last
    finally:
        writer.close()


def test_a_thousand_concurrent_sessions_all_complete(tmp_path: Path) -> None:
    sessions = 1000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert hard >= 2 * sessions + 100, f"raise the open files limit (ulimit -n): {hard}"
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 2 * sessions + 100), hard))
    store = tmp_path / "store"
    with SinkProcess(store, "--max-connections", "2000", "--quiet") as sink:

        async def all_at_once() -> list[bytes | BaseException]:
            return await asyncio.gather(
                *(one_session(sink.port, n) for n in range(sessions)), return_exceptions=True
            )

        results = asyncio.run(all_at_once())
        failures = [r for r in results if not (isinstance(r, bytes) and r.startswith(b"221"))]
        assert not failures, failures[:5]
    listed = wait_for(lambda: sink_cli("list", "--json", "--store", str(store)).stdout, 30)
    assert listed.count(b'"id"') == sessions
