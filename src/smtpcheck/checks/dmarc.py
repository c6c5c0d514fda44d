"""DMARC (RFC 7489, and DMARCbis where it differs): find the policy record and judge it.

The record is looked up at `_dmarc.<domain>`, then at the organisational domain's
(§6.6.3; the public suffix list comes offline from the `publicsuffixlist` package).
Parsing is our own (`parse_dmarc`): the record is a small tag list, and the libraries
that exist (checkdmarc) resolve names through their own synchronous resolver, which
could neither use the `--dns` server nor keep to the check's deadline.

Judged: p, sp, np (DMARCbis / RFC 9091), pct (RFC 7489; DMARCbis replaces it by t=y),
adkim/aspf, rua/ruf syntax, and whether each external report destination authorises
the domain (`<domain>._report._dmarc.<destination>`, §7.1).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

import dns.asyncresolver

from smtpcheck.checks.posture_findings import (
    TIME_LIMIT,
    PostureResult,
    lookup_failed,
    posture_finding,
)
from smtpcheck.checks.tag_list import parse_tag_list
from smtpcheck.dns.query import ask, txt_strings
from smtpcheck.dns.resolver import DEFAULT_TIMEOUT

if TYPE_CHECKING:
    from publicsuffixlist import PublicSuffixList

POLICIES = ("none", "quarantine", "reject")
KNOWN_TAGS = {"v", "p", "sp", "np", "pct", "adkim", "aspf", "fo", "rf", "ri", "rua", "ruf", "t"}
KNOWN_TAGS |= {"psd"}
_STRENGTH = {"none": 0, "quarantine": 1, "reject": 2}
_MAILTO = re.compile(r"mailto:([^@\s!,]+)@([A-Za-z0-9.-]+\.[A-Za-z0-9-]+)(?:!\d+[kmgt]?)?\Z", re.I)
_HTTPS = re.compile(r"https://[^\s!,]+(?:!\d+[kmgt]?)?\Z", re.I)
_FO = re.compile(r"[01ds](?::[01ds])*\Z")


@cache
def _suffix_list() -> PublicSuffixList:
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()


def organisational_domain(domain: str) -> str:
    """The registrable domain (public suffix + one label), e.g. mail.example.co.uk ->
    example.co.uk; the domain itself when it is a public suffix or unknown."""
    name = domain.rstrip(".").lower()
    private = _suffix_list().privatesuffix(name)
    return private or name


@dataclass
class DmarcRecord:
    """A parsed DMARC record: its tags (lower-cased values) and what is wrong with it."""

    text: str
    tags: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    unknown_tags: list[str] = field(default_factory=list)

    @property
    def policy(self) -> str | None:
        return self.tags.get("p")

    def uris(self, tag: str) -> list[str]:
        value = self.tags.get(tag, "")
        return [part.strip() for part in value.split(",") if part.strip()]


def is_dmarc_record(text: str) -> bool:
    """True for a TXT string that starts with the version tag "v=DMARC1"."""
    return re.match(r"v\s*=\s*DMARC1\s*(;|\Z)", text) is not None


def parse_dmarc(text: str) -> DmarcRecord:
    """Parse a DMARC record; never raises (problems go into `.errors`)."""
    record = DmarcRecord(text=text)
    parsed = parse_tag_list(text)
    record.tags = {name.lower(): value for name, value in parsed.tags.items()}
    if parsed.first != "v" or parsed.tags.get("v") != "DMARC1":
        record.errors.append("the record must start with v=DMARC1")
    for part in parsed.malformed:
        record.errors.append(f"not a tag: {part!r}")
    for name in parsed.repeated:
        record.errors.append(f"tag {name} appears twice")
    for name in record.tags:
        if name not in KNOWN_TAGS:
            record.unknown_tags.append(name)
    for tag in ("p", "sp", "np"):
        value = record.tags.get(tag)
        if value is not None:
            record.tags[tag] = value.lower()
            if value.lower() not in POLICIES:
                record.errors.append(f"{tag}={value} is not none, quarantine or reject")
    if "p" not in record.tags and not record.errors:
        record.errors.append("the p= tag (the policy) is missing")
    for tag in ("adkim", "aspf"):
        value = record.tags.get(tag)
        if value is not None and value.lower() not in ("r", "s"):
            record.errors.append(f"{tag}={value} is not r or s")
    pct = record.tags.get("pct")
    if pct is not None and not (pct.isdigit() and 0 <= int(pct) <= 100):
        record.errors.append(f"pct={pct} is not a number from 0 to 100")
    ri = record.tags.get("ri")
    if ri is not None and not ri.isdigit():
        record.errors.append(f"ri={ri} is not a number of seconds")
    fo = record.tags.get("fo")
    if fo is not None and not _FO.match(fo):
        record.errors.append(f"fo={fo} is not a list of 0, 1, d, s")
    t_value = record.tags.get("t")
    if t_value is not None and t_value.lower() not in ("y", "n"):
        record.errors.append(f"t={t_value} is not y or n")
    return record


def uri_problem(uri: str) -> str | None:
    """What is wrong with one rua/ruf entry, or None."""
    if uri.lower().startswith("mailto:"):
        return None if _MAILTO.match(uri) else f"not a mailto: address: {uri!r}"
    if uri.lower().startswith("https://"):
        return None if _HTTPS.match(uri) else f"not an https: address: {uri!r}"
    return f"neither mailto: nor https:: {uri!r}"


def mailto_domain(uri: str) -> str | None:
    match = _MAILTO.match(uri)
    return match.group(2).lower().rstrip(".") if match else None


@dataclass(frozen=True)
class DmarcLookup:
    """Where the policy was found (`found_at`), its records, or the DNS failure."""

    domain: str
    found_at: str | None
    records: tuple[str, ...]
    failure: str = ""


async def find_dmarc(
    resolver: dns.asyncresolver.Resolver, domain: str, *, timeout: float = DEFAULT_TIMEOUT
) -> DmarcLookup:
    """The DMARC record(s) at `_dmarc.<domain>`, else at the organisational domain's."""
    candidates = [domain.rstrip(".").lower()]
    organisation = organisational_domain(domain)
    if organisation != candidates[0]:
        candidates.append(organisation)
    for candidate in candidates:
        answer = await ask(resolver, f"_dmarc.{candidate}.", "TXT", timeout=timeout)
        if answer.status.is_failure:
            return DmarcLookup(domain, None, (), f"_dmarc.{candidate}: {answer.detail}")
        records = tuple(text for text in txt_strings(answer.records) if is_dmarc_record(text))
        if records:
            return DmarcLookup(domain, candidate, records)
    return DmarcLookup(domain, None, ())


