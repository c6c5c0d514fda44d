"""SPF `check_host()` (RFC 7208 §4-§6): the result of a record for one client IP.

Our own evaluator, not pyspf: pyspf is synchronous and looks names up through its own
module-level resolver, so it could neither use the `--dns` server nor stay within the
check's deadline. Every lookup goes through `dns.query.ask` (the configured server, a
hard deadline per lookup); the lookup limit (10) and the void-lookup limit (2) are
counted through include and redirect, as §4.6.4 says; macros are expanded (§7).
"""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import dataclass
from enum import StrEnum

import dns.asyncresolver

from smtpcheck.checks.spf_record import (
    MacroContext,
    MacroError,
    Mechanism,
    expand_macros,
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
    answer = await ask(resolver, absolute(domain), "TXT", timeout=timeout)
    records = tuple(text for text in txt_strings(answer.records) if is_spf_record(text))
    return SpfFetch(domain, answer.status, records, answer.detail)


def absolute(domain: str) -> str:
    """`domain` with the trailing dot that stops any search list."""
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
    return await ask(resolver, absolute(name), "A" if version == 4 else "AAAA", timeout=timeout)


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
            answer = await ask(self.resolver, absolute(target), "A", timeout=self.timeout)
            _raise_for(answer, self.budget)
            return bool(answer.records)
        return await self._ptr_matches(target)

    async def _mx_matches(self, mechanism: Mechanism, target: str) -> bool:
        answer = await ask(self.resolver, absolute(target), "MX", timeout=self.timeout)
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
