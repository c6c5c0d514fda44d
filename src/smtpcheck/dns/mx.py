"""Where does mail for a domain go? MX records, their addresses, and what is wrong with them.

`resolve_mail_hosts` answers the question the way an MTA would (RFC 5321 §5.1): the MX
records sorted by preference, each exchange with its A and AAAA addresses; the implicit
MX when a domain has no MX but has addresses; the null MX of RFC 7505 (the domain takes
no mail). Every failure (NXDOMAIN, no data, SERVFAIL, timeout, ...) stays visible in the
result, and things an MTA would stumble on are reported as `MxFinding`s.

Order: hosts are sorted by preference; hosts of equal preference keep the order the DNS
server sent them (a stable sort). RFC 5321 §5.1 asks senders to pick randomly among equal
preferences to spread load; a diagnostic tool must be reproducible, so we do not shuffle
unless asked (`mail_targets(..., shuffle=True)`), and the report shows equal preferences
side by side so the reader knows they are interchangeable.

The results are the frozen dataclasses of `smtpcheck.dns.mx_model` (re-exported here).
"""

from __future__ import annotations

import asyncio
import ipaddress
import random
from collections.abc import Callable
from functools import partial

import dns.asyncresolver

from smtpcheck.dns.mx_model import (
    FAILURE_STATUS,
    MailTarget,
    MxFinding,
    MxHost,
    MxResult,
    MxStatus,
    NoMailTargetsError,
    Severity,
)
from smtpcheck.dns.names import parse_domain
from smtpcheck.dns.resolver import (
    DEFAULT_TIMEOUT,
    DnsServer,
    Lookup,
    LookupStatus,
    lookup,
    make_resolver,
)


def _exchange_name(text: str) -> str:
    return text[:-1] if text.endswith(".") and text != "." else text


def _is_ip_literal(name: str) -> bool:
    candidate = name.strip("[]")
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return False
    return True


def _parse_mx(records: tuple[str, ...]) -> list[tuple[int, str]]:
    parsed = []
    for record in records:
        preference, _, exchange = record.partition(" ")
        parsed.append((int(preference), _exchange_name(exchange.lower())))
    return parsed


async def _addresses(
    resolver: dns.asyncresolver.Resolver, name: str, timeout: float
) -> tuple[Lookup, Lookup]:
    ipv4, ipv6 = await asyncio.gather(
        lookup(resolver, name + ".", "A", timeout=timeout),
        lookup(resolver, name + ".", "AAAA", timeout=timeout),
    )
    return ipv4, ipv6


async def resolve_mail_hosts(
    domain: str,
    resolver: dns.asyncresolver.Resolver,
    timeout: float = DEFAULT_TIMEOUT,
) -> MxResult:
    """Look up where mail for `domain` goes.

    `domain` may be a domain, an address (its domain is used), end in a dot, or be an
    internationalized name. Raises `InvalidDomainError` (a `ValueError`) on bad input;
    every DNS outcome is returned, never raised. Each query is bounded by `timeout`
    seconds; address lookups of all exchanges run concurrently, so the whole call takes
    at most about twice `timeout`.
    """
    name = parse_domain(domain)
    mx_lookup = await lookup(resolver, name.to_dns(), "MX", timeout=timeout)
    base = partial(MxResult, domain=name.ascii, display_domain=name.display, mx_lookup=mx_lookup)

    if mx_lookup.status is LookupStatus.NXDOMAIN:
        return base(status=MxStatus.NXDOMAIN, authenticated=mx_lookup.authenticated)
    if mx_lookup.status.is_failure:
        return base(status=FAILURE_STATUS[mx_lookup.status], detail=mx_lookup.detail)
    if mx_lookup.status is LookupStatus.NODATA:
        return await _implicit_mx(name.ascii, mx_lookup, base, resolver, timeout)
    return await _explicit_mx(mx_lookup, base, resolver, timeout)


async def _implicit_mx(
    domain: str,
    mx_lookup: Lookup,
    base: Callable[..., MxResult],
    resolver: dns.asyncresolver.Resolver,
    timeout: float,
) -> MxResult:
    ipv4, ipv6 = await _addresses(resolver, domain, timeout)
    host = MxHost(preference=0, exchange=domain, ipv4=ipv4, ipv6=ipv6, implicit=True)
    answered = [result for result in (ipv4, ipv6) if not result.status.is_failure]
    if host.addresses:
        findings = [
            MxFinding(
                code="implicit-mx",
                severity=Severity.INFO,
                host=domain,
                reference="RFC 5321 §5.1",
                facts={"domain": domain},
            )
        ]
        findings += _lookup_failures(host)
        return base(
            status=MxStatus.IMPLICIT_MX,
            hosts=(host,),
            findings=tuple(findings),
            authenticated=bool(answered) and all(result.authenticated for result in answered),
        )
    failed = [result for result in (ipv4, ipv6) if result.status.is_failure]
    if failed:
        return base(status=FAILURE_STATUS[failed[0].status], detail=failed[0].detail)
    return base(status=MxStatus.NO_MAIL_RECORDS, authenticated=mx_lookup.authenticated)