async def external_authorised(
    resolver: dns.asyncresolver.Resolver,
    domain: str,
    destination: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> bool | None:
    """RFC 7489 §7.1: does `destination` accept reports for `domain`? None: DNS failed."""
    answer = await ask(resolver, f"{domain}._report._dmarc.{destination}.", "TXT", timeout=timeout)
    if answer.status.is_failure:
        return None
    return any(is_dmarc_record(text) for text in txt_strings(answer.records))


async def check_dmarc(
    resolver: dns.asyncresolver.Resolver,
    domain: str,
    lang: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> PostureResult:
    """The DMARC findings for `domain`."""
    out = PostureResult()
    subject = domain
    try:
        async with asyncio.timeout(timeout):
            found = await find_dmarc(resolver, domain, timeout=timeout)
            if found.failure:
                out.add(lookup_failed(lang, domain, found.failure, subject=subject))
                return out
            if found.found_at is None:
                out.add(posture_finding("dmarc-missing", lang, subject=subject, domain=domain))
                return out
            out.data = {"found_at": found.found_at, "records": list(found.records)}
            if len(found.records) > 1:
                out.add(
                    posture_finding(
                        "dmarc-multiple",
                        lang,
                        subject=subject,
                        count=len(found.records),
                        name=f"_dmarc.{found.found_at}",
                    )
                )
                return out
            record = parse_dmarc(found.records[0])
            out.data["tags"] = dict(record.tags)
            await _judge(resolver, domain, found.found_at, record, out, lang, timeout)
    except TimeoutError:
        out.add(lookup_failed(lang, domain, TIME_LIMIT, subject=subject))
    return out


async def _judge(
    resolver: dns.asyncresolver.Resolver,
    domain: str,
    found_at: str,
    record: DmarcRecord,
    out: PostureResult,
    lang: str,
    timeout: float,
) -> None:
    subject = domain
    if found_at != domain.rstrip(".").lower():
        out.add(posture_finding("dmarc-from-org-domain", lang, subject=subject, org=found_at))
    if record.errors:
        out.add(
            posture_finding(
                "dmarc-syntax",
                lang,
                subject=subject,
                record=record.text,
                error="; ".join(record.errors[:3]),
            )
        )
        return
    tags = record.tags
    # the policy that applies to this domain: sp= (or np=) when found at the org domain
    policy = tags["p"]
    if found_at != domain.rstrip(".").lower():
        policy = tags.get("sp", policy)
    if policy == "none":
        out.add(posture_finding("dmarc-p-none", lang, subject=subject))
    for tag in ("sp", "np"):
        value = tags.get(tag)
        if value is not None and _STRENGTH[value] < _STRENGTH[tags["p"]]:
            code = "dmarc-sp-weaker" if tag == "sp" else "dmarc-np-weaker"
            out.add(posture_finding(code, lang, subject=subject, value=value, p=tags["p"]))
    pct = tags.get("pct")
    if pct is not None and int(pct) < 100 and tags["p"] != "none":
        out.add(posture_finding("dmarc-pct-partial", lang, subject=subject, pct=pct))
    if tags.get("t", "n").lower() == "y":
        out.add(posture_finding("dmarc-testing", lang, subject=subject))
    strict = [tag for tag in ("adkim", "aspf") if tags.get(tag, "r").lower() == "s"]
    if strict:
        out.add(
            posture_finding("dmarc-strict-alignment", lang, subject=subject, tags=",".join(strict))
        )
    for name in record.unknown_tags:
        out.add(posture_finding("dmarc-unknown-tag", lang, subject=subject, tag=name))
    await _judge_uris(resolver, domain, found_at, record, out, lang, timeout)
    if not any(f.status in ("fail", "warn") for f in out.findings):
        out.findings.insert(
            0, posture_finding("dmarc-ok", lang, subject=subject, policy=policy, record=record.text)
        )


async def _judge_uris(
    resolver: dns.asyncresolver.Resolver,
    domain: str,
    found_at: str,
    record: DmarcRecord,
    out: PostureResult,
    lang: str,
    timeout: float,
) -> None:
    subject = domain
    if not record.uris("rua"):
        out.add(posture_finding("dmarc-no-rua", lang, subject=subject))
    own = organisational_domain(found_at)
    destinations: list[str] = []
    for tag in ("rua", "ruf"):
        for uri in record.uris(tag):
            problem = uri_problem(uri)
            if problem:
                out.add(
                    posture_finding("dmarc-uri-invalid", lang, subject=subject, tag=tag, uri=uri)
                )
                continue
            target = mailto_domain(uri)
            if target and organisational_domain(target) != own and target not in destinations:
                destinations.append(target)
    checks = [external_authorised(resolver, found_at, d, timeout=timeout) for d in destinations]
    for destination, authorised in zip(destinations, await asyncio.gather(*checks), strict=True):
        code = "dmarc-external-authorised" if authorised else "dmarc-external-unauthorised"
        if authorised is None:
            code = "dmarc-external-unauthorised"
        out.add(
            posture_finding(
                code,
                lang,
                subject=subject,
                destination=destination,
                name=f"{found_at}._report._dmarc.{destination}",
            )
        )
