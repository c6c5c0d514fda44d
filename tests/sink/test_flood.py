"""One client must not be able to exhaust the sink's memory or disk.

The sink runs as a process (with its writer process); a client floods one session
with pipelined NOOPs (each one an `improper-pipelining` anomaly), reading the replies
or never reading them. The peak memory of both processes (VmHWM, measured after the
session is recorded) must grow by far less than what was sent, and what is stored and
printed about the session must stay small. No timing is asserted: a socket deadline
only ends the sending once the sink stops reading.
"""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path

from sinkutil import RawClient, SinkProcess, children, peak_rss_kib, sink_cli, wait_for

from smtpcheck.sink.rules import Greylist
from smtpcheck.sink.state import EXAMPLES_PER_KIND, AnomalyLog

MiB = 1024 * 1024
NOOPS = b"NOOP\r\n" * (64 * 1024 // 6)


def sessions(store: Path) -> list[dict]:
    result = sink_cli("sessions", "--json", "--store", str(store))
    return json.loads(result.stdout)["sessions"] if result.returncode == 0 else []


def warm_up(sink: SinkProcess) -> dict[int, int]:
    """One ordinary session, recorded; then the peak memory of the sink and its writer."""
    client = RawClient(sink.port)
    client.reply()
    client.cmd("EHLO c.test")
    client.cmd("MAIL FROM:<a@c.test>")
    client.cmd("RCPT TO:<b@s.test>")
    client.cmd("DATA")
    assert client.cmd("Subject: warm\r\n\r\nup\r\n.")[0] == 250
    client.cmd("QUIT")
    client.close()
    wait_for(lambda: sessions(sink.store), 30)
    return {pid: peak_rss_kib(pid) for pid in [sink.pid, *children(sink.pid)]}


def growth_kib(before: dict[int, int]) -> dict[int, int]:
    return {pid: peak_rss_kib(pid) - peak for pid, peak in before.items()}


def test_pipelined_noop_flood_keeps_memory_and_records_small(tmp_path: Path) -> None:
    store = tmp_path / "store"
    # large enough that fixed costs (buffers up to the backpressure marks, allocator
    # arenas) stay far under the bound while the old unbounded growth (~100x) cannot
    flood = 12 * MiB
    with SinkProcess(store) as sink:
        before = warm_up(sink)
        assert len(before) == 2, "the sink and its writer process"
        client = RawClient(sink.port, timeout=30)
        client.reply()
        client.cmd("EHLO c.test")
        replies = bytearray()
        reader = threading.Thread(target=lambda: read_all(client.sock, replies), daemon=True)
        reader.start()
        for _ in range(flood // len(NOOPS)):
            client.send(NOOPS)
        client.send(b"QUIT\r\n")
        reader.join(120)
        assert replies.endswith(b"221 2.0.0 Bye\r\n"), bytes(replies[-100:])
        client.close()
        recorded = wait_for(lambda: len(sessions(store)) == 2 and sessions(store), 60)
        grown = growth_kib(before)
    for pid, kib in grown.items():
        assert kib * 1024 < flood / 2, f"process {pid} grew by {kib} KiB for {flood} bytes sent"
    flooded = recorded[-1]
    noop_kinds = [a for a in flooded["anomalies"] if a["kind"] == "improper-pipelining"]
    assert len(noop_kinds) == EXAMPLES_PER_KIND + 1  # the first few, then their count
    assert "in all" in noop_kinds[-1]["detail"]
    assert len(json.dumps(flooded)) < 8 * 1024
    assert len(sink.output()) < 16 * 1024  # the live log: a line per kept anomaly
    index = sum(path.stat().st_size for path in store.glob("index.sqlite*"))
    assert index < MiB


def read_all(sock: socket.socket, into: bytearray) -> None:
    while data := sock.recv(1 << 20):
        into += data


def test_client_that_never_reads_its_replies_is_not_read_either(tmp_path: Path) -> None:
    """Backpressure: the sink stops reading while its replies wait to be sent."""
    store = tmp_path / "store"
    flood = 64 * MiB
    with SinkProcess(store) as sink:
        before = warm_up(sink)
        client = RawClient(sink.port, timeout=5)
        client.reply()
        client.cmd("EHLO c.test")
        sent = 0
        try:
            while sent < flood:
                client.send(NOOPS)
                sent += len(NOOPS)
        except TimeoutError:
            pass  # the sink no longer reads: the kernel's buffers are full
        grown = growth_kib(before)
        client.close()
    assert sent < flood, "the sink read everything although nobody read its replies"
    for pid, kib in grown.items():
        assert kib * 1024 < 4 * MiB, f"process {pid} grew by {kib} KiB ({sent} bytes sent)"


def test_transcript_of_a_session_is_bounded(make_sink, raw, tmp_path: Path) -> None:
    directory = tmp_path / "t"
    sink = make_sink(transcript_dir=directory, limits={"transcript_limit": 64 * 1024})
    client = raw(sink.port)
    client.reply()
    client.send(b"EHLO c.test\r\n" + NOOPS * 4)
    for _ in range(1 + 4 * len(NOOPS) // 6):
        client.reply()
    assert client.cmd("QUIT")[0] == 221
    wait_for(lambda: sink.store.list_sessions())
    (path,) = directory.glob("*.jsonl")
    lines = path.read_text().splitlines()
    assert path.stat().st_size < 2 * 64 * 1024
    assert json.loads(lines[-1])["dir"] == "!" and "limit" in json.loads(lines[-1])["data"]


def test_anomaly_log_counts_every_kind_and_keeps_a_few() -> None:
    log = AnomalyLog()
    kept = [log.add("bare-lf", f"line {n}") for n in range(10_000)]
    assert sum(item is not None for item in kept) == EXAMPLES_PER_KIND
    log.add("nul", "x" * 100_000)
    assert log.counts == {"bare-lf": 10_000, "nul": 1}
    items = log.as_list()
    assert len(items) == EXAMPLES_PER_KIND + 2
    assert items[-1] == {"kind": "bare-lf", "detail": "9997 more not kept (10000 in all)"}
    assert max(len(item["detail"]) for item in items) <= 300


def test_greylist_memory_is_bounded() -> None:
    greylist = Greylist(delay=0, capacity=1000)
    for n in range(5000):
        assert greylist.check("192.0.2.1", "a@c.test", f"r{n}@s.test", now=0.0)
    assert len(greylist.first_seen) == 1000
    assert not greylist.check("192.0.2.1", "a@c.test", "r4999@s.test", now=1.0)  # newest kept
    assert greylist.check("192.0.2.1", "a@c.test", "r0@s.test", now=1.0)  # oldest forgotten
