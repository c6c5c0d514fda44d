"""DNSSEC for the mail domain and each MX host (RFC 4033-4035): secure, insecure or bogus.

A validating resolver says it with the AD flag (secure) or a SERVFAIL that goes away
when asked again with CD set (bogus; its RFC 8914 extended error names why). When the
answer comes without AD, smtpcheck validates the chain itself (`dns.dnssec_chain`):
that tells an insecure zone from a resolver that does not validate at all (then
reported once, as a note). An alias is followed: its target's zone is judged too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import dns.asyncresolver

from smtpcheck.checks.posture_findings import PostureResult, posture_finding
from smtpcheck.dns.dnssec_chain import Anchors, DnssecState, validate_chain
from smtpcheck.dns.query import ExtendedError, ask
from smtpcheck.dns.resolver import DEFAULT_TIMEOUT, LookupStatus


@dataclass(frozen=True)
class DnssecStatus:
    """The DNSSEC state of the answer to (`name`, `rdtype`).

    `source` is "resolver" (its AD flag or SERVFAIL said it) or "smtpcheck" (our own
    chain validation). `resolver_validates` is False when we found a secure chain the
    resolver did not flag with AD; None when the question did not arise.
    """

    name: str
    rdtype: str
    state: DnssecState
    source: str
    detail: str = ""
    extended_errors: tuple[ExtendedError, ...] = ()
    cname_target: str | None = None
    resolver_validates: bool | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "state": str(self.state),
            "source": self.source,
            "detail": self.detail,
            "extended_errors": [str(error) for error in self.extended_errors],
            "cname_target": self.cname_target,
        }


async def dnssec_status(
    resolver: dns.asyncresolver.Resolver,
    name: str,
    rdtype: str,
    *,
    anchors: Anchors | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> DnssecStatus:
    """Ask, then judge the answer's DNSSEC state (see the module docstring)."""
    qname = name if name.endswith(".") else name + "."
    shown = qname.rstrip(".")
    answer = await ask(resolver, qname, rdtype, timeout=timeout)
    target = answer.cname_chain[-1].rstrip(".") if answer.cname_chain else None
    if answer.status is LookupStatus.SERVFAIL:
        retry = await ask(resolver, qname, rdtype, checking_disabled=True, timeout=timeout)
        if not retry.status.is_failure:
            errors = answer.extended_errors
            detail = "; ".join(str(e) for e in errors) or "the resolver refused it as bogus"
            return DnssecStatus(shown, rdtype, DnssecState.BOGUS, "resolver", detail, errors)
    if answer.status.is_failure:
        return DnssecStatus(
            shown,
            rdtype,
            DnssecState.INDETERMINATE,
            "resolver",
            answer.detail,
            answer.extended_errors,
        )
    if answer.authenticated:
        return DnssecStatus(shown, rdtype, DnssecState.SECURE, "resolver", "AD", (), target)
    chain = await validate_chain(resolver, qname, rdtype, anchors=anchors, timeout=timeout)
    return DnssecStatus(
        shown,
        rdtype,
        chain.state,
        "smtpcheck",
        chain.detail,
        (),
        target,
        resolver_validates=False if chain.state is DnssecState.SECURE else None,
    )


_CODES = {
    DnssecState.SECURE: "dnssec-secure",
    DnssecState.INSECURE: "dnssec-insecure",
    DnssecState.BOGUS: "dnssec-bogus",
    DnssecState.INDETERMINATE: "dnssec-unknown",
}


async def check_dnssec(
    resolver: dns.asyncresolver.Resolver,
    domain: str,
    lang: str,
    *,
    mx_hosts: Sequence[str] = (),
    anchors: Anchors | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> PostureResult:
    """DNSSEC findings for the mail domain (its MX answer) and each MX host (its A
    answer), plus the zone of any alias target on the way."""
    out = PostureResult()
    questions = [(domain.rstrip("."), "MX")] + [(h.rstrip("."), "A") for h in mx_hosts]
    statuses = list(
        await asyncio.gather(
            *(dnssec_status(resolver, n, t, anchors=anchors, timeout=timeout) for n, t in questions)
        )
    )
    for status in list(statuses):
        if status.cname_target:
            target = await dnssec_status(
                resolver, status.cname_target, status.rdtype, anchors=anchors, timeout=timeout
            )
            out.add(
                posture_finding(
                    "dnssec-cname-target",
                    lang,
                    subject=status.name,
                    name=status.name,
                    target=target.name,
                )
            )
            statuses.append(target)
    out.data["names"] = [status.to_dict() for status in statuses]
    for status in statuses:
        out.add(
            posture_finding(
                _CODES[status.state],
                lang,
                subject=status.name,
                name=status.name,
                detail=status.detail or "-",
            )
        )
    if any(status.resolver_validates is False for status in statuses):
        out.add(posture_finding("dnssec-resolver-not-validating", lang))
    return out
