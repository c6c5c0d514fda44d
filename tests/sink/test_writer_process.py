"""The writer process (`--writer process`, the CLI's default): writes the Maildir and
index behind the spool, finishes before the sink closes, ignores the signals a process
group gets, and a dead one is replaced without a message going missing."""

from __future__ import annotations

import os
import signal
import smtplib
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sinkutil import wait_for

from smtpcheck.sink.config import SinkConfig
from smtpcheck.sink.server import ThreadedSink, run_in_thread
from smtpcheck.sink.store import Store
from smtpcheck.sink.writer import ProcessCommitter


def send(port: int, subject: str) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.sendmail("a@c.test", ["b@s.test"], f"Subject: {subject}\r\n\r\nbody\r\n")


def writer_of(sink: ThreadedSink) -> int:
    committer = sink.server.committer
    assert isinstance(committer, ProcessCommitter)
    process = committer._process
    assert process is not None
    return process.pid


def maildir_files(sink: ThreadedSink) -> list[str]:
    return sorted(os.listdir(sink.store.maildir / "new"))


def test_messages_from_concurrent_sessions_are_stored(
    make_sink: Callable[..., ThreadedSink],
) -> None:
    sink = make_sink(writer="process")
    threads = [threading.Thread(target=send, args=(sink.port, f"s{i}")) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    subjects = sorted(m["subject"] for m in sink.messages())
    assert subjects == sorted(f"s{i}" for i in range(8))
    wait_for(lambda: len(maildir_files(sink)) == 8)


def test_closing_waits_for_the_writer(tmp_path: Path) -> None:
    config = SinkConfig(port=0, store_dir=tmp_path / "store", hostname="sink.test")
    config.writer = "process"
    with run_in_thread(config) as sink:
        send(sink.port, "one")
        committer = sink.server.committer
        assert isinstance(committer, ProcessCommitter) and committer._process is not None
        process = committer._process
    assert process.poll() == 0  # it ended with the sink, after writing everything
    assert not os.listdir(tmp_path / "store" / "spool")
    store = Store(tmp_path / "store").open()
    try:
        assert [m["subject"] for m in store.list_messages()] == ["one"]
        assert len(store.list_sessions()) == 1  # recorded at close, written at stop
    finally:
        store.close()


def test_the_writer_ignores_sigterm_and_sigint(make_sink: Callable[..., ThreadedSink]) -> None:
    sink = make_sink(writer="process")
    pid = writer_of(sink)
    os.kill(pid, signal.SIGTERM)
    os.kill(pid, signal.SIGINT)
    send(sink.port, "after the signals")
    wait_for(lambda: len(maildir_files(sink)) == 1)
    assert writer_of(sink) == pid  # the same process wrote it


def test_a_dead_writer_loses_nothing(make_sink: Callable[..., ThreadedSink]) -> None:
    """The messages are durable in the spool before their 250: a new writer replays
    what the dead one held."""
    sink = make_sink(writer="process")
    send(sink.port, "before")
    first = writer_of(sink)
    os.kill(first, signal.SIGKILL)
    time.sleep(0.1)
    send(sink.port, "after")  # still 250: durable in the spool
    assert [m["subject"] for m in sink.messages()] == ["before", "after"]
    wait_for(lambda: writer_of(sink) != first, timeout=10)
    wait_for(lambda: len(maildir_files(sink)) == 2, timeout=20)
