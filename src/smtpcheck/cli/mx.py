"""`smtpcheck mx`: where a domain's mail goes (MX, A, AAAA), what is wrong with it.

This module is imported for `smtpcheck mx --help`, so it imports neither asyncio nor
dnspython at module level: the lookup and the rendering load them when the command runs.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any, NoReturn

import click

from smtpcheck.cli.common_options import UsageErrorExitsOne, dns_option, lang_option, output_option

if TYPE_CHECKING:
    from smtpcheck.dns.mx_model import Address, MxFinding, MxResult
    from smtpcheck.dns.resolver import Lookup
    from smtpcheck.knowledge.dns import MxFindingText

JSON_SCHEMA = "smtpcheck.mx/1"
SYSTEM_RESOLVER = "system resolver"

EXIT_OK = 0
EXIT_USAGE = 1
EXIT_NO_MAIL = 2
EXIT_DNS_FAILURE = 3
EXIT_INTERRUPTED = 130

EPILOG = """\b
Examples:
  smtpcheck mx fabrikam.com
  smtpcheck mx kate@fabrikam.com              # the domain of an address
  smtpcheck mx bücher.example --output json   # IDN: asks for xn--bcher-kva
  smtpcheck mx example.test --dns 127.0.0.1:5353 --timeout 2
  smtpcheck mx example.test --dns [::1]:5353 -6

