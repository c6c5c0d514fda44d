"""SIGKILL the sink while clients send: every message that got its 250 survives."""

from __future__ import annotations

import os
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from smtpcheck.sink.store import Store


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_sink(store: Path, port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "smtpcheck",
            "sink",
            "--listen",
            f"127.0.0.1:{port}",
            "--store",
            str(store),
            "--quiet",
            "--no-starttls",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return process
        except OSError:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            time.sleep(0.05)
    raise AssertionError("sink did not start")


def test_acknowledged_messages_survive_sigkill(tmp_path: Path) -> None:
    store, port = tmp_path / "store", free_port()
    process = start_sink(store, port)
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def sender(worker: int) -> None:
        number = 0
        while not stop.is_set():
            try:
                with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
                    while not stop.is_set():
                        subject = f"w{worker}-{number}"
                        number += 1
                        client.sendmail(
                            "a@c.test", ["b@s.test"], f"Subject: {subject}\r\n\r\nbody\r\n".encode()
                        )
                        with lock:
                            acknowledged.append(subject)
            except (OSError, smtplib.SMTPException):
                return

    threads = [threading.Thread(target=sender, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(1.5)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    stop.set()
    for thread in threads:
        thread.join(10)
    assert len(acknowledged) > 20
    restarted = start_sink(store, port)
    try:
        reopened = Store(store).open()
        subjects = {m["subject"] for m in reopened.list_messages()}
        missing = set(acknowledged) - subjects
        assert not missing, f"{len(missing)} acknowledged messages lost"
        for message in reopened.list_messages()[:5]:
            assert reopened.raw(message, with_trace=False).endswith(b"body\r\n")
    finally:
        restarted.terminate()
        restarted.wait(10)
