"""Reverse DNS of a mail server's address: the PTR, whether it resolves back (FCrDNS),
and how it compares with the names in the banner and the EHLO reply.

Receivers check the PTR of servers that *send* to them; an inbound MX usually sends
too (bounces, forwards), so a missing or mismatched PTR is worth a warning. The banner
or EHLO name differing from the PTR is cosmetic (MXToolbox flags it; nothing rejects
mail for it), so it is information only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from smtpcheck.checks import make_finding
from smtpcheck.checks.names import normalise
from smtpcheck.report.model import Finding, Status


@dataclass(frozen=True)
class RdnsFacts:
    """What the lookups found for one address.

    `ptr_status` is "ok", "nxdomain", "nodata" or a DNS failure ("servfail", "timeout"...).
    `forward` maps each PTR name to the addresses its A/AAAA lookups returned.
    """

    ip: str
    ptr_status: str
    ptr_names: tuple[str, ...] = ()
    forward: Mapping[str, Sequence[str]] = field(default_factory=dict)
    detail: str = ""


def check_rdns(
    facts: RdnsFacts,
    lang: str,
    *,
    banner_name: str | None = None,
    ehlo_name: str | None = None,
    subject: str | None = None,
) -> list[Finding]:
    """PTR present, forward-confirmed, and the banner/EHLO names compared with it."""
    if facts.ptr_status in ("nxdomain", "nodata") or (
        facts.ptr_status == "ok" and not facts.ptr_names
    ):
        return [make_finding(Status.WARN, "ptr-missing", lang, subject=subject, ip=facts.ip)]
    if facts.ptr_status != "ok":
        return [
            make_finding(
                Status.INFO,
                "ptr-lookup-failed",
                lang,
                subject=subject,
                ip=facts.ip,
                detail=facts.detail or facts.ptr_status,
            )
        ]
    names = [normalise(name) for name in facts.ptr_names]
    confirmed = [name for name in names if facts.ip in facts.forward.get(name, ())]
    shown = ", ".join(names)
    out: list[Finding] = []
    if confirmed:
        out.append(
            make_finding(
                Status.PASS, "fcrdns-ok", lang, subject=subject, ip=facts.ip, name=confirmed[0]
            )
        )
    else:
        out.append(
            make_finding(
                Status.WARN, "fcrdns-mismatch", lang, subject=subject, ip=facts.ip, name=shown
            )
        )
    for label, name in (("banner", banner_name), ("EHLO", ehlo_name)):
        if name and normalise(name) not in names:
            out.append(
                make_finding(
                    Status.INFO,
                    "ptr-name-differs",
                    lang,
                    subject=subject,
                    where=label,
                    name=name,
                    ptr=shown,
                )
            )
    return out
