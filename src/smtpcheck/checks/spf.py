"""SPF (RFC 7208): is the domain's record sound, and what does `check_host` say for an IP?

`check_spf()` finds the record, walks it through every include and redirect (counting
the DNS-lookup terms against the limit of 10 and the lookups that found nothing against
the limit of 2, §4.6.4), judges its `all`, and, given `--sender-ip`, evaluates
`check_host()` for that address.

The evaluator is our own, not pyspf: pyspf is synchronous and looks names up through
its own module-level resolver, so it could neither use the `--dns` server nor stay
within the check's deadline; the RFC's algorithm is short and is tested here against
records that exercise each branch. Every lookup goes through `dns.query.ask` (the
configured server, a hard deadline per lookup).
"""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import dataclass, field
from enum import StrEnum

import dns.asyncresolver

from smtpcheck.checks.posture_findings import PostureResult, posture_finding
from smtpcheck.checks.spf_record import (
    RECOMMENDED_MAX_LENGTH,
    MacroContext,
    MacroError,
    Mechanism,
    SpfRecord,
    expand_macros,
    has_macros,
    is_spf_record,
    parse_spf,
)
from smtpcheck.dns.query import DnsAnswer, ask, txt_strings
from smtpcheck.dns.resolver import DEFAULT_TIMEOUT, LookupStatus

