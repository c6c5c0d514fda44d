"""`smtpcheck mx`: where a domain's mail goes (MX, A, AAAA), what is wrong with it.

This module is imported for `smtpcheck mx --help`, so it imports neither asyncio nor
dnspython at module level: the lookup and the rendering load them when the command runs.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from smtpcheck.dns import Address, Lookup, MxResult

JSON_SCHEMA = "smtpcheck.mx/1"

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


class _MxCommand(click.Command):
    """Click exits 2 on usage errors; this command keeps 2 for "no mail" and uses 1."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as error:
            # exit_code is a class attribute in click; override it on this instance only.
            setattr(error, "exit_code", EXIT_USAGE)  # noqa: B010
            raise


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"smtpcheck mx: error: {message}", err=True)
    sys.exit(code)


@click.command(
    "mx",
    cls=_MxCommand,
    epilog=EPILOG,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.argument("domain")
@click.option(
    "--dns",
    "dns_server",
    metavar="IP[:PORT]",
    help="Ask this DNS server (IPv6 as [::1]:5353) instead of the system resolver.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True, max=300),
    default=5.0,
    show_default=True,
    metavar="SECONDS",
    help="Hard deadline for each DNS query.",
)
@click.option(
    "--output",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Report format; JSON is described in docs/json-mx.md.",
)
@click.option("-4", "family", flag_value=4, type=int, help="Only IPv4 addresses count.")
@click.option("-6", "family", flag_value=6, type=int, help="Only IPv6 addresses count.")
def mx(
    domain: str, dns_server: str | None, timeout: float, output: str, family: int | None
) -> None:
    """Show where mail for DOMAIN goes: its MX records by preference, each
    exchange's IPv4/IPv6 addresses with their TTLs, and what is wrong.

    DOMAIN may be a domain (a trailing dot is fine), an e-mail address, or an
    internationalized name. A domain without MX records but with an address is
    reported as an implicit MX (RFC 5321 §5.1); '0 .' as a null MX (RFC 7505).
    Warnings cover MX records that point at an alias (CNAME), at an IP address,
    or at a name that does not resolve. The DNSSEC AD flag is shown when the
    resolver validates.
    """
    import asyncio

    from smtpcheck.dns import (
        DnsConfigError,
        DnsServer,
        InvalidDomainError,
        make_resolver,
        parse_domain,
        resolve_mail_hosts,
    )

    try:
        parse_domain(domain)
        server = DnsServer.parse(dns_server) if dns_server is not None else None
    except (InvalidDomainError, DnsConfigError) as error:
        _fail(str(error), EXIT_USAGE)
    try:
        resolver = make_resolver(server, timeout=timeout)
    except DnsConfigError as error:
        _fail(f"{error}; pass --dns IP[:PORT]", EXIT_DNS_FAILURE)
    try:
        result = asyncio.run(resolve_mail_hosts(domain, resolver, timeout))
    except KeyboardInterrupt:
        _fail("interrupted", EXIT_INTERRUPTED)
    except OSError as error:  # e.g. no IPv6 on this machine for --dns [::1]
        _fail(f"cannot query {server or 'the system resolver'}: {error}", EXIT_DNS_FAILURE)

    code = exit_code(result, family)
    where = str(server) if server is not None else "system resolver"
    if output == "json":
        document = to_json(result, family=family, dns_server=where, timeout=timeout)
        document["exit_code"] = code
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        render_text(result, family=family, dns_server=where)
        if result.status.is_dns_failure:
            detail = f" ({result.detail})" if result.detail else ""
            click.echo(
                f"smtpcheck mx: error: MX lookup of {result.domain} failed: "
                f"{result.meaning}{detail}",
                err=True,
            )
        elif code == EXIT_DNS_FAILURE:
            click.echo(
                f"smtpcheck mx: error: the address lookups of {result.domain}'s mail hosts "
                "failed (see the warnings)",
                err=True,
            )
    sys.exit(code)


def _selected(addresses: tuple[Address, ...], family: int | None) -> list[Address]:
    return [address for address in addresses if family is None or address.family == family]


def exit_code(result: MxResult, family: int | None = None) -> int:
    """0 deliverable, 2 no mail / no usable host, 3 DNS failure (see the epilog)."""
    from smtpcheck.dns import MxStatus

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


def _lookup_json(found: Lookup) -> dict[str, Any]:
    return {
        "name": found.name,
        "type": found.rdtype,
        "status": found.status.value,
        "records": list(found.records),
        "ttl": found.ttl,
        "authenticated": found.authenticated,
        "canonical_name": found.canonical_name,
        "detail": found.detail,
    }


def to_json(
    result: MxResult, *, family: int | None, dns_server: str, timeout: float
) -> dict[str, Any]:
    """The versioned JSON document (schema smtpcheck.mx/1, see docs/json-mx.md)."""
    return {
        "schema": JSON_SCHEMA,
        "domain": result.domain,
        "display_domain": result.display_domain,
        "query": {"dns_server": dns_server, "timeout": timeout, "family": family},
        "status": result.status.value,
        "meaning": result.meaning,
        "deliverable": exit_code(result, family) == EXIT_OK,
        "authenticated": result.authenticated,
        "detail": result.detail,
        "mx_lookup": _lookup_json(result.mx_lookup),
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
                "ipv4": _lookup_json(host.ipv4),
                "ipv6": _lookup_json(host.ipv6),
            }
            for host in result.hosts
        ],
        "findings": [
            {
                "code": finding.code,
                "severity": finding.severity.value,
                "message": finding.message,
                "host": finding.host,
                "reference": finding.reference,
            }
            for finding in result.findings
        ],
    }


