"""One module per inbound check; each turns captured facts into `Finding`s.

The checks do no I/O: the `check` scenario (scenarios/check/) connects, reads and looks
things up, then hands what it saw to these functions. That keeps every verdict
unit-testable from plain values. Texts come from `knowledge/` (`check.finding.*` keys,
English and Italian); `make_finding` builds a `Finding` from its code.
"""

from __future__ import annotations

from smtpcheck.knowledge.i18n import catalogue_text
from smtpcheck.report.model import Finding, Status


def make_finding(
    status: Status, code: str, lang: str, /, *, subject: str | None = None, **fmt: object
) -> Finding:
    """A finding whose message (and fix, if the catalogue has one) is `check.finding.CODE`.

    Codes use hyphens (`cert-expired`); catalogue keys use underscores (`cert_expired`).
    """
    return make_catalogue_finding("messages", status, code, lang, subject=subject, **fmt)


def make_catalogue_finding(
    catalogue: str,
    status: Status,
    code: str,
    lang: str,
    /,
    *,
    subject: str | None = None,
    **fmt: object,
) -> Finding:
    """`make_finding` with the texts in another knowledge file (`data/<lang>/<catalogue>.toml`),
    for a family of checks that keeps its own (e.g. "tls_quality")."""
    key = "check.finding." + code.replace("-", "_")
    message = catalogue_text(catalogue, f"{key}.message", lang, **fmt)
    try:
        fix: str | None = catalogue_text(catalogue, f"{key}.fix", lang, **fmt)
    except KeyError:
        fix = None
    return Finding(status=status, code=code, message=message, fix=fix, subject=subject)
