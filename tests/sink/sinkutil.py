"""Helpers for the sink tests: a raw line-level SMTP client, a polling wait, the sink
as a process (its live log, its memory) and its CLI."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


class RawClient:
    """A line-level SMTP client on a plain socket, for what smtplib will not send."""

    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 10) -> None:
        self.sock = socket.create_connection((host, port), timeout)
        self.buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def reply(self) -> tuple[int, list[str]]:
        """Read one complete (possibly multi-line) reply."""
        lines: list[str] = []
        while True:
            while b"\r\n" not in self.buffer:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError(f"closed; got so far {lines!r} {self.buffer!r}")
                self.buffer += chunk
            line, self.buffer = self.buffer.split(b"\r\n", 1)
            text = line.decode("utf-8", "replace")
            lines.append(text)
            if len(text) < 4 or text[3] != "-":
                return int(text[:3]), lines

    def cmd(self, line: str | bytes) -> tuple[int, list[str]]:
        self.send((line.encode() if isinstance(line, str) else line) + b"\r\n")
        return self.reply()

    def closed_by_peer(self, timeout: float = 5) -> bool:
        """True when the server closes the connection (after any pending bytes)."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buffer += chunk
        except TimeoutError:
            return False
        except ConnectionError:
            return True

    def close(self) -> None:
        self.sock.close()


def wait_for(predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Poll until predicate() is truthy; return its value (assert on timeout)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


class SinkProcess:
    """`smtpcheck sink ...` as a user runs it: a process on a free loopback port, its
    live log in a file, stopped with Ctrl-C (SIGINT)."""

    def __init__(self, store: Path, *args: str, log: Path | None = None) -> None:
        self.store = store
        self.log = log or store.with_name(store.name + ".log")
        self._log_file = open(self.log, "wb")  # noqa: SIM115
        command = [sys.executable, "-m", "smtpcheck", "sink", "--listen", "127.0.0.1:0"]
        self.process = subprocess.Popen(
            [*command, "--store", str(store), *args],
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        first = wait_for(self._first_line, 30)
        match = re.search(rb'listening on 127\.0\.0\.1:(\d+)|"port": (\d+)', first)
        assert match is not None, first
        self.port = int(match[1] or match[2])

    def _first_line(self) -> bytes | None:
        assert self.process.poll() is None, self.log.read_bytes()
        data = self.log.read_bytes()
        return data.split(b"\n", 1)[0] if b"\n" in data else None

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> bytes:
        return self.log.read_bytes()

    def stop(self) -> bytes:
        """Ctrl-C; the live log once the sink (and its writer) have finished."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log_file.close()
        return self.output()

    def __enter__(self) -> SinkProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def sink_cli(*args: str) -> subprocess.CompletedProcess[bytes]:
    """`smtpcheck sink ARGS` (list, show, sessions...), its output as bytes."""
    return subprocess.run(
        [sys.executable, "-m", "smtpcheck", "sink", *args],
        capture_output=True,
        timeout=60,
        check=False,
    )


def peak_rss_kib(pid: int) -> int:
    """The peak resident memory of a process so far (VmHWM), in KiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    assert match is not None, status
    return int(match[1])


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found
