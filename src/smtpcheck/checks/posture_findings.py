"""What every domain-posture check shares: the finding codes with their fixed status,
`posture_finding()` to build one from the catalogue, and `PostureResult`.

A code always has the same status (`spf-plus-all` is always a failure), so the status
lives here, beside the code, and the texts in `knowledge/data/<lang>/posture.toml`.
Facts that came from DNS or a web server are made terminal-safe (`visible`) and cut to
a bounded length before they go into a message: records are peer input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from smtpcheck.knowledge.posture import posture_text
from smtpcheck.report.model import Finding, Status
from smtpcheck.report.visible import visible

#: longest peer-supplied fact quoted in a message (the full text goes in `data`)
MAX_FACT_LENGTH = 160

F, W, P, N = Status.FAIL, Status.WARN, Status.PASS, Status.INFO  # N: a note (info)

CODES: dict[str, Status] = {
    # ---- DNS trouble shared by every check
    "dns-lookup-failed": W,
    # ---- SPF (RFC 7208)
    "spf-ok": P,
    "spf-missing": F,
    "spf-multiple": F,
    "spf-syntax": F,
    "spf-plus-all": F,
    "spf-neutral-all": W,
    "spf-softfail-all": N,
    "spf-no-all": W,
    "spf-too-many-lookups": F,
    "spf-too-many-void-lookups": F,
    "spf-include-missing": F,
    "spf-include-loop": F,
    "spf-ptr": W,
    "spf-macro-not-followed": N,
    "spf-mx-too-many": F,
    "spf-record-too-long": W,
    "spf-result": P,
    "spf-result-fail": W,
    # ---- DMARC (RFC 7489, DMARCbis)
    "dmarc-ok": P,
    "dmarc-missing": F,
    "dmarc-multiple": F,
    "dmarc-syntax": F,
    "dmarc-from-org-domain": N,
    "dmarc-p-none": W,
    "dmarc-sp-weaker": W,
    "dmarc-np-weaker": N,
    "dmarc-pct-partial": W,
    "dmarc-testing": W,
    "dmarc-strict-alignment": N,
    "dmarc-no-rua": W,
    "dmarc-uri-invalid": F,
    "dmarc-external-unauthorised": W,
    "dmarc-external-authorised": P,
    "dmarc-unknown-tag": N,
    # ---- DKIM (RFC 6376, RFC 8301, RFC 8463)
    "dkim-no-domainkey": W,
    "dkim-domainkey-exists": N,
    "dkim-key-ok": P,
    "dkim-key-weak": W,
    "dkim-key-too-short": F,
    "dkim-key-revoked": N,
    "dkim-key-testing": W,
    "dkim-key-invalid": F,
    "dkim-sha1-only": W,
    "dkim-selector-missing": F,
    "dkim-no-selector-found": N,
    # ---- MTA-STS (RFC 8461)
    "mta-sts-missing": N,
    "mta-sts-txt-multiple": F,
    "mta-sts-txt-syntax": F,
    "mta-sts-policy-unreachable": F,
    "mta-sts-policy-untrusted": F,
    "mta-sts-policy-http-status": F,
    "mta-sts-policy-redirect": F,
    "mta-sts-policy-content-type": W,
    "mta-sts-policy-too-large": F,
    "mta-sts-policy-syntax": F,
    "mta-sts-enforce": P,
    "mta-sts-testing": W,
    "mta-sts-none": W,
    "mta-sts-max-age-short": W,
    "mta-sts-mx-not-covered": F,
    "mta-sts-mx-covered": P,
    "mta-sts-mx-tls-fails": F,
    "mta-sts-mx-tls-fails-testing": W,
    # ---- TLS-RPT (RFC 8460)
    "tlsrpt-ok": P,
    "tlsrpt-missing": N,
    "tlsrpt-multiple": F,
    "tlsrpt-syntax": F,
    "tlsrpt-uri-invalid": F,
    # ---- DANE (RFC 7672, RFC 7671)
    "dane-missing": N,
    "dane-insecure-ignored": W,
    "dane-bogus": F,
    "dane-match": P,
    "dane-no-match": F,
    "dane-record-unusable": W,
    "dane-record-malformed": F,
    "dane-rollover-ready": P,
    "dane-rollover-single": N,
    "dane-no-certificate": N,
    # ---- DNSSEC (RFC 4033-4035)
    "dnssec-secure": P,
    "dnssec-insecure": W,
    "dnssec-bogus": F,
    "dnssec-unknown": W,
    "dnssec-resolver-not-validating": N,
    "dnssec-cname-target": N,
    # ---- CAA (RFC 8659)
    "caa-present": P,
    "caa-missing": N,
    "caa-syntax": W,
    # ---- null MX (RFC 7505) and IPv6
    "null-mx-consistent": P,
    "null-mx-spf-not-fail": W,
    "null-mx-dmarc-not-reject": W,
    "mx-ipv6": P,
    "mx-no-ipv6": W,
}


@dataclass
class PostureResult:
    """What one posture check found: its findings, and the facts behind them (records,
    the fetched policy...) for JSON and the report's details."""

    findings: list[Finding] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def add(self, finding: Finding) -> None:
        self.findings.append(finding)

    @property
    def codes(self) -> list[str]:
        return [finding.code for finding in self.findings]


def quote(fact: object) -> str:
    """A peer-supplied fact made safe and short for a message."""
    text = visible(str(fact))
    if len(text) > MAX_FACT_LENGTH:
        text = text[: MAX_FACT_LENGTH - 1] + "…"
    return text


TIME_LIMIT = "time limit"


def lookup_failed(lang: str, name: str, detail: str, *, subject: str | None = None) -> Finding:
    """The finding every check gives when a lookup of `name` failed (`detail`: why)."""
    return posture_finding(
        "dns-lookup-failed", lang, subject=subject, name=name, detail=detail or "?"
    )


def posture_finding(
    code: str, lang: str, /, *, subject: str | None = None, **facts: object
) -> Finding:
    """The finding `code` (status from `CODES`) with its message and fix in `lang`."""
    status = CODES[code]
    safe = {name: quote(value) for name, value in facts.items()}
    message = posture_text(code, "message", lang, **safe)
    if message is None:
        raise KeyError(f"no text for posture finding {code!r}")
    fix = posture_text(code, "fix", lang, **safe)
    return Finding(status=status, code=code, message=message, fix=fix, subject=subject)
