"""DNS blocklists: the client's address and the domains of the message (From, MAIL
FROM, links) asked of each zone of a configurable list (`knowledge/data/dnsbl.toml` by
default), concurrently, every query with a hard deadline.

An address is asked as its reversed octets (IPv4) or nibbles (IPv6) under the zone, a
domain as itself under the zone. An answer in 127.0.0.0/8 is a listing, named by the
zone's table of codes; some answers are errors, not listings (Spamhaus refuses queries
from public resolvers with 127.255.255.254): they are told apart. The TXT record beside
a listing, when there is one, gives the list's own reason.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

import dns.asyncresolver

from smtpcheck.checks.receive_findings import receive_finding
from smtpcheck.dns.query import ask, txt_strings
from smtpcheck.dns.resolver import DEFAULT_TIMEOUT, LookupStatus
from smtpcheck.knowledge.receive import DnsblZone, dnsbl_meaning, receive_word
from smtpcheck.report.model import Finding

MAX_DOMAINS = 12


@dataclass(frozen=True)
class DnsblAnswer:
    """What one zone said about one subject. `status`: listed, clean, error (the list
    answered with an error code), failed (no usable answer)."""

    zone: DnsblZone
    subject: str
    status: str
    codes: tuple[str, ...] = ()
    reason: str = ""
    detail: str = ""

    def to_dict(self) -> dict[str, object]:
        return {
            "zone": self.zone.name,
            "subject": self.subject,
            "status": self.status,
            "codes": list(self.codes),
            "reason": self.reason,
            "detail": self.detail,
        }


def query_name(subject: str, zone: DnsblZone) -> str:
    """The name to ask: reversed address or the domain, under the zone."""
    if zone.kind == "ip":
        address = ipaddress.ip_address(subject)
        if address.version == 4:
            label = ".".join(reversed(str(address).split(".")))
        else:
            label = ".".join(reversed(address.exploded.replace(":", "")))
        return f"{label}.{zone.name}."
    return f"{subject.strip('.').lower()}.{zone.name}."


async def ask_zone(
    resolver: dns.asyncresolver.Resolver, zone: DnsblZone, subject: str, timeout: float
) -> DnsblAnswer:
    try:
        name = query_name(subject, zone)
        answer = await ask(resolver, name, "A", timeout=timeout)
    except (ValueError, UnicodeError) as error:  # a name that cannot be asked (peer input)
        return DnsblAnswer(zone, subject, "failed", detail=str(error)[:120])
    if answer.status in (LookupStatus.NXDOMAIN, LookupStatus.NODATA):
        return DnsblAnswer(zone, subject, "clean")
    if answer.status.is_failure:
        return DnsblAnswer(zone, subject, "failed", detail=answer.detail or str(answer.status))
    codes = tuple(sorted(answer.texts))
    errors = [code for code in codes if code in zone.errors]
    if errors:
        return DnsblAnswer(zone, subject, "error", codes=tuple(errors))
    listed = [code for code in codes if code.startswith("127.")]
    if not listed:  # a wildcard or a hijacked zone answering with real addresses
        return DnsblAnswer(
            zone, subject, "failed", detail="answer outside 127.0.0.0/8: " + ", ".join(codes)
        )
    reason = ""
    txt = await ask(resolver, name, "TXT", timeout=timeout)
    if txt.status is LookupStatus.OK:
        reason = " ".join(txt_strings(txt.records))[:200]
    return DnsblAnswer(zone, subject, "listed", codes=tuple(listed), reason=reason)


async def check_blocklists(
    resolver: dns.asyncresolver.Resolver,
    zones: Sequence[DnsblZone],
    *,
    ip: str | None,
    domains: Sequence[str],
    timeout: float = DEFAULT_TIMEOUT,
) -> list[DnsblAnswer]:
    """Ask every zone about `ip` (the ip zones) and each of `domains` (the domain
    zones), concurrently, all within `timeout` seconds."""
    jobs = []
    if ip:
        jobs += [ask_zone(resolver, zone, ip, timeout) for zone in zones if zone.kind == "ip"]
    for domain in list(dict.fromkeys(d.lower().strip(".") for d in domains if d))[:MAX_DOMAINS]:
        jobs += [
            ask_zone(resolver, zone, domain, timeout) for zone in zones if zone.kind == "domain"
        ]
    try:
        async with asyncio.timeout(timeout + 1.0):
            return list(await asyncio.gather(*jobs))
    except TimeoutError:  # each ask has its own deadline; this is the backstop
        return []


def is_public(ip: str) -> bool:
    try:
        return ipaddress.ip_address(ip).is_global
    except ValueError:
        return False


def judge_blocklists(answers: Sequence[DnsblAnswer], lang: str) -> list[Finding]:
    """A finding per listing, error and failure; a pass per subject found nowhere."""
    out: list[Finding] = []
    subjects: dict[str, int] = {}
    problems: set[str] = set()
    for answer in answers:
        if answer.status == "clean":
            subjects[answer.subject] = subjects.get(answer.subject, 0) + 1
        zone = answer.zone
        delist = zone.delist or receive_word("text", "no_delist_page", lang)
        if answer.status == "listed":
            problems.add(answer.subject)
            code = answer.codes[0]
            meaning = dnsbl_meaning(zone.codes.get(code, "listed"), lang)
            out.append(
                receive_finding(
                    "dnsbl-listed",
                    lang,
                    subject=answer.subject,
                    what=answer.subject,
                    zone=zone.name,
                    operator=zone.operator,
                    code=", ".join(answer.codes),
                    texts={"meaning": meaning, "delist": delist},
                    reason=f"; {answer.reason}" if answer.reason else "",
                )
            )
        elif answer.status == "error":
            code = answer.codes[0]
            out.append(
                receive_finding(
                    "dnsbl-refused",
                    lang,
                    subject=answer.subject,
                    what=answer.subject,
                    zone=zone.name,
                    code=code,
                    texts={
                        "meaning": dnsbl_meaning(zone.errors.get(code, "query_refused"), lang),
                        "delist": delist,
                    },
                )
            )
        elif answer.status == "failed":
            out.append(
                receive_finding(
                    "dnsbl-lookup-failed",
                    lang,
                    subject=answer.subject,
                    what=answer.subject,
                    zone=zone.name,
                    detail=answer.detail,
                )
            )
    for subject, count in subjects.items():
        if subject not in problems:
            out.append(
                receive_finding("dnsbl-clean", lang, subject=subject, what=subject, count=count)
            )
    return out
