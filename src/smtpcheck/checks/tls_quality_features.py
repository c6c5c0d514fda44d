"""TLS quality, the protocol features and known flaws a scanner can see over STARTTLS.

Secure renegotiation (RFC 5746), client-initiated renegotiation (information only, as
internet.nl rates it), compression (CRIME), Extended Master Secret (RFC 7627), 0-RTT
(RFC 8446 section 2.3; must be off), Heartbleed, CCS injection, ROBOT, and
TLS_FALLBACK_SCSV (RFC 7507). A value the scan did not learn (None) gives no finding.
"""

from __future__ import annotations

from smtpcheck.checks.tls_quality_grader import Grader
from smtpcheck.net.tls_scan_model import TlsScanFacts
from smtpcheck.report.model import Status


def _either(
    grader: Grader, value: bool | None, good: tuple[Status, str], bad: tuple[Status, str]
) -> None:
    if value is None:
        return
    status, code = bad if value else good
    grader.add(status, code)


def check_features(grader: Grader, facts: TlsScanFacts) -> None:
    """Renegotiation, compression, Extended Master Secret and 0-RTT."""
    if facts.secure_renegotiation is not None:
        _either(
            grader,
            not facts.secure_renegotiation,
            (Status.PASS, "tls-reneg-secure"),
            (Status.FAIL, "tls-reneg-insecure"),
        )
    _either(
        grader,
        facts.client_renegotiation,
        (Status.PASS, "tls-client-reneg-off"),
        (Status.INFO, "tls-client-reneg-on"),
    )
    _either(
        grader,
        facts.compression,
        (Status.PASS, "tls-compression-off"),
        (Status.FAIL, "tls-compression-on"),
    )
    below_13 = any(v != "TLSv1.3" for v in facts.accepted_versions)
    if below_13 and facts.extended_master_secret is not None:
        _either(
            grader,
            not facts.extended_master_secret,
            (Status.PASS, "tls-ems-ok"),
            (Status.FAIL, "tls-ems-missing"),
        )
    _either(grader, facts.early_data, (Status.PASS, "tls-0rtt-off"), (Status.FAIL, "tls-0rtt-on"))


def check_vulnerabilities(grader: Grader, facts: TlsScanFacts) -> None:
    """Heartbleed, CCS injection, ROBOT; the fallback signal when several versions exist."""
    tested: list[str] = []
    if facts.heartbleed is not None:
        tested.append("Heartbleed")
        if facts.heartbleed:
            grader.add(Status.FAIL, "tls-heartbleed")
    if facts.ccs_injection is not None:
        tested.append("CCS injection")
        if facts.ccs_injection:
            grader.add(Status.FAIL, "tls-ccs-injection")
    if facts.robot is not None and facts.robot != "inconsistent":
        tested.append("ROBOT")
        if facts.robot == "vulnerable-strong":
            grader.add(Status.FAIL, "tls-robot")
        elif facts.robot == "vulnerable-weak":
            grader.add(Status.WARN, "tls-robot-weak")
    found = {"tls-heartbleed", "tls-ccs-injection", "tls-robot", "tls-robot-weak"}
    if tested and not any(finding.code in found for finding in grader.findings):
        grader.add(Status.PASS, "tls-vulns-none", tested=", ".join(tested))
    if facts.fallback_scsv is False and len(facts.accepted_versions) > 1:
        grader.add(Status.INFO, "tls-fallback-scsv-missing")
