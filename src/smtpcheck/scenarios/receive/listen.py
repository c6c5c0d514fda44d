"""The listener: the capture server (`smtpcheck.sink.SinkServer`, reused as it is) with
an analysis of every message it commits.

The coupling to the sink is two public things only: its event listener (the "message"
event, sent once a message is durable) and its store's read API (`Store.resolve`,
`Store.raw`). The message's session facts (client, HELO, MAIL FROM, TLS, anomalies)
come from the store's record; the report is saved beside the store
(`scenarios.receive.reports`) and handed to `on_report`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import dns.asyncresolver

from smtpcheck.report.model import Report
from smtpcheck.scenarios.receive.analyse import analyse_message, resolver_for
from smtpcheck.scenarios.receive.facts import (
    MAX_ANALYSED_SIZE,
    ReceiveOptions,
    SessionFacts,
    client_ip_of,
)
from smtpcheck.scenarios.receive.reports import save_report
from smtpcheck.sink.config import SinkConfig
from smtpcheck.sink.server import SinkServer
from smtpcheck.sink.store import Store

ReportListener = Callable[[dict[str, Any], Report], None]
#: how long closing waits for analyses still running
CLOSE_GRACE = 30.0


def session_from_record(record: dict[str, Any]) -> SessionFacts:
    """The session facts of a stored message (the sink's index row)."""
    return SessionFacts(
        client_ip=client_ip_of(record.get("client") or ""),
        helo=record.get("helo") or None,
        mail_from=record.get("mail_from") or "",
        tls=record.get("tls"),
        tls_known=True,
        anomalies=tuple(record.get("anomalies") or ()),
        source="session",
        message_id=record.get("id"),
    )


class ReceiveListener:
    """A SinkServer whose committed messages are analysed as they arrive."""

    def __init__(
        self,
        config: SinkConfig,
        options: ReceiveOptions,
        on_report: ReportListener | None = None,
        *,
        resolver: dns.asyncresolver.Resolver | None = None,
        on_event: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.config = config
        self.options = options
        self.on_report = on_report
        self.on_event = on_event
        self.resolver = resolver or resolver_for(options)
        self.server = SinkServer(config, self._event)
        self.reader: Store | None = None
        self.reports: dict[str, Report] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        return self.server.port

    async def start(self) -> ReceiveListener:
        await self.server.start()
        # a connection of our own for reading: the committer thread writes on the
        # server's (SQLite in WAL mode lets both go on at once)
        self.reader = Store(self.config.store_dir, durable=False).open(reconcile=False)
        return self

    def _event(self, event: dict[str, Any]) -> None:
        if self.on_event is not None:
            with contextlib.suppress(Exception):
                self.on_event(event)
        if event.get("event") == "message" and event.get("id"):
            task = asyncio.get_running_loop().create_task(self._analyse(str(event["id"])))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _analyse(self, ident: str) -> None:
        assert self.reader is not None
        record = self.reader.resolve(ident)
        if record is None or int(record.get("size") or 0) > MAX_ANALYSED_SIZE:
            return
        raw = self.reader.raw(record, with_trace=False)
        report = await analyse_message(
            raw, session_from_record(record), self.options, resolver=self.resolver
        )
        self.reports[ident] = report
        await asyncio.get_running_loop().run_in_executor(
            None, save_report, self.config.store_dir, ident, report
        )
        if self.on_report is not None:
            with contextlib.suppress(Exception):  # a listener's bug must not stop us
                self.on_report(record, report)

    async def wait_idle(self, timeout: float = CLOSE_GRACE) -> None:
        """Wait (bounded) until every analysis started so far has finished."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)

    async def close(self) -> None:
        await self.server.close()
        await self.wait_idle()
        for task in self._tasks:
            task.cancel()
        if self.reader is not None:
            self.reader.close()

    async def __aenter__(self) -> ReceiveListener:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


def default_config(**settings: Any) -> SinkConfig:
    """A SinkConfig for `receive`: the thread writer, STARTTLS offered, every message
    kept (the sink's defaults otherwise)."""
    settings.setdefault("writer", "thread")
    return SinkConfig(**settings)
