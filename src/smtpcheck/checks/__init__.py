"""One module per inbound check; each turns captured facts into `Finding`s.

The checks do no I/O: the `check` scenario (scenarios/check/) connects, reads and looks
things up, then hands what it saw to these functions. That keeps every verdict
unit-testable from plain values. Texts come from `knowledge/` (`check.finding.*` keys,
English and Italian); `make_finding` builds a `Finding` from its code.
"""

from __future__ import annotations

from smtpcheck.knowledge.i18n import t
from smtpcheck.report.model import Finding, Status


def make_finding(
    status: Status,
    code: str,
    lang: str,
    /,
    *,
    subject: str | None = None,
    catalogue: str = "messages",
    **fmt: object,
) -> Finding:
    """A finding whose message (and fix, if the catalogue has one) is `check.finding.CODE`.

    Codes use hyphens (`cert-expired`); catalogue keys use underscores (`cert_expired`).
    `catalogue` names the knowledge file holding the texts (a check family may keep its
    own, e.g. "tls_quality").
    """
    key = "check.finding." + code.replace("-", "_")
    message = t(f"{key}.message", lang, catalogue=catalogue, **fmt)
    try:
        fix: str | None = t(f"{key}.fix", lang, catalogue=catalogue, **fmt)
    except KeyError:
        fix = None
    return Finding(status=status, code=code, message=message, fix=fix, subject=subject)
