"""CAA (RFC 8659) for the MX host names: which certificate authorities may issue their
certificates. The relevant record set is the host's own, else the closest parent's
(§3: climb one label at a time, stopping before the top-level domain)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import dns.asyncresolver

from smtpcheck.checks.posture_findings import PostureResult, lookup_failed, posture_finding
from smtpcheck.dns.query import ask
from smtpcheck.dns.resolver import DEFAULT_TIMEOUT, LookupStatus

KNOWN_TAGS = ("issue", "issuewild", "iodef", "contactemail", "contactphone", "issuemail")
_ISSUER = re.compile(r"\s*([A-Za-z0-9.-]*)\s*(;.*)?\Z", re.S)
_CRITICAL = 128


@dataclass
class CaaSet:
    """The CAA records that apply to a host: where they were found, and their parts."""

    host: str
    found_at: str | None = None
    records: list[tuple[int, str, str]] = field(default_factory=list)
    failure: str = ""

    def problems(self) -> list[str]:
        """Syntax problems (§4.2, §4.3); each one line."""
        out: list[str] = []
        for flags, tag, value in self.records:
            if tag.lower() in ("issue", "issuewild") and not _ISSUER.match(value):
                out.append(f'{tag} "{value}" is not a CA domain name')
            elif tag.lower() not in KNOWN_TAGS and flags & _CRITICAL:
                out.append(f"critical unknown tag {tag!r}: CAs must refuse to issue")
            elif tag.lower() == "iodef" and not value.lower().startswith(
                ("mailto:", "http://", "https://")
            ):
                out.append(f'iodef "{value}" is not a mailto: or http(s): address')
        return out

    @property
    def issuers(self) -> list[str]:
        names = []
        for _, tag, value in self.records:
            match = _ISSUER.match(value)
            if tag.lower() == "issue" and match:
                names.append(match.group(1) or ";")
        return names


async def find_caa(
    resolver: dns.asyncresolver.Resolver, host: str, *, timeout: float = DEFAULT_TIMEOUT
) -> CaaSet:
    """The CAA set relevant to `host`, climbing towards (not into) the TLD."""
    result = CaaSet(host=host.rstrip("."))
    labels = result.host.split(".")
    for start in range(max(len(labels) - 1, 1)):
        name = ".".join(labels[start:])
        answer = await ask(resolver, name + ".", "CAA", timeout=timeout)
        if answer.status.is_failure:
            result.failure = f"CAA {name}: {answer.detail}"
            return result
        if answer.status is LookupStatus.OK:
            result.found_at = name
            for record in answer.records:
                tag = getattr(record, "tag", b"").decode("ascii", "replace")
                value = getattr(record, "value", b"").decode("utf-8", "replace")
                result.records.append((int(getattr(record, "flags", 0)), tag, value))
            return result
    return result


async def check_caa(
    resolver: dns.asyncresolver.Resolver,
    mx_hosts: Sequence[str],
    lang: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> PostureResult:
    """CAA findings for each MX host name."""
    out = PostureResult()
    for host in mx_hosts:
        found = await find_caa(resolver, host, timeout=timeout)
        name = found.host
        out.data[name] = {"found_at": found.found_at, "records": found.records}
        if found.failure:
            out.add(lookup_failed(lang, name, found.failure, subject=name))
        elif found.found_at is None:
            out.add(posture_finding("caa-missing", lang, subject=name, host=name))
        else:
            problems = found.problems()
            for problem in problems:
                out.add(
                    posture_finding(
                        "caa-syntax", lang, subject=name, name=found.found_at, error=problem
                    )
                )
            if not problems:
                out.add(
                    posture_finding(
                        "caa-present",
                        lang,
                        subject=name,
                        name=found.found_at,
                        issuers=", ".join(found.issuers) or "-",
                    )
                )
    return out