def _no_address_reason(ipv4: Lookup, ipv6: Lookup, family: int | None) -> str:
    looked = [found for found, number in ((ipv4, 4), (ipv6, 6)) if family in (None, number)]
    reason = ", ".join(f"{found.rdtype} {found.status.value.upper()}" for found in looked)
    other = ipv6 if family == 4 else ipv4
    suffix = f" (has IPv{10 - family} only)" if family and other.records else ""
    return f"no address: {reason}{suffix}"


def _verdict(result: MxResult, family: int | None) -> str:
    code = exit_code(result, family)
    if code == EXIT_OK:
        usable = [host for host in result.hosts if _selected(host.addresses, family)]
        count = sum(len(_selected(host.addresses, family)) for host in usable)
        return (
            f"Result: mail can be delivered ({len(usable)} of {len(result.hosts)} "
            f"host(s) usable, {count} address(es))."
        )
    if code == EXIT_DNS_FAILURE:
        return "Result: unknown - DNS failed; senders will queue and retry."
    return "Result: no mail can be delivered to this domain."


def render_text(result: MxResult, *, family: int | None, dns_server: str) -> None:
    """Print the report for people; rich is imported here so --help stays light."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from smtpcheck.dns import MxStatus, Severity

    console = Console(highlight=False, soft_wrap=False)
    name = result.domain
    if result.display_domain != result.domain:
        name = f"{result.display_domain} ({result.domain})"
    console.print(Text.assemble(("Mail for ", ""), (name, "bold"), f"  [DNS: {dns_server}]"))
    style = {EXIT_OK: "green", EXIT_DNS_FAILURE: "yellow"}.get(exit_code(result, family), "red")
    console.print(Text(result.meaning[0].upper() + result.meaning[1:] + ".", style=style))
    if result.detail:
        console.print(Text(f"Detail: {result.detail}", style="dim"))
    if result.status is MxStatus.NULL_MX:
        console.print(Text("MX records: " + ", ".join(result.mx_lookup.records), style="dim"))

    if result.hosts:
        table = Table(box=None, pad_edge=False, show_edge=False, padding=(0, 2, 0, 0))
        table.add_column("Pref", justify="right")
        table.add_column("Exchange", overflow="fold")
        table.add_column("Address", overflow="fold")
        table.add_column("TTL", justify="right")
        previous: int | None = None
        for host in result.hosts:
            pref = "implicit" if host.implicit else str(host.preference)
            if previous == host.preference and not host.implicit:
                pref = f"={host.preference}"
            previous = host.preference
            exchange = host.exchange
            if host.canonical_name:
                exchange += f"\n  -> CNAME {host.canonical_name.rstrip('.')}"
            addresses = _selected(host.addresses, family)
            if not addresses:
                reason = _no_address_reason(host.ipv4, host.ipv6, family)
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
            notes.append(f"MX record TTL {result.mx_lookup.ttl}s.")
        preferences = [host.preference for host in result.hosts if not host.implicit]
        if len(preferences) != len(set(preferences)):
            notes.append(
                "'=' marks a host with the same preference as the one above: senders "
                "choose among equals at random."
            )
        if family is not None:
            notes.append(f"Only IPv{family} addresses are shown (-{family}).")
        for note in notes:
            console.print(Text(note, style="dim"))

    if result.findings:
        console.print()
        marks = {Severity.ERROR: ("x", "red"), Severity.WARNING: ("!", "yellow")}
        for finding in result.findings:
            mark, colour = marks.get(finding.severity, ("i", "cyan"))
            line = Text.assemble(
                (f"{mark} {finding.severity.value}: ", colour),
                finding.message,
                (f" [{finding.reference}]" if finding.reference else "", "dim"),
            )
            console.print(line)

    console.print()
    console.print(Text(_verdict(result, family), style=style))
    if result.authenticated:
        console.print(Text("DNSSEC: validated by the resolver (AD flag set).", style="green"))
    else:
        console.print(
            Text(
                "DNSSEC: not validated (no AD flag: unsigned zone or non-validating resolver).",
                style="dim",
            )
        )
