"""TLS-RPT (RFC 8460): the `_smtp._tls.<domain>` record that tells senders where to send
reports of TLS failures (needed to see what MTA-STS or DANE make senders refuse)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import dns.asyncresolver

from smtpcheck.checks.posture_findings import PostureResult, lookup_failed, posture_finding
from smtpcheck.checks.tag_list import parse_tag_list
from smtpcheck.dns.query import ask, txt_strings
from smtpcheck.dns.resolver import DEFAULT_TIMEOUT

_MAILTO = re.compile(r"mailto:[^@\s,!;]+@[A-Za-z0-9.-]+\.[A-Za-z0-9-]+\Z", re.I)
_HTTPS = re.compile(r"https://[^\s,!;/]+(?:/[^\s,!;]*)?\Z", re.I)


@dataclass
class TlsRptRecord:
    text: str
    rua: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    bad_uris: list[str] = field(default_factory=list)


def is_tlsrpt_record(text: str) -> bool:
    return text.startswith("v=TLSRPTv1")


def parse_tlsrpt(text: str) -> TlsRptRecord:
    """Parse a TLS-RPT record (§3): v=TLSRPTv1 first, then rua= (a comma list of mailto:
    and https: URIs); never raises."""
    record = TlsRptRecord(text)
    tags = parse_tag_list(text)
    if tags.first != "v" or tags.tags.get("v") != "TLSRPTv1":
        record.errors.append("the record must start with v=TLSRPTv1")
    for part in tags.malformed:
        record.errors.append(f"not a field: {part!r}")
    for name in tags.repeated:
        record.errors.append(f"{name} appears twice")
    rua = tags.tags.get("rua")
    if rua is None:
        record.errors.append("the rua= field is missing")
        return record
    for uri in (part.strip() for part in rua.split(",")):
        if not uri:
            continue
        record.rua.append(uri)
        if not (_MAILTO.match(uri) or _HTTPS.match(uri)):
            record.bad_uris.append(uri)
    if not record.rua:
        record.errors.append("rua= names no destination")
    return record


async def check_tlsrpt(
    resolver: dns.asyncresolver.Resolver,
    domain: str,
    lang: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> PostureResult:
    """The TLS-RPT findings for `domain`."""
    out = PostureResult()
    subject = domain
    name = f"_smtp._tls.{domain.rstrip('.').lower()}"
    answer = await ask(resolver, name + ".", "TXT", timeout=timeout)
    if answer.status.is_failure:
        out.add(lookup_failed(lang, name, answer.detail, subject=subject))
        return out
    records = [text for text in txt_strings(answer.records) if is_tlsrpt_record(text)]
    out.data["records"] = records
    if not records:
        out.add(posture_finding("tlsrpt-missing", lang, subject=subject, name=name))
        return out
    if len(records) > 1:
        out.add(
            posture_finding("tlsrpt-multiple", lang, subject=subject, name=name, count=len(records))
        )
        return out
    record = parse_tlsrpt(records[0])
    if record.errors:
        out.add(
            posture_finding(
                "tlsrpt-syntax",
                lang,
                subject=subject,
                record=record.text,
                error="; ".join(record.errors[:3]),
            )
        )
        return out
    for uri in record.bad_uris:
        out.add(posture_finding("tlsrpt-uri-invalid", lang, subject=subject, uri=uri))
    if not record.bad_uris:
        out.add(posture_finding("tlsrpt-ok", lang, subject=subject, rua=", ".join(record.rua)))
    out.data["rua"] = record.rua
    return out