LOOKUP_LIMIT = 10
VOID_LOOKUP_LIMIT = 2
MX_NAME_LIMIT = 10
PTR_NAME_LIMIT = 10
#: records visited by one walk at most (a chain of includes is peer input)
MAX_RECORDS = 40

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class SpfResult(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    SOFTFAIL = "softfail"
    NEUTRAL = "neutral"
    NONE = "none"
    PERMERROR = "permerror"
    TEMPERROR = "temperror"


class _PermError(Exception):
    pass


class _TempError(Exception):
    pass


@dataclass
class _Budget:
    lookups: int = 0
    void_lookups: int = 0

    def lookup(self) -> None:
        self.lookups += 1
        if self.lookups > LOOKUP_LIMIT:
            raise _PermError(f"more than {LOOKUP_LIMIT} DNS lookups")

    def void(self) -> None:
        self.void_lookups += 1
        if self.void_lookups > VOID_LOOKUP_LIMIT:
            raise _PermError(f"more than {VOID_LOOKUP_LIMIT} lookups found nothing")


@dataclass(frozen=True)
class SpfFetch:
    """The SPF record(s) at a name: `records` (texts), or the DNS failure."""

    domain: str
    status: LookupStatus
    records: tuple[str, ...] = ()
    detail: str = ""


async def fetch_spf(
    resolver: dns.asyncresolver.Resolver, domain: str, *, timeout: float = DEFAULT_TIMEOUT
) -> SpfFetch:
    """The TXT records of `domain` that are SPF records (§4.5)."""
    answer = await ask(resolver, _absolute(domain), "TXT", timeout=timeout)
    records = tuple(text for text in txt_strings(answer.records) if is_spf_record(text))
    return SpfFetch(domain, answer.status, records, answer.detail)


def _absolute(domain: str) -> str:
    return domain if domain.endswith(".") else domain + "."


@dataclass(frozen=True)
class SpfEvaluation:
    """The outcome of `check_host`: the result, the directive that decided it, why."""

    result: SpfResult
    mechanism: str | None
    reason: str
    lookups: int


async def _addresses(
    resolver: dns.asyncresolver.Resolver, name: str, version: int, timeout: float
) -> DnsAnswer:
    return await ask(resolver, _absolute(name), "A" if version == 4 else "AAAA", timeout=timeout)


def _raise_for(answer: DnsAnswer, budget: _Budget | None) -> None:
    if answer.status.is_failure:
        raise _TempError(f"{answer.name} {answer.rdtype}: {answer.detail or answer.status}")
    if budget is not None and answer.status in (LookupStatus.NXDOMAIN, LookupStatus.NODATA):
        budget.void()


def _in_network(ip: IpAddress, address: str, mechanism: Mechanism) -> bool:
    prefix = mechanism.cidr4 if ip.version == 4 else mechanism.cidr6
    length = prefix if prefix is not None else ip.max_prefixlen
    try:
        network = ipaddress.ip_network(f"{address}/{length}", strict=False)
    except ValueError:
        return False
    return ip in network


class _Evaluator:
    """check_host (§4) for one IP, sharing one lookup budget through includes."""

    def __init__(
        self,
        resolver: dns.asyncresolver.Resolver,
        ip: IpAddress,
        sender: str,
        helo: str,
        timeout: float,
    ) -> None:
        self.resolver = resolver
        self.ip = ip
        self.sender = sender
        self.helo = helo
        self.timeout = timeout
        self.budget = _Budget()
        self.decided_by: str | None = None

    def _target(self, mechanism: Mechanism, domain: str) -> str:
        spec = mechanism.domain_spec
        if spec is None:
            return domain
        context = MacroContext(self.ip, self.sender, domain, self.helo)
        try:
            return expand_macros(spec, context).rstrip(".")
        except MacroError as error:
            raise _PermError(str(error)) from None

    async def check_host(self, domain: str, depth: int = 0) -> SpfResult:
        if depth > MAX_RECORDS:
            raise _PermError("include/redirect nesting too deep")
        fetched = await fetch_spf(self.resolver, domain, timeout=self.timeout)
        if fetched.status.is_failure:
            raise _TempError(f"TXT {domain}: {fetched.detail or fetched.status}")
        if not fetched.records:
            return SpfResult.NONE
        if len(fetched.records) > 1:
            raise _PermError(f"{domain} has {len(fetched.records)} SPF records")
        record = parse_spf(fetched.records[0])
        if record.errors:
            raise _PermError(f"{domain}: {record.errors[0]}")
        for mechanism in record.mechanisms:
            if await self._matches(mechanism, domain, depth):
                self.decided_by = self.decided_by or f"{mechanism.text} ({domain})"
                return SpfResult(mechanism.result)
        if record.redirect is not None:
            self.budget.lookup()
            context = MacroContext(self.ip, self.sender, domain, self.helo)
            try:
                target = expand_macros(record.redirect, context).rstrip(".")
            except MacroError as error:
                raise _PermError(str(error)) from None
            result = await self.check_host(target, depth + 1)
            if result is SpfResult.NONE:
                raise _PermError(f"redirect={target} has no SPF record")
            return result
        return SpfResult.NEUTRAL

    async def _matches(self, mechanism: Mechanism, domain: str, depth: int) -> bool:
        kind = mechanism.kind
        if kind == "all":
            return True
        if kind in ("ip4", "ip6"):
            return mechanism.network is not None and self.ip in mechanism.network
        self.budget.lookup()
        target = self._target(mechanism, domain)
        if kind == "include":
            result = await self.check_host(target, depth + 1)
            if result in (SpfResult.NONE, SpfResult.PERMERROR):
                raise _PermError(f"include:{target} has no usable SPF record")
            self.decided_by = None
            return result is SpfResult.PASS
        if kind == "a":
            answer = await _addresses(self.resolver, target, self.ip.version, self.timeout)
            _raise_for(answer, self.budget)
            return any(_in_network(self.ip, text, mechanism) for text in answer.texts)
        if kind == "mx":
            return await self._mx_matches(mechanism, target)
        if kind == "exists":
            answer = await ask(self.resolver, _absolute(target), "A", timeout=self.timeout)
            _raise_for(answer, self.budget)
            return bool(answer.records)
        return await self._ptr_matches(target)

    async def _mx_matches(self, mechanism: Mechanism, target: str) -> bool:
        answer = await ask(self.resolver, _absolute(target), "MX", timeout=self.timeout)
        _raise_for(answer, self.budget)
        exchanges = [str(getattr(record, "exchange", "")) for record in answer.records]
        if len(exchanges) > MX_NAME_LIMIT:
            raise _PermError(f"mx:{target} has more than {MX_NAME_LIMIT} MX names")
        for exchange in exchanges:
            found = await _addresses(self.resolver, exchange, self.ip.version, self.timeout)
            _raise_for(found, None)
            if any(_in_network(self.ip, text, mechanism) for text in found.texts):
                return True
        return False

    async def _ptr_matches(self, target: str) -> bool:
        import dns.reversename

        reverse = dns.reversename.from_address(str(self.ip))
        answer = await ask(self.resolver, reverse, "PTR", timeout=self.timeout)
        if answer.status.is_failure:
            return False  # §5.5: a PTR failure is no match, not an error
        wanted = target.lower().rstrip(".")
        for record in answer.texts[:PTR_NAME_LIMIT]:
            name = record.lower().rstrip(".")
            if not (name == wanted or name.endswith("." + wanted)):
                continue
            found = await _addresses(self.resolver, name, self.ip.version, self.timeout)
            if any(ipaddress.ip_address(text) == self.ip for text in found.texts):
                return True
        return False


async def check_host(
    resolver: dns.asyncresolver.Resolver,
    ip: str,
    domain: str,
    *,
    sender: str = "",
    helo: str = "",
    timeout: float = DEFAULT_TIMEOUT,
) -> SpfEvaluation:
    """RFC 7208 §4 `check_host(ip, domain, sender)`; the whole evaluation ends within
    `timeout` seconds (a temperror if not). `sender` defaults to postmaster@domain."""
    address = ipaddress.ip_address(ip)
    evaluator = _Evaluator(resolver, address, sender or f"postmaster@{domain}", helo, timeout)
    try:
        async with asyncio.timeout(timeout):
            result = await evaluator.check_host(domain.rstrip("."))
        reason = ""
    except _PermError as error:
        result, reason = SpfResult.PERMERROR, str(error)
    except _TempError as error:
        result, reason = SpfResult.TEMPERROR, str(error)
    except TimeoutError:
        result, reason = SpfResult.TEMPERROR, f"no result within {timeout:g} s"
    mechanism = evaluator.decided_by if result not in (SpfResult.NEUTRAL,) else None
    return SpfEvaluation(result, mechanism, reason, evaluator.budget.lookups)


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
            answer = await ask(self.resolver, _absolute(target), "MX", timeout=self.timeout)
            if len(answer.records) > MX_NAME_LIMIT:
                self.walk.problem("spf-mx-too-many", domain=target, count=len(answer.records))
            empty = answer.status in (LookupStatus.NXDOMAIN, LookupStatus.NODATA)
        else:
            both = await asyncio.gather(
                ask(self.resolver, _absolute(target), "A", timeout=self.timeout),
                ask(self.resolver, _absolute(target), "AAAA", timeout=self.timeout),
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
        out.add(
            posture_finding(
                "dns-lookup-failed", lang, subject=subject, name=domain, detail="time limit"
            )
        )
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
