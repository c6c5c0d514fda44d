"""The `check` scenario: find where a domain's mail goes and test every door at once.

DNS (MX set, or --server) -> one `AddressCheck` per address of every host, run
concurrently (or one by one with --first), each with its own per-step deadlines, all
under one overall bound (--timeout-total). Then: is outbound port 25 blocked here, the
ranked findings, a one-sentence verdict and the exit code.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import dns.asyncresolver

from smtpcheck.checks import make_finding
from smtpcheck.checks.rdns import RdnsFacts
from smtpcheck.dns.names import InvalidDomainError, parse_domain
from smtpcheck.dns.resolver import (
    DnsConfigError,
    DnsServer,
    LookupStatus,
    lookup,
    make_resolver,
    reverse_lookup,
)
from smtpcheck.hostport import HostPortError
from smtpcheck.knowledge.dns import explain_dns_error
from smtpcheck.knowledge.i18n import t
from smtpcheck.net.errors import FailureKind, describe_os_error
from smtpcheck.net.verify import TrustStoreError, load_trust_store
from smtpcheck.report.model import Finding, Report, Status, Step, worst_status
from smtpcheck.scenarios.check.address import AddressCheck
from smtpcheck.scenarios.check.options import CheckExit, CheckOptions
from smtpcheck.scenarios.check.targets import Plan, plan_for_server, plan_from_dns
from smtpcheck.scenarios.check.verdict import conclude

ALTERNATE_PORTS = (587, 465)


class UsageError(ValueError):
    """The input cannot be checked (bad address, bad --dns, unreadable --tls-ca)."""


def split_target(target: str, lang: str) -> tuple[str, str, bool]:
    """(domain, recipient, explicit) from an address or a domain; UsageError if bad."""
    text = target.strip().strip("<>")
    try:
        domain = parse_domain(text).ascii
    except InvalidDomainError as exc:
        raise UsageError(explain_dns_error(exc.code, lang, **exc.facts)) from None
    if "@" in text:
        return domain, text, True
    return domain, f"postmaster@{domain}", False


def _rdns_lookup(resolver: dns.asyncresolver.Resolver, timeout: float):  # type: ignore[no-untyped-def]
    async def facts(ip: str) -> RdnsFacts:
        ptr = await reverse_lookup(ip, resolver, timeout=timeout)
        names = tuple(r.rstrip(".").lower() for r in ptr.records)
        forward: dict[str, list[str]] = {}
        for name in names[:3]:
            answers = await asyncio.gather(
                lookup(resolver, name + ".", "A", timeout=timeout),
                lookup(resolver, name + ".", "AAAA", timeout=timeout),
            )
            forward[name] = [r for a in answers if a.status is LookupStatus.OK for r in a.records]
        return RdnsFacts(ip, str(ptr.status), names, forward, ptr.detail)

    return facts


class CheckRun:
    """State of one `check`: the plan, the address tests, the report."""

    def __init__(
        self, options: CheckOptions, resolver: dns.asyncresolver.Resolver | None = None
    ) -> None:
        self.options = options
        self.resolver = resolver
        self.report = Report(scenario="check", target=options.server or options.target)
        self.checks: list[AddressCheck] = []

    async def run(self) -> Report:
        started = time.monotonic()
        self.report.started_at = datetime.now(UTC).isoformat(timespec="seconds")
        try:
            await self._run(started)
        except UsageError as exc:
            self.report.findings.append(Finding(Status.FAIL, "usage", str(exc)))
            self.report.verdict = str(exc)
            self.report.exit_code = int(CheckExit.USAGE)
        self.report.duration_ms = (time.monotonic() - started) * 1000
        return self.report

    async def _run(self, started: float) -> None:
        opts = self.options
        domain, recipient, explicit = split_target(opts.target, opts.lang)
        try:
            roots = load_trust_store(opts.tls_ca)
        except TrustStoreError as exc:
            raise UsageError(str(exc)) from None
        dns_timeout = min(opts.timeout, 10.0)
        resolver = self.resolver
        if resolver is None:
            try:
                server = DnsServer.parse(opts.dns) if opts.dns else None
                resolver = make_resolver(server, timeout=dns_timeout)
            except DnsConfigError as exc:
                if opts.dns or not opts.server:
                    raise UsageError(explain_dns_error(exc.code, opts.lang, **exc.facts)) from None
                resolver = None  # --server with an address needs no DNS
        self.report.data = {
            "domain": domain,
            "recipient": recipient,
            "recipient_given": explicit,
            "port": opts.port,
        }
        deadline = started + opts.timeout_total
        try:
            async with asyncio.timeout(opts.timeout_total):
                if opts.server:
                    try:
                        plan = await plan_for_server(opts, resolver, dns_timeout)
                    except HostPortError as exc:
                        raise UsageError(f"--server: {exc}") from None
                else:
                    assert resolver is not None
                    plan = await plan_from_dns(opts, domain, resolver, dns_timeout)
        except TimeoutError:
            plan = Plan(steps=[], hosts=[], port=opts.port, fatal="DNS: time limit")
        self.report.steps = plan.steps
        self.report.data["port"] = plan.port
        rdns = _rdns_lookup(resolver, dns_timeout) if resolver is not None else None
        for host in plan.hosts:
            for ip, family in host.addresses:
                check = AddressCheck(
                    opts,
                    host.name,
                    ip,
                    family,
                    roots=roots,
                    rdns=rdns,
                    recipient=recipient,
                    port=plan.port,
                )
                host.step.children.append(check.step)
                self.checks.append(check)
        if opts.on_step is not None:
            for step in self.report.walk():
                opts.on_step(step)
        if self.checks:
            if opts.first:
                await self._one_by_one(deadline)
            else:
                await self._all_at_once(deadline)
            for host in plan.hosts:
                if host.step.children:
                    host.step.status = worst_status(c.status for c in host.step.children)
            await self._port25_blocked()
        conclude(self.report, self.checks, plan.fatal, opts)

    async def _all_at_once(self, deadline: float) -> None:
        tasks = [asyncio.create_task(check.run()) for check in self.checks]
        _done, pending = await asyncio.wait(tasks, timeout=max(0.0, deadline - time.monotonic()))
        for task in pending:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _one_by_one(self, deadline: float) -> None:
        for index, check in enumerate(self.checks):
            remaining = deadline - time.monotonic()
            task = asyncio.create_task(check.run())
            _done, pending = await asyncio.wait([task], timeout=max(0.0, remaining))
            for waiting in pending:
                waiting.cancel()
            await asyncio.gather(task, return_exceptions=True)
            if check.accepted:
                for skipped in self.checks[index + 1 :]:
                    skipped.step.status = Status.SKIPPED
                    skipped.step.detail = t("check.step.skipped_first", self.options.lang)
                self.checks = self.checks[: index + 1]
                return

    async def _port25_blocked(self) -> None:
        """Every connection timed out on 25: probably blocked here; try 587 and 465."""
        if self.options.port != 25 or not self.checks:
            return
        if not all(c.connect_failure is FailureKind.TIMEOUT for c in self.checks):
            return
        lang = self.options.lang
        self.report.findings.append(make_finding(Status.FAIL, "port25-blocked", lang))
        timeout = min(5.0, self.options.timeout)
        probes = []
        for check in self.checks:
            step = Step(name="port-probe", title=t("check.step.port_probe", lang, ip=check.ip))
            check.step.children.append(step)
            probes.append(self._probe_ports(check, step, timeout))
        await asyncio.gather(*probes)

    async def _probe_ports(self, check: AddressCheck, step: Step, timeout: float) -> None:
        lang = self.options.lang
        summary = []
        policy = self.options.address_policy
        for port in ALTERNATE_PORTS:
            try:
                refused = policy(check.ip, port) if policy is not None else None
                if refused is not None:
                    raise OSError(refused)
                async with asyncio.timeout(timeout):
                    _reader, writer = await asyncio.open_connection(check.ip, port)
                writer.close()
                step.findings.append(
                    make_finding(
                        Status.INFO,
                        "alt-port-open",
                        lang,
                        subject=check.subject,
                        ip=check.ip,
                        port=port,
                    )
                )
                summary.append(t("check.step.port_probe_open", lang, port=port))
            except (OSError, TimeoutError) as exc:
                # asyncio's strerror is "Connect call failed (...)": the errno says more
                detail = (
                    t("check.step.port_probe_timeout", lang, seconds=f"{timeout:g}")
                    if isinstance(exc, TimeoutError)
                    else describe_os_error(exc, lang=lang)
                )
                step.findings.append(
                    make_finding(
                        Status.INFO,
                        "alt-port-closed",
                        lang,
                        subject=check.subject,
                        ip=check.ip,
                        port=port,
                        detail=detail,
                    )
                )
                summary.append(t("check.step.port_probe_closed", lang, port=port, detail=detail))
        step.detail = "; ".join(summary)  # seen without --verbose, unlike INFO findings
        step.status = Status.INFO


async def run_check(
    options: CheckOptions, resolver: dns.asyncresolver.Resolver | None = None
) -> Report:
    """Run the whole check; never raises for network or DNS trouble."""
    return await CheckRun(options, resolver).run()
