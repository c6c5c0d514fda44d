"""Fixtures for the sink tests: a sink in a thread on a free loopback port, raw clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sinkutil import RawClient

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
