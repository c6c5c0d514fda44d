"""The DNS facts about the sending client: its PTR names and their addresses (for
FCrDNS), and the addresses of its HELO name. Every lookup has a hard deadline and
never raises (`smtpcheck.dns.lookup`)."""

from __future__ import annotations

import asyncio

import dns.asyncresolver

from smtpcheck.checks.names import is_fqdn
from smtpcheck.checks.rdns import RdnsFacts
from smtpcheck.dns.resolver import LookupStatus, lookup, reverse_lookup

MAX_PTR_NAMES = 3


async def addresses_of(
    resolver: dns.asyncresolver.Resolver, name: str, timeout: float
) -> tuple[list[str], bool]:
    """(A and AAAA addresses of `name`, whether both lookups got an answer)."""
    answers = await asyncio.gather(
        lookup(resolver, name.rstrip(".") + ".", "A", timeout=timeout),
        lookup(resolver, name.rstrip(".") + ".", "AAAA", timeout=timeout),
    )
    found = [r for a in answers if a.status is LookupStatus.OK for r in a.records]
    return found, not any(a.status.is_failure for a in answers)


async def client_rdns(resolver: dns.asyncresolver.Resolver, ip: str, timeout: float) -> RdnsFacts:
    """PTR of `ip` and the forward addresses of each name (at most three)."""
    ptr = await reverse_lookup(ip, resolver, timeout=timeout)
    names = tuple(r.rstrip(".").lower() for r in ptr.records)
    forward: dict[str, list[str]] = {}
    results = await asyncio.gather(
        *(addresses_of(resolver, name, timeout) for name in names[:MAX_PTR_NAMES])
    )
    for name, (found, _) in zip(names, results, strict=False):
        forward[name] = found
    return RdnsFacts(ip, str(ptr.status), names, forward, ptr.detail)


async def helo_addresses(
    resolver: dns.asyncresolver.Resolver, helo: str | None, timeout: float
) -> list[str] | None:
    """The addresses of a HELO name that is a full name; None when not looked up or
    the lookup failed (nothing can be said)."""
    if not helo or not is_fqdn(helo):
        return None
    try:
        found, answered = await addresses_of(resolver, helo, timeout)
    except (ValueError, UnicodeError):  # a name dnspython refuses (peer input)
        return None
    return found if answered else None
