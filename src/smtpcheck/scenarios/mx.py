"""The `mx` scenario: where a domain's mail goes (MX, A, AAAA), as a Report.

Looks the domain up (`dns.mx.resolve_mail_hosts`) and decides everything a reader is
told: the exit code, the verdict, the findings in the reader's language, and the
versioned `smtpcheck.mx/1` document (docs/json-mx.md) in `report.data["mx"]`. The
sentences only the text form shows (the no-address reasons, the notes under the table,
the resolver's detail in words) are in `report.data["text"]`. Renderers
(report/render_mx.py) lay these out and compute nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from smtpcheck.dns.errors import DnsError
from smtpcheck.dns.mx import resolve_mail_hosts
from smtpcheck.dns.mx_model import Address, MxFinding, MxResult, MxStatus, Severity
from smtpcheck.dns.names import parse_domain
from smtpcheck.dns.resolver import DnsServer, Lookup, make_resolver
from smtpcheck.knowledge.dns import (
    MxFindingText,
    explain_dns_error,
    explain_lookup_status,
    explain_mx_finding,
    explain_mx_status,
)
from smtpcheck.knowledge.i18n import t, tn
from smtpcheck.report.model import Finding, Report, Status

JSON_SCHEMA = "smtpcheck.mx/1"
#: how the JSON names the system's resolver, in every language
SYSTEM_RESOLVER = "system resolver"

EXIT_OK = 0
EXIT_USAGE = 1
EXIT_NO_MAIL = 2
EXIT_DNS_FAILURE = 3

_STATUS = {Severity.ERROR: Status.FAIL, Severity.WARNING: Status.WARN, Severity.INFO: Status.INFO}


@dataclass(frozen=True)
class MxOptions:
    """What `smtpcheck mx` was asked."""

    domain: str  # a domain, an address or an IDN, as typed
    dns: str | None = None  # "IP[:PORT]" of the DNS server; None: the system's
    timeout: float = 5.0  # each DNS query
    family: int | None = None  # 4 or 6: only those addresses count
    lang: str = "en"


class MxError(Exception):
    """The lookup could not be made: `message` (in the options' language) and the exit
    code (1: bad domain or --dns; 3: no usable resolver, or the query failed locally)."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


async def run_mx(options: MxOptions) -> Report:
    """Look the domain up; raises MxError when no lookup can be made."""
    lang = options.lang
    try:
        parse_domain(options.domain)
        server = DnsServer.parse(options.dns) if options.dns is not None else None
    except DnsError as error:
        raise MxError(explain_dns_error(error.code, lang, **error.facts), EXIT_USAGE) from None
    try:
        resolver = make_resolver(server, timeout=options.timeout)
    except DnsError as error:
        reason = explain_dns_error(error.code, lang, **error.facts)
        raise MxError(t("mx.system_config_hint", lang, reason=reason), EXIT_DNS_FAILURE) from None
    report = Report(scenario="mx", target=options.domain)
    report.started_at = datetime.now(UTC).isoformat(timespec="seconds")
    started = time.monotonic()
    try:
        result = await resolve_mail_hosts(options.domain, resolver, options.timeout)
    except OSError as error:  # e.g. no IPv6 on this machine for --dns [::1]
        where = str(server) if server is not None else t("mx.system_resolver", lang)
        message = t("mx.cannot_query", lang, server=where, error=error)
        raise MxError(message, EXIT_DNS_FAILURE) from None
    report.duration_ms = (time.monotonic() - started) * 1000
    _fill(report, result, options, server)
    return report


def _fill(report: Report, result: MxResult, options: MxOptions, server: DnsServer | None) -> None:
    lang, family = options.lang, options.family
    report.target = result.domain
    report.exit_code = exit_code(result, family)
    report.verdict = _verdict(result, family, lang)
    texts = [_finding_text(finding, options) for finding in result.findings]
    report.findings = [
        Finding(_STATUS[finding.severity], finding.code, text.message, text.fix, finding.host)
        for finding, text in zip(result.findings, texts, strict=True)
    ]
    # The JSON names the server in --dns syntax, or as "system resolver" in any language.
    dns_server = str(server) if server is not None else SYSTEM_RESOLVER
    document = _document(result, options, texts, dns_server)
    document["exit_code"] = report.exit_code
    name = result.domain
    if result.display_domain != result.domain:
        name = f"{result.display_domain} ({result.domain})"
    report.data = {
        "mx": document,
        "text": {
            "name": name,
            "server": str(server) if server is not None else t("mx.system_resolver", lang),
            "detail": _detail(result.status, result.detail, lang, options.timeout),
            "no_address": [
                ""
                if _selected(host.addresses, family)
                else _no_address_reason(host.ipv4, host.ipv6, family, lang)
                for host in result.hosts
            ],
            "notes": _notes(result, family, lang),
            "failure": _failure(result, report.exit_code, lang, options.timeout),
        },
    }


def _detail(status: str, detail: str, lang: str, timeout: float) -> str:
    """The resolver's detail of a failure; a timeout's (always "no answer within N s",
    from this command's own --timeout) is said in `lang`."""
    if status == "timeout" and detail:
        return t("mx.no_answer_within", lang, seconds=f"{timeout:g}")
    return detail


def _selected(addresses: tuple[Address, ...], family: int | None) -> list[Address]:
    return [address for address in addresses if family is None or address.family == family]


def exit_code(result: MxResult, family: int | None = None) -> int:
    """0 deliverable, 2 no mail / no usable host, 3 DNS failure (docs/json-mx.md)."""
    if result.status.is_dns_failure:
        return EXIT_DNS_FAILURE
    if result.status not in (MxStatus.MX, MxStatus.IMPLICIT_MX):
        return EXIT_NO_MAIL
    if any(_selected(host.addresses, family) for host in result.hosts):
        return EXIT_OK
    # No usable host: if an address lookup failed, DNS trouble may be the reason.
    wanted = {4: ("A",), 6: ("AAAA",)}.get(family or 0, ("A", "AAAA"))
    for host in result.hosts:
        for found in (host.ipv4, host.ipv6):
            if found.rdtype in wanted and found.status.is_failure:
                return EXIT_DNS_FAILURE
    return EXIT_NO_MAIL


def _lookup_json(found: Lookup, lang: str) -> dict[str, Any]:
    return {
        "name": found.name,
        "type": found.rdtype,
        "status": found.status.value,
        "meaning": explain_lookup_status(found.status, lang),
        "records": list(found.records),
        "ttl": found.ttl,
        "authenticated": found.authenticated,
        "canonical_name": found.canonical_name,
        "detail": found.detail,
    }


def _finding_text(finding: MxFinding, options: MxOptions) -> MxFindingText:
    facts = dict(finding.facts)
    if facts.get("detail"):
        status = facts.get("status", "")
        facts["detail"] = _detail(status, facts["detail"], options.lang, options.timeout)
    return explain_mx_finding(finding.code, options.lang, **facts)


def _document(
    result: MxResult, options: MxOptions, texts: list[MxFindingText], dns_server: str
) -> dict[str, Any]:
    """The versioned JSON document (schema smtpcheck.mx/1, see docs/json-mx.md).

    Codes and raw DNS data are the same in every language; `meaning`, `advice` and the
    findings' `title`, `message` and `fix` are in the options' language.
    """
    lang, family = options.lang, options.family
    status_text = explain_mx_status(result.status, lang)
    return {
        "schema": JSON_SCHEMA,
        "lang": lang,
        "domain": result.domain,
        "display_domain": result.display_domain,
        "query": {"dns_server": dns_server, "timeout": options.timeout, "family": family},
        "status": result.status.value,
        "meaning": status_text.meaning,
        "advice": status_text.advice,
        "deliverable": exit_code(result, family) == EXIT_OK,
        "authenticated": result.authenticated,
        "detail": result.detail,
        "mx_lookup": _lookup_json(result.mx_lookup, lang),
        "hosts": [
            {
                "preference": host.preference,
                "exchange": host.exchange,
                "implicit": host.implicit,
                "ttl": host.ttl,
                "canonical_name": host.canonical_name,
                "addresses": [
                    {"ip": address.ip, "family": address.family, "ttl": address.ttl}
                    for address in _selected(host.addresses, family)
                ],
                "ipv4": _lookup_json(host.ipv4, lang),
                "ipv6": _lookup_json(host.ipv6, lang),
            }
            for host in result.hosts
        ],
        "findings": [
            {
                "code": finding.code,
                "severity": finding.severity.value,
                "message": text.message,
                "host": finding.host,
                "reference": finding.reference,
                "title": text.title,
                "fix": text.fix,
            }
            for finding, text in zip(result.findings, texts, strict=True)
        ],
    }


def _no_address_reason(ipv4: Lookup, ipv6: Lookup, family: int | None, lang: str) -> str:
    looked = [found for found, number in ((ipv4, 4), (ipv6, 6)) if family in (None, number)]
    reason = ", ".join(f"{found.rdtype} {found.status.value.upper()}" for found in looked)
    other = ipv6 if family == 4 else ipv4
    if family and other.records:
        return t("mx.no_address_other_family", lang, reason=reason, family=10 - family)
    return t("mx.no_address", lang, reason=reason)


def _notes(result: MxResult, family: int | None, lang: str) -> list[str]:
    """What the text form says under the table of hosts."""
    if not result.hosts:
        return []
    notes = []
    if result.mx_lookup.ttl is not None and result.status is MxStatus.MX:
        notes.append(t("mx.note_ttl", lang, ttl=result.mx_lookup.ttl))
    preferences = [host.preference for host in result.hosts if not host.implicit]
    if len(preferences) != len(set(preferences)):
        notes.append(t("mx.note_equal", lang))
    if family is not None:
        notes.append(t("mx.note_family", lang, family=family))
    return notes


def _verdict(result: MxResult, family: int | None, lang: str) -> str:
    code = exit_code(result, family)
    if code == EXIT_OK:
        usable = [host for host in result.hosts if _selected(host.addresses, family)]
        count = sum(len(_selected(host.addresses, family)) for host in usable)
        hosts = tn("mx.usable_hosts", len(usable), lang, total=len(result.hosts))
        return t("mx.verdict_ok", lang, hosts=hosts, addresses=tn("mx.addresses", count, lang))
    if code == EXIT_DNS_FAILURE:
        return t("mx.verdict_dns", lang)
    return t("mx.verdict_no_mail", lang)


def _failure(result: MxResult, code: int, lang: str, timeout: float) -> str:
    """The one line for standard error when DNS trouble decided the outcome, or ""."""
    if result.status.is_dns_failure:
        meaning = explain_mx_status(result.status, lang).meaning
        detail = _detail(result.status, result.detail, lang, timeout)
        message = t("mx.lookup_failed", lang, domain=result.domain, meaning=meaning)
        return t("mx.error", lang, message=message + (f" ({detail})" if detail else ""))
    if code == EXIT_DNS_FAILURE:
        message = t("mx.host_lookups_failed", lang, domain=result.domain)
        return t("mx.error", lang, message=message)
    return ""