async def _explicit_mx(
    mx_lookup: Lookup,
    base: Callable[..., MxResult],
    resolver: dns.asyncresolver.Resolver,
    timeout: float,
) -> MxResult:
    # sorted() is stable: equal preferences keep the server's order (see module doc).
    records = sorted(_parse_mx(mx_lookup.records), key=lambda record: record[0])
    null_records = [record for record in records if record[1] == "."]
    real_records = [record for record in records if record[1] != "."]
    findings: list[MxFinding] = []

    if null_records:
        if any(preference != 0 for preference, _ in null_records):
            findings.append(
                MxFinding(
                    code="null-mx-preference",
                    severity=Severity.WARNING,
                    reference="RFC 7505 §3",
                )
            )
        if real_records:
            findings.append(
                MxFinding(
                    code="null-mx-mixed",
                    severity=Severity.WARNING,
                    reference="RFC 7505 §3",
                )
            )
        else:
            return base(
                status=MxStatus.NULL_MX,
                findings=tuple(findings),
                authenticated=mx_lookup.authenticated,
            )

    unique_names = list(dict.fromkeys(exchange for _, exchange in real_records))
    resolved = await asyncio.gather(
        *(_addresses(resolver, exchange, timeout) for exchange in unique_names)
    )
    by_name = dict(zip(unique_names, resolved, strict=True))
    hosts = tuple(
        MxHost(
            preference=preference,
            exchange=exchange,
            ipv4=by_name[exchange][0],
            ipv6=by_name[exchange][1],
            ttl=mx_lookup.ttl,
        )
        for preference, exchange in real_records
    )
    for exchange in unique_names:
        host = next(host for host in hosts if host.exchange == exchange)
        findings += _host_findings(host)
    if not any(host.addresses for host in hosts):
        findings.append(MxFinding(code="no-usable-host", severity=Severity.ERROR))
    return base(
        status=MxStatus.MX,
        hosts=hosts,
        findings=tuple(findings),
        authenticated=mx_lookup.authenticated,
    )


def _host_findings(host: MxHost) -> list[MxFinding]:
    findings: list[MxFinding] = []
    if _is_ip_literal(host.exchange):
        findings.append(
            MxFinding(
                code="mx-ip-literal",
                severity=Severity.WARNING,
                host=host.exchange,
                reference="RFC 1035 §3.3.9, RFC 5321 §5.1",
                facts={"host": host.exchange},
            )
        )
    if host.canonical_name:
        findings.append(
            MxFinding(
                code="mx-cname",
                severity=Severity.WARNING,
                host=host.exchange,
                reference="RFC 2181 §10.3, RFC 5321 §5.1",
                facts={"host": host.exchange, "target": host.canonical_name.rstrip(".")},
            )
        )
    lookups = (host.ipv4, host.ipv6)
    unanswered = not host.addresses and not any(result.status.is_failure for result in lookups)
    # An IP literal already has its own finding; calling it dangling too would be noise.
    if unanswered and not _is_ip_literal(host.exchange):
        gone = any(result.status is LookupStatus.NXDOMAIN for result in lookups)
        findings.append(
            MxFinding(
                code="mx-dangling",
                severity=Severity.WARNING,
                host=host.exchange,
                reference="RFC 5321 §5.1",
                facts={"host": host.exchange, "variant": "nxdomain" if gone else ""},
            )
        )
    findings += _lookup_failures(host)
    return findings


def _lookup_failures(host: MxHost) -> list[MxFinding]:
    return [
        MxFinding(
            code="mx-host-lookup-failed",
            severity=Severity.WARNING,
            host=host.exchange,
            facts={
                "host": host.exchange,
                "rdtype": result.rdtype,
                "status": result.status.value,
                "detail": result.detail,
            },
        )
        for result in (host.ipv4, host.ipv6)
        if result.status.is_failure
    ]


def targets_from_result(
    result: MxResult,
    *,
    family: int | None = None,
    prefer: int = 4,
    shuffle: bool = False,
    rng: random.Random | None = None,
) -> list[MailTarget]:
    """Flatten a result into (host, ip, preference) in the order to try them.

    Hosts by preference; within a host, addresses of family `prefer` first. `family`
    (4 or 6) keeps one family only. An address reached through several exchanges is
    listed once (retrying the same IP is pointless). With `shuffle`, hosts of equal
    preference are shuffled as RFC 5321 §5.1 asks of senders.
    """
    hosts = list(result.hosts)
    if shuffle:
        chooser = rng or random.Random()
        grouped: dict[int, list[MxHost]] = {}
        for host in hosts:
            grouped.setdefault(host.preference, []).append(host)
        hosts = []
        for preference in sorted(grouped):
            group = grouped[preference]
            chooser.shuffle(group)
            hosts += group
    targets: list[MailTarget] = []
    seen: set[str] = set()
    for host in hosts:
        addresses = sorted(host.addresses, key=lambda address: address.family != prefer)
        for address in addresses:
            if family is not None and address.family != family:
                continue
            if address.ip in seen:
                continue
            seen.add(address.ip)
            targets.append(MailTarget(host.exchange, address.ip, host.preference))
    return targets


async def mail_targets(
    domain: str,
    resolver: dns.asyncresolver.Resolver | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    *,
    dns: str | DnsServer | None = None,
    family: int | None = None,
    prefer: int = 4,
    shuffle: bool = False,
) -> list[MailTarget]:
    """The (host, ip, preference) list a sender should try, in order, for `domain`.

    Give a ready `resolver`, or `dns` ("IP[:port]", "[v6]:port" or a `DnsServer`) to
    ask that server, or neither for the system resolver. Never returns an empty list:
    raises `NoMailTargetsError` (carrying the full `MxResult`) when there is nowhere to
    deliver, `InvalidDomainError` on a bad domain and `DnsConfigError` on a bad `dns`.
    """
    if resolver is None:
        server = DnsServer.parse(dns) if isinstance(dns, str) else dns
        resolver = make_resolver(server, timeout=timeout)
    result = await resolve_mail_hosts(domain, resolver, timeout)
    targets = targets_from_result(result, family=family, prefer=prefer, shuffle=shuffle)
    if not targets:
        raise NoMailTargetsError(result, family)
    return targets
