"""The durable path is the one taken: the spool's fdatasync returns before the 250 goes
out (seen by strace, in the system calls themselves), and a failing fdatasync means a
451 and no stored message, never a 250.
"""

from __future__ import annotations

import re
import signal
import smtplib
from pathlib import Path

import pytest
from crashkit import SinkProcess

from peers.process import require_program
from smtpcheck.sink.store import Store

MESSAGES = 6
# every thread and process; paths of descriptors; the records' first bytes (their ids)
TRACE = ("-f", "-y", "-s", "600", "-e", "trace=pwrite64,write,writev,sendto,sendmsg,fdatasync")


def send_one_by_one(port: int, count: int) -> list[str]:
    """Send `count` messages one after the other; the ids from their 250 replies."""
    ids = []
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
        for number in range(count):
            client.ehlo_or_helo_if_needed()
            client.mail("a@c.test")
            client.rcpt("b@s.test")
            code, reply = client.data(f"Subject: m{number}\r\n\r\nbody\r\n".encode())
            assert code == 250, reply
            ids.append(reply.decode().rsplit(" ", 1)[-1])
    return ids


def first_line(lines: list[str], start: int, pattern: str) -> int:
    """The number of the first line from `start` on matching `pattern` (len: none)."""
    test = re.compile(pattern)
    return next((n for n in range(start, len(lines)) if test.search(lines[n])), len(lines))


@pytest.mark.parametrize("writer", ["process", "thread"])
def test_fdatasync_returns_before_the_250_leaves(tmp_path: Path, writer: str) -> None:
    trace = tmp_path / "strace.txt"
    sink = SinkProcess(
        tmp_path / "store",
        writer,
        wrapper=[require_program("strace"), *TRACE, "-o", str(trace)],
    )
    assert sink.wait_listening(60), sink.errors()
    try:
        ids = send_one_by_one(sink.port, MESSAGES)
    finally:
        sink.kill_group(signal.SIGTERM)
        assert sink.wait_gone() == 0
    lines = trace.read_text(errors="replace").splitlines()
    for message_id in ids:
        # The record goes into the spool, the spool is synced, then the 250 is sent.
        answered = first_line(lines, 0, rf"250 2\.0\.0 Ok: queued as {message_id}")
        spooled = first_line(lines, 0, rf'pwrite64\(\d+<[^>]*\.spool>, ".*{message_id}')
        assert answered < len(lines) and spooled < len(lines), f"{message_id} not traced"
        pid, fd = re.findall(r"^(\d+)\s+pwrite64\((\d+)<", lines[spooled])[0]
        synced = call = first_line(lines, spooled, rf"^{pid}\s+fdatasync\({fd}<")
        if call < len(lines) and not lines[call].endswith("= 0"):  # <unfinished ...>
            synced = first_line(lines, call, rf"^{pid}\s+<\.\.\. fdatasync resumed>.*= 0$")
        assert spooled < synced < answered, "the 250 left before fdatasync returned:\n" + (
            "\n".join(line[:160] for line in lines[min(spooled, answered) : answered + 1])
        )


@pytest.mark.parametrize("writer", ["process", "thread"])
def test_a_failing_fdatasync_means_451_and_nothing_stored(tmp_path: Path, writer: str) -> None:
    store = tmp_path / "store"
    sink = SinkProcess(store, writer, fault="spool-sync-error:2")
    assert sink.wait_listening(), sink.errors()
    outcomes = []
    try:
        for subject in ("first", "second", "third"):
            with smtplib.SMTP("127.0.0.1", sink.port, timeout=30) as client:
                client.ehlo()
                client.mail("a@c.test")
                client.rcpt("b@s.test")
                code, reply = client.data(f"Subject: {subject}\r\n\r\nbody\r\n".encode())
                outcomes.append((subject, code, reply.decode()))
    finally:
        sink.kill_group(signal.SIGTERM)
        assert sink.wait_gone() == 0
    assert [code for _, code, _ in outcomes] == [250, 451, 250], outcomes
    assert "4.3.0" in outcomes[1][2]
    reopened = Store(store).open()
    try:
        assert [m["subject"] for m in reopened.list_messages()] == ["first", "third"]
    finally:
        reopened.close()
