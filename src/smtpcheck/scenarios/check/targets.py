"""Where `check` connects: the MX set of the domain (as `smtpcheck mx` finds it) or the
one `--server`, turned into report steps (domain -> MX host -> address) with findings.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass, field

import dns.asyncresolver

from smtpcheck.checks import make_finding
from smtpcheck.dns.mx import resolve_mail_hosts
from smtpcheck.dns.mx_model import MxFinding, MxResult, MxStatus, Severity
from smtpcheck.dns.resolver import LookupStatus, lookup
from smtpcheck.hostport import split_host_port
from smtpcheck.knowledge.dns import explain_mx_finding, explain_mx_status
from smtpcheck.knowledge.i18n import t
from smtpcheck.report.model import Finding, Status, Step, worst_status
from smtpcheck.scenarios.check.options import CheckOptions

_SEVERITY = {Severity.ERROR: Status.FAIL, Severity.WARNING: Status.WARN, Severity.INFO: Status.INFO}
_DOMAIN_FATAL = {
    MxStatus.NULL_MX: "null-mx",
    MxStatus.NXDOMAIN: "nxdomain",
    MxStatus.NO_MAIL_RECORDS: "no-mail-records",
}


@dataclass
class HostPlan:
    """One mail host to test: its step in the report and its addresses."""

    name: str
    step: Step
    addresses: list[tuple[str, int]] = field(default_factory=list)  # (ip, family)


@dataclass
class Plan:
    """Everything to test, in preference order, and why nothing can be if so."""

    steps: list[Step]
    hosts: list[HostPlan]
    port: int
    fatal: str | None = None  # a verdict reason when the domain has no usable host


def _mx_finding(finding: MxFinding, domain: str, lang: str) -> Finding:
    host = finding.host or domain
    detail = explain_mx_finding(finding.code, lang, **finding.facts).message
    try:
        return make_finding(
            _SEVERITY[finding.severity],
            finding.code,
            lang,
            subject=host,
            host=host,
            domain=domain,
            detail=detail,
        )
    except KeyError:  # a code check's catalogue does not know yet: the `mx` wording
        return Finding(_SEVERITY[finding.severity], finding.code, detail, subject=host)


async def plan_from_dns(
    options: CheckOptions, domain: str, resolver: dns.asyncresolver.Resolver, dns_timeout: float
) -> Plan:
    """Look up the MX set of `domain` and make a step per host."""
    lang = options.lang
    started = time.monotonic()
    result: MxResult = await resolve_mail_hosts(domain, resolver, dns_timeout)
    meaning = explain_mx_status(result.status, lang).meaning
    step = Step(name="mx", title=t("check.step.mx", lang, domain=result.display_domain))
    step.duration_ms = (time.monotonic() - started) * 1000
    step.detail = meaning
    step.data = {
        "status": str(result.status),
        "records": list(result.mx_lookup.records),
        "ttl": result.mx_lookup.ttl,
        "authenticated": result.authenticated,
    }
    step.findings = [_mx_finding(f, result.domain, lang) for f in result.findings]
    plan = Plan(steps=[step], hosts=[], port=options.port)
    if result.status in _DOMAIN_FATAL:
        code = _DOMAIN_FATAL[result.status]
        step.findings.insert(
            0, make_finding(Status.FAIL, code, lang, subject=result.domain, domain=result.domain)
        )
        key = "null_mx" if result.status is MxStatus.NULL_MX else "no_mail_host"
        plan.fatal = t(f"check.verdict.{key}", lang, domain=result.domain, reason=meaning)
    elif result.status.is_dns_failure:
        reason = meaning + (f" ({result.detail})" if result.detail else "")
        step.findings.insert(
            0,
            make_finding(
                Status.FAIL,
                "dns-failed",
                lang,
                subject=result.domain,
                domain=result.domain,
                reason=reason,
            ),
        )
        plan.fatal = t("check.verdict.dns", lang, domain=result.domain, reason=meaning)
    elif result.status is MxStatus.MX:
        step.findings.insert(
            0,
            make_finding(
                Status.PASS,
                "mx-ok",
                lang,
                subject=result.domain,
                domain=result.domain,
                count=len(result.hosts),
            ),
        )
    step.status = worst_status(f.status for f in step.findings)
    seen: set[tuple[str, str]] = set()
    for host in result.hosts:
        title_key = "implicit_host" if host.implicit else "mx_host"
        host_step = Step(
            name="mx-host",
            title=t(
                f"check.step.{title_key}", lang, preference=host.preference, host=host.exchange
            ),
            data={
                "preference": host.preference,
                "exchange": host.exchange,
                "implicit": host.implicit,
            },
        )
        plan_host = HostPlan(host.exchange, host_step)
        for address in host.addresses:
            if (host.exchange, address.ip) not in seen:
                seen.add((host.exchange, address.ip))
                plan_host.addresses.append((address.ip, address.family))
        if not plan_host.addresses:
            host_step.status = Status.FAIL
            host_step.detail = t("check.step.no_addresses", lang)
        plan.hosts.append(plan_host)
        plan.steps.append(host_step)
    if not plan.fatal and not any(h.addresses for h in plan.hosts):
        plan.fatal = t(
            "check.verdict.no_mail_host",
            lang,
            domain=result.domain,
            reason=t("check.step.no_addresses", lang),
        )
    return plan


async def plan_for_server(
    options: CheckOptions, resolver: dns.asyncresolver.Resolver | None, dns_timeout: float
) -> Plan:
    """The one host named by --server: an address as is, a name through DNS.

    Raises HostPortError when --server is not HOST[:PORT].
    """
    assert options.server is not None
    lang = options.lang
    host, port = split_host_port(options.server, options.port, allow_slash=True)
    step = Step(name="server", title=t("check.step.server", lang, server=options.server))
    plan_host = HostPlan(host, step)
    plan = Plan(steps=[step], hosts=[plan_host], port=port)
    try:
        address = ipaddress.ip_address(host)
        plan_host.addresses.append((str(address), address.version))
        return plan
    except ValueError:
        pass
    if resolver is not None:
        for rdtype, family in (("A", 4), ("AAAA", 6)):
            found = await lookup(resolver, host.rstrip(".") + ".", rdtype, timeout=dns_timeout)
            if found.status is LookupStatus.OK:
                plan_host.addresses += [(ip, family) for ip in found.records]
    if not plan_host.addresses:
        step.status = Status.FAIL
        step.detail = t("check.step.no_addresses", lang)
        plan.fatal = t(
            "check.verdict.no_mail_host",
            lang,
            domain=host,
            reason=t("check.step.no_addresses", lang),
        )
    return plan
