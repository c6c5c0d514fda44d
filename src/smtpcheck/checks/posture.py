"""Every DNS- and policy-side posture check of one domain, run concurrently: the one
call the `check` scenario needs (`run_posture`), each result keyed by its category.

Each check stays usable on its own (`checks.spf.check_spf`, ...); this module only
gathers them under one deadline. DANE needs the certificate chains the SMTP steps
captured, and MTA-STS's verdict on each MX needs their TLS results: pass `chains`
here, and call `checks.mta_sts.compare_with_tls` with the returned policy afterwards.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import dns.asyncresolver

from smtpcheck.checks.caa import check_caa
from smtpcheck.checks.dane import check_dane
from smtpcheck.checks.dkim import check_dkim
from smtpcheck.checks.dmarc import check_dmarc
from smtpcheck.checks.dnssec import check_dnssec
from smtpcheck.checks.mta_sts import check_mta_sts
from smtpcheck.checks.mta_sts_policy import StsPolicy
from smtpcheck.checks.mx_posture import check_mx_ipv6, check_null_mx
from smtpcheck.checks.posture_findings import (
    TIME_LIMIT,
    PostureResult,
    lookup_failed,
)
from smtpcheck.checks.spf import check_spf
from smtpcheck.checks.tlsrpt import check_tlsrpt
from smtpcheck.dns.dnssec_chain import Anchors
from smtpcheck.dns.resolver import DEFAULT_TIMEOUT

#: result keys, in the order a report shows them
CATEGORIES = (
    "dnssec", "dane", "mta_sts", "tlsrpt", "spf", "dmarc", "dkim", "caa", "null_mx", "ipv6",
)  # fmt: skip


@dataclass(frozen=True)
class PostureOptions:
    """What the user can set: `--sender-ip`, `--dkim-selector`, a CA file for the
    MTA-STS fetch, trust anchors (DS lines) for DNSSEC, the overall deadline."""

    sender_ip: str | None = None
    dkim_selectors: tuple[str, ...] = ()
    mta_sts_ca_file: str | None = None
    anchors: Anchors | None = None
    timeout: float = DEFAULT_TIMEOUT


@dataclass
class PostureReport:
    """The results by category, and the valid MTA-STS policy (None when there is none)."""

    results: dict[str, PostureResult] = field(default_factory=dict)
    mta_sts_policy: StsPolicy | None = None


async def _dane_all(
    resolver: dns.asyncresolver.Resolver,
    hosts: Sequence[str],
    lang: str,
    chains: Mapping[str, Sequence[bytes]] | None,
    options: PostureOptions,
) -> PostureResult:
    out = PostureResult()
    results = await asyncio.gather(
        *(
            check_dane(
                resolver,
                host,
                lang,
                chain_der=None if chains is None else chains.get(host),
                anchors=options.anchors,
                timeout=options.timeout,
            )
            for host in hosts
        )
    )
    for host, result in zip(hosts, results, strict=True):
        out.findings.extend(result.findings)
        out.data[host] = result.data
    return out


async def run_posture(
    resolver: dns.asyncresolver.Resolver,
    domain: str,
    mx_hosts: Sequence[str],
    lang: str,
    options: PostureOptions | None = None,
    *,
    chains: Mapping[str, Sequence[bytes]] | None = None,
) -> PostureReport:
    """Run every posture check for `domain` and its MX host names, concurrently, all
    ending within `options.timeout` seconds (a check cut short says so)."""
    opts = options or PostureOptions()
    hosts = [host.rstrip(".") for host in mx_hosts]
    timeout = opts.timeout
    mta_sts = asyncio.ensure_future(
        check_mta_sts(
            resolver, domain, lang, mx_hosts=hosts, ca_file=opts.mta_sts_ca_file, timeout=timeout
        )
    )
    jobs = {
        "dnssec": check_dnssec(
            resolver, domain, lang, mx_hosts=hosts, anchors=opts.anchors, timeout=timeout
        ),
        "dane": _dane_all(resolver, hosts, lang, chains, opts),
        "tlsrpt": check_tlsrpt(resolver, domain, lang, timeout=timeout),
        "spf": check_spf(resolver, domain, lang, sender_ip=opts.sender_ip, timeout=timeout),
        "dmarc": check_dmarc(resolver, domain, lang, timeout=timeout),
        "dkim": check_dkim(resolver, domain, lang, selectors=opts.dkim_selectors, timeout=timeout),
        "caa": check_caa(resolver, hosts, lang, timeout=timeout),
        "null_mx": check_null_mx(resolver, domain, lang, timeout=timeout),
        "ipv6": check_mx_ipv6(resolver, hosts, lang, timeout=timeout),
    }
    tasks = {name: asyncio.ensure_future(job) for name, job in jobs.items()}
    # each check bounds its own lookups; this is the backstop for the whole set
    _, pending = await asyncio.wait([mta_sts, *tasks.values()], timeout=timeout + 1.0)
    for task in pending:
        task.cancel()
    report = PostureReport()
    for name in CATEGORIES:
        if name == "mta_sts":
            if mta_sts in pending:
                report.results[name] = _cut_short(domain, name, lang)
            else:  # an exception here is a bug: let it surface
                report.results[name], report.mta_sts_policy = mta_sts.result()
            continue
        task = tasks[name]
        report.results[name] = _cut_short(domain, name, lang) if task in pending else task.result()
    return report


def _cut_short(domain: str, name: str, lang: str) -> PostureResult:
    out = PostureResult()
    out.add(
        lookup_failed(lang, f"{name} ({domain})", TIME_LIMIT, subject=domain)
    )  # fmt: skip
    return out
