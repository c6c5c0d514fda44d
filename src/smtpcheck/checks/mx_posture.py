"""Two MX-level posture checks: a null-MX domain (RFC 7505) that says the same in SPF
and DMARC, and IPv6 (AAAA) for every MX host, as internet.nl requires."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Sequence

import dns.asyncresolver

from smtpcheck.checks.dmarc import find_dmarc, parse_dmarc
from smtpcheck.checks.posture_findings import PostureResult, lookup_failed, posture_finding
from smtpcheck.checks.spf import fetch_spf
from smtpcheck.checks.spf_record import parse_spf
from smtpcheck.dns.query import ask
from smtpcheck.dns.resolver import DEFAULT_TIMEOUT


def is_null_mx(records: Sequence[str]) -> bool:
    """True when the MX set is exactly the null MX "0 ." (RFC 7505 §3)."""
    return len(records) == 1 and records[0].split()[-1:] == ["."]


def spf_refuses_all(text: str) -> bool:
    """True for a record that authorises nobody: only `-all` (v=spf1 -all)."""
    record = parse_spf(text)
    return (
        not record.errors
        and record.redirect is None
        and [m.text.lower() for m in record.mechanisms] == ["-all"]
    )


async def check_null_mx(
    resolver: dns.asyncresolver.Resolver,
    domain: str,
    lang: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> PostureResult:
    """For a null-MX domain: SPF should be `v=spf1 -all` and DMARC `p=reject`, so that
    nobody can send as the domain that receives nothing. Empty for other domains."""
    out = PostureResult()
    base = domain.rstrip(".").lower()
    answer = await ask(resolver, base + ".", "MX", timeout=timeout)
    if not is_null_mx(answer.texts):
        return out
    out.data["null_mx"] = True
    spf, dmarc = await asyncio.gather(
        fetch_spf(resolver, base, timeout=timeout), find_dmarc(resolver, base, timeout=timeout)
    )
    spf_ok = len(spf.records) == 1 and spf_refuses_all(spf.records[0])
    if not spf_ok:
        record = spf.records[0] if spf.records else "-"
        out.add(posture_finding("null-mx-spf-not-fail", lang, subject=base, record=record))
    policy = parse_dmarc(dmarc.records[0]).policy if len(dmarc.records) == 1 else None
    if policy != "reject":
        out.add(
            posture_finding("null-mx-dmarc-not-reject", lang, subject=base, policy=policy or "-")
        )
    if spf_ok and policy == "reject":
        out.add(posture_finding("null-mx-consistent", lang, subject=base))
    return out


def _usable_ipv6(text: str) -> bool:
    try:
        address = ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return address.ipv4_mapped is None and not address.is_unspecified


async def check_mx_ipv6(
    resolver: dns.asyncresolver.Resolver,
    mx_hosts: Sequence[str],
    lang: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> PostureResult:
    """Whether each MX host has an IPv6 address (IPv4-mapped ones do not count)."""
    out = PostureResult()
    names = [host.rstrip(".") for host in mx_hosts]
    answers = await asyncio.gather(
        *(ask(resolver, name + ".", "AAAA", timeout=timeout) for name in names)
    )
    for name, answer in zip(names, answers, strict=True):
        usable = [text for text in answer.texts if _usable_ipv6(text)]
        out.data[name] = usable
        if answer.status.is_failure:
            out.add(lookup_failed(lang, f"{name} AAAA", answer.detail, subject=name))
        elif usable:
            out.add(
                posture_finding(
                    "mx-ipv6", lang, subject=name, host=name, addresses=", ".join(usable)
                )
            )
        else:
            out.add(posture_finding("mx-no-ipv6", lang, subject=name, host=name))
    return out
