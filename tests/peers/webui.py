"""`smtpcheck web` as a test peer: started as a user starts it, on a free loopback port,
and read back through its API. The fixtures are in tests/web/conftest.py."""

from __future__ import annotations

import os
import selectors
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

#: the web lab's capture servers: one answers at once, one slowly (see tests/web)
FAST, SLOW = "127.0.5.2", "127.0.5.7"


def free_port(*hosts: str) -> int:
    """A TCP port free on every one of `hosts`."""
    for _ in range(100):
        with socket.socket() as probe:
            probe.bind((hosts[0], 0))
            port = int(probe.getsockname()[1])
        free = True
        for host in hosts[1:]:
            with socket.socket() as other:
                try:
                    other.bind((host, port))
                except OSError:
                    free = False
                    break
        if free:
            return port
    raise RuntimeError(f"no port free on all of {hosts}")


@dataclass
class WebLab:
    dns: str  # the --dns value of the session's dnsmasq
    port: int  # the capture servers' port on FAST and SLOW
    stores: dict[str, Path] = field(default_factory=dict)

    def args(self) -> list[str]:
        """Options for a `smtpcheck web` that checks this lab."""
        return [
            "--dns", self.dns,
            "--allow-targets", "127.0.0.0/8",
            "--allow-ports", str(self.port),
            "--timeout", "5",
            "--ehlo", "client.check.test",
            "--from", "tester@client.check.test",
            "--checks-per-minute", "200",
            "--max-checks", "20",
        ]  # fmt: skip


@dataclass
class WebServer:
    """A running `smtpcheck web`."""

    proc: subprocess.Popen[str]
    port: int
    home: Path  # its XDG_DATA_HOME (history, default store)
    sink_port: int | None = None
    output: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kwargs)

    def stop(self) -> str:
        """Stop it (SIGTERM, then SIGKILL); everything it printed."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rest = self.proc.stdout.read() if self.proc.stdout else ""
        return "".join(self.output) + (rest or "")

    def finished(self, body: dict[str, Any]) -> dict[str, Any]:
        """Start a check through the API and wait for its report."""
        with self.client() as client:
            started = client.post("/api/checks", json=body)
            assert started.status_code == 202, started.text
            return self.report_of(started.json()["id"])

    def report_of(self, check_id: str) -> dict[str, Any]:
        with self.client() as client:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                found: dict[str, Any] = client.get(f"/api/checks/{check_id}").json()
                if found["state"] == "done":
                    return found["report"]  # type: ignore[no-any-return]
                time.sleep(0.2)
        raise AssertionError(f"check {check_id} did not end")


def read_until(proc: subprocess.Popen[str], marker: str, seconds: float) -> list[str]:
    """Lines of `proc`'s output until one contains `marker` (or it exits, or time is up)."""
    assert proc.stdout is not None
    lines: list[str] = []
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not selector.select(timeout=0.2):
            if proc.poll() is not None:
                break
            continue
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if marker in line:
            break
    selector.close()
    return lines


def launch_web(
    home: Path,
    *args: str,
    port: int | None = None,
    env: dict[str, str] | None = None,
    expect_start: bool = True,
) -> WebServer:
    """`python -m smtpcheck web ARGS` (on 127.0.0.1:`port` unless ARGS say --listen)."""
    port = port or free_port("127.0.0.1")
    home.mkdir(parents=True, exist_ok=True)
    environment = {k: v for k, v in os.environ.items() if k != "SMTPCHECK_WEB_TOKEN"}
    environment.update({"XDG_DATA_HOME": str(home), "NO_COLOR": "1", **(env or {})})
    listen = [] if "--listen" in args else ["--listen", f"127.0.0.1:{port}"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "smtpcheck", "web", *listen, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=environment,
    )
    server = WebServer(proc, port, home)
    if expect_start:
        server.output = read_until(proc, "smtpcheck web on", 60)
        if not any("smtpcheck web on" in line for line in server.output):
            output = server.stop()
            pytest.fail(f"smtpcheck web did not start:\n{output}", pytrace=False)
    return server
