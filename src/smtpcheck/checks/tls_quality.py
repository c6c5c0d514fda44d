"""TLS quality of one mail server address, graded as internet.nl grades it (NCSC-NL).

`grade_tls_scan(facts, lang)` turns what a scan found (`net.tls_scan_model.TlsScanFacts`)
into findings: protocol versions, cipher suites and the server's order, key-exchange
parameters and hash, certificate keys and signatures (`checks.tls_quality_crypto`),
renegotiation, compression, Extended Master Secret, 0-RTT and known vulnerabilities
(`checks.tls_quality_features`). `address_status` is one address's grade (its worst
finding); `domain_status` the domain's, which internet.nl takes from its worst address.

Levels come from `knowledge.tls_grades` (insufficient -> fail, phase out -> warn);
texts from `knowledge/data/<lang>/tls_quality.toml`. Codes: docs/tls-quality.md. What
came from the server (a certificate's name, an error text) is quoted terminal-safe and
bounded, as the other posture checks do.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from smtpcheck.checks.posture_findings import quote
from smtpcheck.checks.tls_quality_crypto import (
    check_certificates,
    check_cipher_order,
    check_kex_hash,
    check_key_exchange,
    check_protocols,
    check_suites,
)
from smtpcheck.checks.tls_quality_features import check_features, check_vulnerabilities
from smtpcheck.checks.tls_quality_grader import Grader
from smtpcheck.net.tls_scan_model import ScanOutcome, TlsScanFacts
from smtpcheck.report.model import SEVERITY_ORDER, Finding, Status

#: an address that could not be scanned: (status, code)
_NOT_SCANNED = {
    ScanOutcome.NO_STARTTLS: (Status.INFO, "tls-scan-no-starttls"),
    ScanOutcome.NO_TLS: (Status.FAIL, "tls-scan-no-tls"),
    ScanOutcome.UNREACHABLE: (Status.WARN, "tls-scan-unreachable"),
    ScanOutcome.TIMEOUT: (Status.WARN, "tls-scan-timeout"),
    ScanOutcome.ERROR: (Status.WARN, "tls-scan-error"),
}


def grade_tls_scan(facts: TlsScanFacts, lang: str, *, subject: str | None = None) -> list[Finding]:
    """Every finding about one scanned address, worst first within each topic."""
    grader = Grader(lang, subject or facts.target.label)
    not_scanned = _NOT_SCANNED.get(facts.outcome)
    if not_scanned is not None:
        status, code = not_scanned
        grader.add(status, code, detail=quote(facts.detail or "-"))
        return grader.findings
    if facts.outcome is ScanOutcome.INCOMPLETE:
        grader.add(Status.WARN, "tls-scan-incomplete", detail=quote(facts.detail or "-"))
    if facts.quick:
        grader.add(Status.INFO, "tls-scan-quick")
    check_protocols(grader, facts)
    check_suites(grader, facts)
    check_cipher_order(grader, facts)
    check_key_exchange(grader, facts)
    check_kex_hash(grader, facts)
    check_certificates(grader, facts)
    check_features(grader, facts)
    check_vulnerabilities(grader, facts)
    if facts.errors:
        grader.add(Status.INFO, "tls-scan-errors", errors=grader.listing(map(quote, facts.errors)))
    return grader.findings


def _worst(statuses: Iterable[Status]) -> Status:
    present = set(statuses)
    for status in SEVERITY_ORDER:
        if status in present:
            return status
    return Status.INFO


def address_status(findings: Iterable[Finding]) -> Status:
    """The grade of one address: its worst finding; INFO when nothing was judged."""
    return _worst(finding.status for finding in findings)


def domain_status(per_address: Sequence[Iterable[Finding]]) -> Status:
    """The domain's TLS grade: the worst of its addresses (as internet.nl takes it)."""
    return _worst(address_status(findings) for findings in per_address)
