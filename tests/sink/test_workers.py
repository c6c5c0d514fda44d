"""`--workers N`: several processes on one port (SO_REUSEPORT) share one store safely."""

from __future__ import annotations

import signal
import smtplib
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from smtpcheck.sink.store import Store


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_two_workers_store_every_message_once(tmp_path: Path) -> None:
    store_dir, port = tmp_path / "store", free_port()
    command = [sys.executable, "-m", "smtpcheck", "sink", "--listen", f"127.0.0.1:{port}"]
    command += ["--store", str(store_dir), "--quiet", "--no-starttls", "--workers", "2"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.5).close()
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)

        def send(number: int) -> str:
            with smtplib.SMTP("127.0.0.1", port, timeout=20) as client:
                body = f"Subject: m{number}\r\n\r\nbody {number}\r\n".encode()
                client.sendmail("a@c.test", ["b@s.test"], body)
            return f"m{number}"

        with ThreadPoolExecutor(8) as pool:
            sent = set(pool.map(send, range(60)))
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    store = Store(store_dir).open()
    messages = store.list_messages()
    assert {m["subject"] for m in messages} == sent
    assert len({m["id"] for m in messages}) == len(messages) == 60
    assert len(list((store_dir / "Maildir" / "new").iterdir())) == 60
    assert {m["id"][-2:] for m in messages} <= {"00", "01"}  # the worker number
    store.close()
