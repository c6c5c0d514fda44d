"""`smtpcheck receive`'s listener run on its own loop in a thread, for synchronous tests."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any


class ThreadedListener:
    """A `ReceiveListener` running on its own loop in a thread (for synchronous tests)."""

    def __init__(self, listener: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.listener = listener
        self.loop = loop

    @property
    def port(self) -> int:
        return int(self.listener.port)

    def wait_for_report(self, predicate: Any, timeout: float = 30.0) -> Any:
        """The first report whose message (raw bytes) satisfies `predicate`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for ident, report in list(self.listener.reports.items()):
                record = self.listener.reader.resolve(ident)
                if record is not None and predicate(self.listener.reader.raw(record)):
                    return report
            time.sleep(0.1)
        raise AssertionError("no report for the message within the deadline")


@contextlib.contextmanager
def listening(store: Path, dns_server: str, zones: Path) -> Iterator[ThreadedListener]:
    import tomllib

    from smtpcheck.knowledge.receive import parse_zones
    from smtpcheck.scenarios.receive.facts import ReceiveOptions
    from smtpcheck.scenarios.receive.listen import ReceiveListener, default_config

    options = ReceiveOptions(
        dns=dns_server,
        timeout=5.0,
        zones=parse_zones(tomllib.loads(zones.read_text())),
        zones_given=True,
    )
    config = default_config(host="127.0.0.1", port=0, store_dir=store, durable=False)
    ready = threading.Event()
    holder: dict[str, Any] = {}

    async def main() -> None:
        stop = asyncio.Event()
        holder["stop"] = stop
        async with ReceiveListener(config, options) as listener:
            holder["threaded"] = ThreadedListener(listener, asyncio.get_running_loop())
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=lambda: asyncio.run(main()), daemon=True)
    thread.start()
    assert ready.wait(20), "the listener did not start"
    threaded: ThreadedListener = holder["threaded"]
    try:
        yield threaded
    finally:
        threaded.loop.call_soon_threadsafe(holder["stop"].set)
        thread.join(40)
