"""Checks started from the web: validated requests, runs under way, their live updates.

A check runs as a task of the server's event loop (`CheckRun` from scenarios/check,
with the SSRF guard as its address policy and a progress hook that wakes the pages
watching it). When it ends, its report, the same HTML file as `check --html` and its
options go into the history. Caps: checks at once (all clients, and per client) and
checks started per client per minute.
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from smtpcheck.web.history import History
from smtpcheck.web.security import RateLimiter
from smtpcheck.web.settings import WebSettings

KEPT_IN_MEMORY = 50  # finished checks kept for their live pages; the rest is history
TLS_MODES = ("starttls", "none")


class CheckRefused(Exception):
    """The check cannot start; `status` is the HTTP status, the message says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class CheckRequest:
    """What the form (or the API) asks for; `validate()` before use."""

    target: str
    server: str | None = None
    port: int = 25
    tls: str = "starttls"  # STARTTLS when offered, or "none"
    send: bool = False  # DATA with a test message
    lang: str = "en"

    def validate(self) -> CheckRequest:
        """The request cleaned up; ValueError with a one-line reason when unusable."""
        from smtpcheck.hostport import HostPortError, split_host_port
        from smtpcheck.scenarios.check.run import UsageError, split_target

        target = self.target.strip()
        if not target or len(target) > 320:
            raise ValueError("give an address or a domain (at most 320 characters)")
        try:
            split_target(target, self.lang)
        except UsageError as exc:
            raise ValueError(str(exc)) from None
        server = (self.server or "").strip() or None
        if server is not None:
            try:
                split_host_port(server, self.port, allow_slash=True)
            except HostPortError as exc:
                raise ValueError(f"server: {exc}") from None
        if not 1 <= self.port <= 65535:
            raise ValueError("port: 1 to 65535")
        if self.tls not in TLS_MODES:
            raise ValueError(f"tls: one of {', '.join(TLS_MODES)}")
        if self.lang not in ("en", "it"):
            raise ValueError("lang: en or it")
        return dataclasses.replace(self, target=target, server=server)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @staticmethod
    def from_dict(data: dict[str, Any]) -> CheckRequest:
        fields = {f.name for f in dataclasses.fields(CheckRequest)}
        return CheckRequest(**{k: v for k, v in data.items() if k in fields})


class LiveCheck:
    """One check under way (or just finished): its run, and who is watching."""

    def __init__(self, check_id: str, request: CheckRequest, client: str) -> None:
        from smtpcheck.scenarios.check.run import split_target

        self.id = check_id
        self.request = request
        self.client = client
        self.domain = split_target(request.target, request.lang)[0]
        self.started_at = time.time()
        self.run: Any = None  # the CheckRun, once started
        self.report: dict[str, Any] | None = None  # the final report
        self.version = 0
        self._changed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    @property
    def done(self) -> bool:
        return self.report is not None

    def touch(self, *_: object) -> None:
        """Something changed: wake every page that watches (the progress hook)."""
        self.version += 1
        changed, self._changed = self._changed, asyncio.get_running_loop().create_future()
        if not changed.done():
            changed.set_result(None)

    def snapshot(self) -> dict[str, Any]:
        if self.report is not None:
            return self.report
        if self.run is None:
            return {"steps": [], "target": self.request.target}
        snapshot: dict[str, Any] = self.run.report.to_dict()
        return snapshot

    async def updates(self, heartbeat: float = 15.0) -> AsyncIterator[dict[str, Any] | None]:
        """The report so far each time it changes (None as a keep-alive), until done."""
        seen = -1
        while True:
            if self.version != seen:
                seen = self.version
                yield self.snapshot()
                if self.done:
                    return
            waiting = self._changed
            try:
                await asyncio.wait_for(asyncio.shield(waiting), heartbeat)
            except TimeoutError:
                yield None


class CheckService:
    """Starts checks, keeps the recent ones in memory, writes finished ones to history."""

    def __init__(self, settings: WebSettings, history: History) -> None:
        self.settings = settings
        self.history = history
        self.starts = RateLimiter(settings.limits.checks_per_minute)
        self.live: OrderedDict[str, LiveCheck] = OrderedDict()
        self.tasks: set[asyncio.Task[None]] = set()

    def running(self, client: str | None = None) -> int:
        return sum(
            1 for c in self.live.values() if not c.done and (client is None or c.client == client)
        )

    def start(self, request: CheckRequest, client: str) -> LiveCheck:
        limits = self.settings.limits
        if self.running() >= limits.max_checks:
            raise CheckRefused(429, "too many checks are running: try again in a minute")
        if self.running(client) >= limits.max_checks_per_client:
            raise CheckRefused(429, "your other checks are still running: wait for them")
        if not self.starts.allow(client):
            raise CheckRefused(429, "too many checks started from your address: wait a minute")
        live = LiveCheck(secrets.token_urlsafe(12), request, client)
        self.live[live.id] = live
        while len(self.live) > KEPT_IN_MEMORY:
            oldest = next(iter(self.live.values()))
            if not oldest.done:
                break
            self.live.popitem(last=False)
        task = asyncio.create_task(self._run(live))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return live

    def options_for(self, live: LiveCheck) -> Any:
        from smtpcheck.scenarios.check.options import build_options

        request = live.request
        params: dict[str, Any] = {
            "target": request.target,
            "server": request.server,
            "port": request.port,
            "first": False,
            "dns": self.settings.dns,
            "ehlo": self.settings.ehlo,
            "sender": self.settings.sender,
            "null_sender": False,
            "send": request.send,
            "no_probes": False,
            "no_postmaster_probe": False,
            "no_random_probe": False,
            "no_relay_probe": False,
            "relay_rcpt": None,
            "no_starttls": request.tls == "none",
            "tls_ca": self.settings.tls_ca,
            "timeout": self.settings.timeout,
            "timeout_total": self.settings.timeout_total,
            "lang": request.lang,
        }
        options = build_options(params)
        return dataclasses.replace(
            options, address_policy=self.settings.target_policy, on_step=live.touch
        )

    async def _run(self, live: LiveCheck) -> None:
        from smtpcheck.report.render_html import render_html
        from smtpcheck.scenarios.check.run import CheckRun

        try:
            live.run = CheckRun(self.options_for(live))
            live.touch()
            report = await live.run.run()
            html = render_html(report, live.request.lang)
            final: dict[str, Any] = report.to_dict()
            self.history.add(
                live.id,
                domain=live.domain,
                options=live.request.to_dict(),
                report=final,
                html=html,
                started_at=live.started_at,
                lang=live.request.lang,
            )
        except Exception as exc:  # a bug of ours: the page says so instead of waiting
            final = {
                "target": live.request.target,
                "verdict": f"internal error: {type(exc).__name__}: {exc}",
                "status": "fail",
                "exit_code": 70,
                "steps": [],
                "findings": [],
            }
        live.report = final
        live.touch()

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
