"""The writer process (`--writer process`, the CLI's default): stores, answers in
order, flushes at close, and turns its own death into 451s, never a lost 250."""

from __future__ import annotations

import os
import signal
import smtplib
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from smtpcheck.sink.config import SinkConfig
from smtpcheck.sink.server import ThreadedSink, run_in_thread
from smtpcheck.sink.store import Store


def send(port: int, subject: str) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.sendmail("a@c.test", ["b@s.test"], f"Subject: {subject}\r\n\r\nbody\r\n")


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
    files = os.listdir(sink.store.maildir / "new")
    assert len(files) == 8


def test_closing_flushes_the_writer(tmp_path: Path) -> None:
    config = SinkConfig(port=0, store_dir=tmp_path / "store", hostname="sink.test")
    config.writer = "process"
    with run_in_thread(config) as sink:
        send(sink.port, "one")
        process = sink.server.committer._process  # type: ignore[union-attr]
    assert process is not None and process.poll() == 0  # it ended with the sink
    store = Store(tmp_path / "store").open()
    try:
        assert [m["subject"] for m in store.list_messages()] == ["one"]
        assert len(store.list_sessions()) == 1  # recorded at close, written at stop
    finally:
        store.close()


def test_a_dead_writer_means_451_not_250(make_sink: Callable[..., ThreadedSink]) -> None:
    sink = make_sink(writer="process")
    send(sink.port, "before")
    committer = sink.server.committer
    assert committer is not None
    process = committer._process  # type: ignore[union-attr]
    assert process is not None
    os.kill(process.pid, signal.SIGKILL)
    process.wait(10)
    with pytest.raises(smtplib.SMTPDataError) as caught:
        send(sink.port, "after")
    assert caught.value.smtp_code == 451
    assert [m["subject"] for m in sink.messages()] == ["before"]
