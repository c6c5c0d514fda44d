"""SPF (RFC 7208): is the domain's record sound, and what does `check_host` say for an IP?

`check_spf()` finds the record, walks it through every include and redirect (counting
the DNS-lookup terms against the limit of 10 and the lookups that found nothing against
the limit of 2, §4.6.4), judges its `all`, and, given `--sender-ip`, evaluates
`check_host()` (`checks.spf_eval`) for that address. Macros are counted but not
followed by the walk: they depend on the message.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import dns.asyncresolver

from smtpcheck.checks.posture_findings import (
    TIME_LIMIT,
    PostureResult,
    lookup_failed,
    posture_finding,
)
from smtpcheck.checks.spf_eval import (
    LOOKUP_LIMIT,
    MAX_RECORDS,
    MX_NAME_LIMIT,
    VOID_LOOKUP_LIMIT,
    SpfResult,
    absolute,
    check_host,
    fetch_spf,
)
from smtpcheck.checks.spf_record import (
    RECOMMENDED_MAX_LENGTH,
    Mechanism,
    SpfRecord,
    has_macros,
    parse_spf,
)
from smtpcheck.dns.query import ask
from smtpcheck.dns.resolver import DEFAULT_TIMEOUT, LookupStatus

__all__ = ["SpfResult", "SpfWalk", "check_host", "check_spf", "fetch_spf", "walk_spf"]


# ---- the walk: the record judged as a whole, whatever the IP ---------------------------


@dataclass
class SpfWalk:
    """What walking a record tree found. `problems` are (code, facts) pairs."""

    domain: str
    record: str | None = None
    lookups: int = 0
    void_lookups: int = 0
    final_all: Mechanism | None = None
    problems: list[tuple[str, dict[str, object]]] = field(default_factory=list)
    records: dict[str, str] = field(default_factory=dict)

    def problem(self, code: str, **facts: object) -> None:
        if (code, facts) not in self.problems:
            self.problems.append((code, facts))


class _Walker:
    def __init__(self, resolver: dns.asyncresolver.Resolver, walk: SpfWalk, timeout: float) -> None:
        self.resolver = resolver
        self.walk = walk
        self.timeout = timeout

    async def visit(self, domain: str, path: tuple[str, ...], top: bool) -> SpfRecord | None:
        walk = self.walk
        if domain.lower() in path:
            walk.problem("spf-include-loop", domain=domain)
            return None
        if len(walk.records) >= MAX_RECORDS:
            return None
        fetched = await fetch_spf(self.resolver, domain, timeout=self.timeout)
        if fetched.status.is_failure:
            walk.problem("dns-lookup-failed", name=domain, detail=fetched.detail)
            return None
        if not fetched.records:
            if not top:
                walk.problem("spf-include-missing", domain=domain)
                if fetched.status in (LookupStatus.NXDOMAIN, LookupStatus.NODATA):
                    walk.void_lookups += 1
            return None
        if len(fetched.records) > 1:
            walk.problem("spf-multiple", domain=domain, count=len(fetched.records))
            return None
        text = fetched.records[0]
        walk.records[domain] = text
        record = parse_spf(text)
        if record.errors:
            walk.problem("spf-syntax", domain=domain, error="; ".join(record.errors[:3]))
            return None
        if len(text.encode()) > RECOMMENDED_MAX_LENGTH:
            walk.problem("spf-record-too-long", domain=domain, length=len(text.encode()))
        inner = (*path, domain.lower())
        for mechanism in record.mechanisms:
            await self.term(mechanism, domain, inner)
        if record.redirect is not None and record.all_mechanism is None:
            walk.lookups += 1
            if has_macros(record.redirect):
                walk.problem("spf-macro-not-followed", term="redirect=" + record.redirect)
                return record
            target = await self.visit(record.redirect.rstrip("."), inner, top=False)
            if top and target is not None:
                walk.final_all = _final_all(target, walk.final_all)
        elif top:
            walk.final_all = record.all_mechanism
        return record

    async def term(self, mechanism: Mechanism, domain: str, path: tuple[str, ...]) -> None:
        walk = self.walk
        if not mechanism.counts_lookup:
            return
        walk.lookups += 1
        if mechanism.kind == "ptr":
            walk.problem("spf-ptr", domain=domain)
        spec = mechanism.domain_spec
        if spec is not None and has_macros(spec):
            walk.problem("spf-macro-not-followed", term=mechanism.text)
            return
        target = (spec or domain).rstrip(".")
        if mechanism.kind == "include":
            await self.visit(target, path, top=False)
        elif mechanism.kind in ("a", "mx"):
            await self.count_void(mechanism.kind, target)

    async def count_void(self, kind: str, target: str) -> None:
        if kind == "mx":
            answer = await ask(self.resolver, absolute(target), "MX", timeout=self.timeout)
            if len(answer.records) > MX_NAME_LIMIT:
                self.walk.problem("spf-mx-too-many", domain=target, count=len(answer.records))
            empty = answer.status in (LookupStatus.NXDOMAIN, LookupStatus.NODATA)
        else:
            both = await asyncio.gather(
                ask(self.resolver, absolute(target), "A", timeout=self.timeout),
                ask(self.resolver, absolute(target), "AAAA", timeout=self.timeout),
            )
            empty = all(a.status in (LookupStatus.NXDOMAIN, LookupStatus.NODATA) for a in both)
        if empty:
            self.walk.void_lookups += 1


def _final_all(record: SpfRecord, current: Mechanism | None) -> Mechanism | None:
    return record.all_mechanism or current


async def walk_spf(
    resolver: dns.asyncresolver.Resolver, domain: str, *, timeout: float = DEFAULT_TIMEOUT
) -> SpfWalk:
    """Fetch `domain`'s SPF record and walk every include and redirect (macros are not
    expanded: they depend on the message), counting lookups and void lookups."""
    walk = SpfWalk(domain=domain)
    walker = _Walker(resolver, walk, timeout)
    record = await walker.visit(domain.rstrip("."), (), top=True)
    walk.record = walk.records.get(domain.rstrip(".")) if record is not None else None
    return walk


async def check_spf(
    resolver: dns.asyncresolver.Resolver,
    domain: str,
    lang: str,
    *,
    sender_ip: str | None = None,
    sender: str = "",
    timeout: float = DEFAULT_TIMEOUT,
) -> PostureResult:
    """The SPF findings for `domain` (and `check_host` for `sender_ip` when given)."""
    out = PostureResult()
    subject = domain
    try:
        async with asyncio.timeout(timeout):
            walk = await walk_spf(resolver, domain, timeout=timeout)
    except TimeoutError:
        out.add(lookup_failed(lang, domain, TIME_LIMIT, subject=subject))
        return out
    out.data = {
        "record": walk.record,
        "records": dict(walk.records),
        "lookups": walk.lookups,
        "void_lookups": walk.void_lookups,
    }
    fetched_nothing = not walk.records and not walk.problems
    if fetched_nothing:
        out.add(posture_finding("spf-missing", lang, subject=subject, domain=domain))
        return out
    for code, facts in walk.problems:
        out.add(posture_finding(code, lang, subject=subject, **facts))
    if walk.record is not None:
        _judge_all(walk, out, lang, subject)
        if walk.lookups > LOOKUP_LIMIT:
            out.add(
                posture_finding("spf-too-many-lookups", lang, subject=subject, count=walk.lookups)
            )
        if walk.void_lookups > VOID_LOOKUP_LIMIT:
            out.add(
                posture_finding(
                    "spf-too-many-void-lookups", lang, subject=subject, count=walk.void_lookups
                )
            )
    if walk.record is not None and not any(f.status in ("fail", "warn") for f in out.findings):
        out.findings.insert(
            0,
            posture_finding(
                "spf-ok", lang, subject=subject, record=walk.record, count=walk.lookups
            ),
        )
    if sender_ip is not None:
        evaluation = await check_host(resolver, sender_ip, domain, sender=sender, timeout=timeout)
        out.data["check_host"] = {
            "ip": sender_ip,
            "result": str(evaluation.result),
            "mechanism": evaluation.mechanism,
            "reason": evaluation.reason,
        }
        code = "spf-result" if evaluation.result is SpfResult.PASS else "spf-result-fail"
        out.add(
            posture_finding(
                code,
                lang,
                subject=subject,
                ip=sender_ip,
                result=str(evaluation.result),
                why=evaluation.mechanism or evaluation.reason or "-",
            )
        )
    return out


def _judge_all(walk: SpfWalk, out: PostureResult, lang: str, subject: str) -> None:
    final = walk.final_all
    if final is None:
        if not any(code == "spf-macro-not-followed" for code, _ in walk.problems):
            out.add(posture_finding("spf-no-all", lang, subject=subject))
        return
    code = {"+": "spf-plus-all", "?": "spf-neutral-all", "~": "spf-softfail-all"}.get(
        final.qualifier
    )
    if code is not None:
        out.add(posture_finding(code, lang, subject=subject, term=final.text))
