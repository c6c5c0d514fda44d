"""Fixtures for the sink tests: a sink in a thread on a free loopback port, raw clients."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from smtpcheck.sink.config import Limits, SinkConfig
from smtpcheck.sink.server import ThreadedSink, run_in_thread


@pytest.fixture
def make_sink(tmp_path: Path) -> Iterator[Callable[..., ThreadedSink]]:
    """make_sink(**SinkConfig fields, limits=dict(...)) -> a running ThreadedSink."""
    with ExitStack() as stack:
        counter = iter(range(1000))

        def factory(**fields: Any) -> ThreadedSink:
            limits = replace(Limits(), **fields.pop("limits", {}))
            fields.setdefault("store_dir", tmp_path / f"store{next(counter)}")
            fields.setdefault("hostname", "sink.test")
            config = SinkConfig(port=0, limits=limits, **fields)
            return stack.enter_context(run_in_thread(config))

        yield factory


@pytest.fixture
def sink(make_sink: Callable[..., ThreadedSink]) -> ThreadedSink:
    return make_sink()


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
        except (TimeoutError, socket.timeout):
            return False
        except ConnectionError:
            return True

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def raw() -> Iterator[Callable[[int], RawClient]]:
    clients: list[RawClient] = []

    def connect(port: int) -> RawClient:
        client = RawClient(port)
        clients.append(client)
        return client

    yield connect
    for client in clients:
        client.close()


def wait_for(predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Poll until predicate() is truthy; return its value (assert on timeout)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not met in time")