\b
Exit codes:
  0  mail can be delivered: at least one mail host has an address
  1  usage error (bad option, domain or --dns value)
  2  the domain takes no mail: null MX, does not exist (NXDOMAIN),
     no MX/A/AAAA records, or no mail host has a (selected) address
  3  DNS failure: SERVFAIL, timeout, REFUSED, no DNS server reachable"""


def _fail(message: str, code: int, lang: str) -> NoReturn:
    from smtpcheck.knowledge.i18n import t

    click.echo(t("mx.error", lang, message=message), err=True)
    sys.exit(code)


@click.command(
    "mx",
    cls=UsageErrorExitsOne,  # 2 means "no mail" here
    epilog=EPILOG,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.argument("domain")
@dns_option(
    "Ask this DNS server (IPv6 as [::1]:5353) instead of the system resolver.", "dns_server"
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True, max=300),
    default=5.0,
    show_default=True,
    metavar="SECONDS",
    help="Hard deadline for each DNS query.",
)
@output_option("Report format; JSON is described in docs/json-mx.md.")
@click.option("-4", "family", flag_value=4, type=int, help="Only IPv4 addresses count.")
@click.option("-6", "family", flag_value=6, type=int, help="Only IPv6 addresses count.")
@lang_option("Language of the report and messages, text and JSON (default: from the locale).")
def mx(
    domain: str,
    dns_server: str | None,
    timeout: float,
    output: str,
    family: int | None,
    lang: str | None,
) -> None:
    """Show where mail for DOMAIN goes: its MX records by preference, each
    exchange's IPv4/IPv6 addresses with their TTLs, and what is wrong.

    DOMAIN may be a domain (a trailing dot is fine), an e-mail address, or an
    internationalized name. A domain without MX records but with an address is
    reported as an implicit MX (RFC 5321 §5.1); '0 .' as a null MX (RFC 7505).
    Warnings cover MX records that point at an alias (CNAME), at an IP address,
    or at a name that does not resolve, each with what to change. The DNSSEC AD
    flag is shown when the resolver validates.
    """
    import asyncio

    from smtpcheck.dns.mx import resolve_mail_hosts
    from smtpcheck.dns.names import InvalidDomainError, parse_domain
    from smtpcheck.dns.resolver import DnsConfigError, DnsServer, make_resolver
    from smtpcheck.knowledge.dns import explain_dns_input_error
    from smtpcheck.knowledge.i18n import pick_language, t

    language = pick_language(lang)
    try:
        parse_domain(domain)
        server = DnsServer.parse(dns_server) if dns_server is not None else None
    except (InvalidDomainError, DnsConfigError) as error:
        _fail(explain_dns_input_error(error.code, language, **error.facts), EXIT_USAGE, language)
    try:
        resolver = make_resolver(server, timeout=timeout)
    except DnsConfigError as error:
        reason = explain_dns_input_error(error.code, language, **error.facts)
        _fail(t("mx.system_config_hint", language, reason=reason), EXIT_DNS_FAILURE, language)
    try:
        result = asyncio.run(resolve_mail_hosts(domain, resolver, timeout))
    except KeyboardInterrupt:
        _fail(t("mx.interrupted", language), EXIT_INTERRUPTED, language)
    except OSError as error:  # e.g. no IPv6 on this machine for --dns [::1]
        where = str(server) if server is not None else t("mx.system_resolver", language)
        _fail(t("mx.cannot_query", language, server=where, error=error), EXIT_DNS_FAILURE, language)

    code = exit_code(result, family)
    if output == "json":
        # The JSON names the server in --dns syntax or as "system resolver", in any language.
        where = str(server) if server is not None else SYSTEM_RESOLVER
        document = to_json(result, family=family, dns_server=where, timeout=timeout, lang=language)
        document["exit_code"] = code
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        where = str(server) if server is not None else t("mx.system_resolver", language)
        render_text(result, family=family, dns_server=where, lang=language, timeout=timeout)
        if result.status.is_dns_failure:
            from smtpcheck.knowledge.dns import explain_mx_status

            meaning = explain_mx_status(result.status, language).meaning
            detail = _detail(result.status, result.detail, language, timeout)
            message = t("mx.lookup_failed", language, domain=result.domain, meaning=meaning)
            click.echo(
                t("mx.error", language, message=message + (f" ({detail})" if detail else "")),
                err=True,
            )
        elif code == EXIT_DNS_FAILURE:
            message = t("mx.host_lookups_failed", language, domain=result.domain)
            click.echo(t("mx.error", language, message=message), err=True)
    sys.exit(code)


def _detail(status: str, detail: str, lang: str, timeout: float) -> str:
    """The resolver's detail of a failure; a timeout's (always "no answer within N s",
    from this command's own --timeout) is said in `lang`."""
    if status == "timeout" and detail:
        from smtpcheck.knowledge.i18n import t

        return t("mx.no_answer_within", lang, seconds=f"{timeout:g}")
    return detail


def _selected(addresses: tuple[Address, ...], family: int | None) -> list[Address]:
    return [address for address in addresses if family is None or address.family == family]


def exit_code(result: MxResult, family: int | None = None) -> int:
    """0 deliverable, 2 no mail / no usable host, 3 DNS failure (see the epilog)."""
    from smtpcheck.dns.mx_model import MxStatus

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
    from smtpcheck.knowledge.dns import explain_lookup_status

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


def _finding_text(finding: MxFinding, lang: str, timeout: float) -> MxFindingText:
    from smtpcheck.knowledge.dns import explain_mx_finding

    facts = dict(finding.facts)
    if facts.get("detail"):
        facts["detail"] = _detail(facts.get("status", ""), facts["detail"], lang, timeout)
    return explain_mx_finding(finding.code, lang, **facts)


def to_json(
    result: MxResult,
    *,
    family: int | None,
    dns_server: str,
    timeout: float,
    lang: str = "en",
) -> dict[str, Any]:
    """The versioned JSON document (schema smtpcheck.mx/1, see docs/json-mx.md).

    Codes and raw DNS data are the same in every language; `meaning`, `advice` and the
    findings' `title`, `message` and `fix` are in `lang`.
    """
    from smtpcheck.knowledge.dns import explain_mx_status

    status_text = explain_mx_status(result.status, lang)
    findings = []
    for finding in result.findings:
        text = _finding_text(finding, lang, timeout)
        findings.append(
            {
                "code": finding.code,
                "severity": finding.severity.value,
                "message": text.message,
                "host": finding.host,
                "reference": finding.reference,
                "title": text.title,
                "fix": text.fix,
            }
        )
    return {
        "schema": JSON_SCHEMA,
        "lang": lang,
        "domain": result.domain,
        "display_domain": result.display_domain,
        "query": {"dns_server": dns_server, "timeout": timeout, "family": family},
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
        "findings": findings,
    }


def _no_address_reason(ipv4: Lookup, ipv6: Lookup, family: int | None, lang: str) -> str:
    from smtpcheck.knowledge.i18n import t

    looked = [found for found, number in ((ipv4, 4), (ipv6, 6)) if family in (None, number)]
    reason = ", ".join(f"{found.rdtype} {found.status.value.upper()}" for found in looked)
    other = ipv6 if family == 4 else ipv4
    if family and other.records:
        return t("mx.no_address_other_family", lang, reason=reason, family=10 - family)
    return t("mx.no_address", lang, reason=reason)


def _verdict(result: MxResult, family: int | None, lang: str) -> str:
    from smtpcheck.knowledge.i18n import t, tn

    code = exit_code(result, family)
    if code == EXIT_OK:
        usable = [host for host in result.hosts if _selected(host.addresses, family)]
        count = sum(len(_selected(host.addresses, family)) for host in usable)
        hosts = tn("mx.usable_hosts", len(usable), lang, total=len(result.hosts))
        return t("mx.verdict_ok", lang, hosts=hosts, addresses=tn("mx.addresses", count, lang))
    if code == EXIT_DNS_FAILURE:
        return t("mx.verdict_dns", lang)
    return t("mx.verdict_no_mail", lang)


def _sentence(text: str) -> str:
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")


def render_text(
    result: MxResult,
    *,
    family: int | None,
    dns_server: str,
    lang: str = "en",
    timeout: float = 5.0,
) -> None:
    """Print the report for people; rich is imported here so --help stays light."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from smtpcheck.dns.mx_model import MxStatus, Severity
    from smtpcheck.knowledge.dns import explain_mx_status
    from smtpcheck.knowledge.i18n import t

    console = Console(highlight=False, soft_wrap=False)
    name = result.domain
    if result.display_domain != result.domain:
        name = f"{result.display_domain} ({result.domain})"
    heading, _, rest = t("mx.heading", lang, name="\0", server=dns_server).partition("\0")
    console.print(Text.assemble(heading, (name, "bold"), rest))
    style = {EXIT_OK: "green", EXIT_DNS_FAILURE: "yellow"}.get(exit_code(result, family), "red")
    status_text = explain_mx_status(result.status, lang)
    console.print(Text(_sentence(status_text.meaning), style=style))
    if result.detail:
        detail = _detail(result.status, result.detail, lang, timeout)
        console.print(Text(t("mx.detail", lang, detail=detail), style="dim"))
    if result.status is MxStatus.NULL_MX:
        records = ", ".join(result.mx_lookup.records)
        console.print(Text(t("mx.mx_records", lang, records=records), style="dim"))
    if result.status is not MxStatus.MX:
        console.print(Text(t("mx.advice", lang, advice=status_text.advice)))

    if result.hosts:
        table = Table(box=None, pad_edge=False, show_edge=False, padding=(0, 2, 0, 0))
        table.add_column(t("mx.column.preference", lang), justify="right")
        table.add_column(t("mx.column.exchange", lang), overflow="fold")
        table.add_column(t("mx.column.address", lang), overflow="fold")
        table.add_column(t("mx.column.ttl", lang), justify="right")
        previous: int | None = None
        for host in result.hosts:
            pref = t("mx.implicit", lang) if host.implicit else str(host.preference)
            if previous == host.preference and not host.implicit:
                pref = f"={host.preference}"
            previous = host.preference
            exchange = host.exchange
            if host.canonical_name:
                exchange += f"\n  -> CNAME {host.canonical_name.rstrip('.')}"
            addresses = _selected(host.addresses, family)
            if not addresses:
                reason = _no_address_reason(host.ipv4, host.ipv6, family, lang)
                table.add_row(pref, exchange, Text(reason, style="red"), "")
                continue
            for index, address in enumerate(addresses):
                ttl = "" if address.ttl is None else f"{address.ttl}s"
                if index == 0:
                    table.add_row(pref, exchange, address.ip, ttl)
                else:
                    table.add_row("", "", address.ip, ttl)
        console.print()
        console.print(table)
        notes = []
        if result.mx_lookup.ttl is not None and result.status is MxStatus.MX:
            notes.append(t("mx.note_ttl", lang, ttl=result.mx_lookup.ttl))
        preferences = [host.preference for host in result.hosts if not host.implicit]
        if len(preferences) != len(set(preferences)):
            notes.append(t("mx.note_equal", lang))
        if family is not None:
            notes.append(t("mx.note_family", lang, family=family))
        for note in notes:
            console.print(Text(note, style="dim"))

    if result.findings:
        console.print()
        marks = {Severity.ERROR: ("x", "red"), Severity.WARNING: ("!", "yellow")}
        for finding in result.findings:
            mark, colour = marks.get(finding.severity, ("i", "cyan"))
            text = _finding_text(finding, lang, timeout)
            severity = t(f"mx.severity.{finding.severity.value}", lang)
            line = Text.assemble(
                (f"{mark} {severity}: ", colour),
                text.message,
                (f" [{finding.reference}]" if finding.reference else "", "dim"),
            )
            console.print(line)
            console.print(Text("  " + t("mx.fix", lang, fix=text.fix), style="dim"))

    console.print()
    console.print(Text(_verdict(result, family, lang), style=style))
    if result.authenticated:
        console.print(Text(t("mx.dnssec_validated", lang), style="green"))
    else:
        console.print(Text(t("mx.dnssec_not_validated", lang), style="dim"))
