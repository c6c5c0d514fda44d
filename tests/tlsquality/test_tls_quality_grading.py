"""Grading TLS-scan facts into findings (checks/tls_quality*), from plain values."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from facts import BAD_FEATURES, FFDHE3072, MODERN, OAKLEY_2, modern, suite

from smtpcheck.checks.tls_quality import address_status, domain_status, grade_tls_scan
from smtpcheck.knowledge import _data
from smtpcheck.net.tls_scan_model import CertificateFacts, CipherOrder, ScanOutcome
from smtpcheck.report.model import Status

NOT_SCANNED = set(ScanOutcome) - {ScanOutcome.SCANNED, ScanOutcome.INCOMPLETE}
DOCS = Path(__file__).resolve().parents[2] / "docs" / "tls-quality.md"


def codes(findings, *statuses):
    return {f.code for f in findings if not statuses or f.status in statuses}


def test_a_modern_server_gets_no_warning_and_every_topic_passes():
    findings = grade_tls_scan(MODERN, "en")
    assert address_status(findings) is Status.PASS
    assert codes(findings, Status.FAIL, Status.WARN) == set()
    assert codes(findings) == {
        "tls-protocols-ok", "tls-suites-ok", "tls-order-ok", "tls-kex-ok", "tls-kex-hash-ok",
        "tls-cert-key-ok", "tls-cert-sig-ok", "tls-reneg-secure", "tls-client-reneg-off",
        "tls-compression-off", "tls-ems-ok", "tls-0rtt-off", "tls-vulns-none",
    }  # fmt: skip
    assert all(f.subject == "mx.example.test [192.0.2.1]" for f in findings)


def test_old_protocols_fail_and_a_missing_tls13_is_worth_knowing():
    versions = {"TLSv1.3": False, "TLSv1.2": True, "TLSv1.1": True, "TLSv1.0": True}
    findings = grade_tls_scan(modern(versions=versions), "en")
    (bad,) = [f for f in findings if f.code == "tls-protocols-insufficient"]
    assert bad.status is Status.FAIL
    assert "TLSv1.0, TLSv1.1" in bad.message and "smtpd_tls_protocols" in (bad.fix or "")
    assert "tls-protocols-no-tls13" in codes(findings, Status.INFO)


def test_suites_are_judged_by_their_worst_class_and_long_lists_are_cut():
    weak = [suite(f"TLS_RSA_WITH_CIPHER_{n}", key=None) for n in range(8)]
    cbc = suite("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256")
    findings = grade_tls_scan(modern(suites=(*MODERN.suites, cbc, *weak)), "en")
    (insufficient,) = [f for f in findings if f.code == "tls-suites-insufficient"]
    assert insufficient.message.startswith("8 cipher suites accepted are insufficient")
    assert insufficient.message.endswith("and 2 more.")
    assert "tls-suites-phase-out" in codes(findings, Status.WARN)
    assert "tls-suites-ok" not in codes(findings)
    italian = grade_tls_scan(modern(suites=(*MODERN.suites, *weak)), "it")
    assert any(f.message.endswith("e altri 2.") for f in italian)


@pytest.mark.parametrize(
    ("order", "code", "status"),
    [
        (CipherOrder("TLSv1.2", enforced=True), "tls-order-ok", Status.PASS),
        (CipherOrder("TLSv1.2", enforced=False), "tls-order-not-needed", Status.PASS),
        (
            CipherOrder("TLSv1.2", False, ("TLS_RSA_X", "TLS_ECDHE_Y")),
            "tls-order-client",
            Status.FAIL,
        ),
        (
            CipherOrder("TLSv1.2", True, ("TLS_RSA_X", "TLS_ECDHE_Y")),
            "tls-order-weak-first",
            Status.FAIL,
        ),
    ],
)
def test_cipher_order(order, code, status):
    findings = grade_tls_scan(modern(cipher_order=order), "en")
    (found,) = [f for f in findings if f.code.startswith("tls-order")]
    assert (found.code, found.status) == (code, status)
    if order.violation:
        assert "TLS_RSA_X" in found.message and "TLS_ECDHE_Y" in found.message


def test_key_exchange_groups_and_dh_primes():
    dh_suite = suite("TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", key=FFDHE3072)
    findings = grade_tls_scan(modern(suites=(*MODERN.suites, dh_suite)), "en")
    assert [f.message for f in findings if f.code == "tls-kex-phase-out"] == [
        "Key-exchange parameters that should be phased out: DH ffdhe3072."
    ]
    oakley = suite("TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", key=OAKLEY_2)
    weak_curve = ("X25519", "secp192r1")
    findings = grade_tls_scan(modern(suites=(*MODERN.suites, oakley), groups=weak_curve), "en")
    (bad,) = [f for f in findings if f.code == "tls-kex-insufficient"]
    assert "DH-1024" in bad.message and "ECDH secp192r1" in bad.message
    assert "ECDH X25519" not in bad.message


def test_kex_hash():
    assert "tls-kex-hash-weak" in codes(grade_tls_scan(modern(kex_hash="sha1"), "en"), Status.WARN)
    (weak,) = [f for f in grade_tls_scan(modern(kex_hash="sha1"), "en") if "kex-hash" in f.code]
    assert "SHA-1" in weak.message
    assert not any("kex-hash" in c for c in codes(grade_tls_scan(modern(kex_hash=None), "en")))


def test_certificates_rsa_2048_is_information_not_a_warning():
    rsa_2048 = CertificateFacts("mx.example.test", "RSA", 2048, None, "sha256WithRSAEncryption",
                                "sha256", False)  # fmt: skip
    findings = grade_tls_scan(modern(certificates=(rsa_2048,)), "en")
    assert "tls-cert-key-phase-out" in codes(findings, Status.INFO)
    assert address_status(findings) is Status.PASS


def test_certificates_weak_leaf_fails_but_a_self_signed_root_is_not_judged():
    weak_leaf = CertificateFacts("old.example.test", "RSA", 1024, None, "sha1WithRSAEncryption",
                                 "sha1", False)  # fmt: skip
    findings = grade_tls_scan(modern(certificates=(weak_leaf,)), "en")
    assert {"tls-cert-key-insufficient", "tls-cert-sig-insufficient"} <= codes(
        findings, Status.FAIL
    )
    old_root = CertificateFacts("Old Root CA", "RSA", 1024, None, "sha1WithRSAEncryption",
                                "sha1", True)  # fmt: skip
    findings = grade_tls_scan(modern(certificates=(MODERN.certificates[0], old_root)), "en")
    assert codes(findings, Status.FAIL) == set()


def test_features_and_vulnerabilities():
    bad = modern(**{**BAD_FEATURES, "robot": "vulnerable-weak"})
    findings = grade_tls_scan(bad, "en")
    assert codes(findings, Status.FAIL) >= {
        "tls-reneg-insecure", "tls-compression-on", "tls-ems-missing", "tls-0rtt-on",
        "tls-heartbleed", "tls-ccs-injection",
    }  # fmt: skip
    assert "tls-robot-weak" in codes(findings, Status.WARN)
    assert {"tls-client-reneg-on", "tls-fallback-scsv-missing"} <= codes(findings, Status.INFO)
    assert "tls-vulns-none" not in codes(findings)
    assert "tls-robot" in codes(grade_tls_scan(modern(robot="vulnerable-strong"), "en"))


def test_ems_is_not_judged_for_a_tls13_only_server():
    only_13 = {"TLSv1.3": True, "TLSv1.2": False}
    findings = grade_tls_scan(modern(versions=only_13, extended_master_secret=False), "en")
    assert not any(c.startswith("tls-ems") for c in codes(findings))


@pytest.mark.parametrize(
    ("outcome", "code", "status"),
    [
        (ScanOutcome.NO_STARTTLS, "tls-scan-no-starttls", Status.INFO),
        (ScanOutcome.NO_TLS, "tls-scan-no-tls", Status.FAIL),
        (ScanOutcome.UNREACHABLE, "tls-scan-unreachable", Status.WARN),
        (ScanOutcome.TIMEOUT, "tls-scan-timeout", Status.WARN),
        (ScanOutcome.ERROR, "tls-scan-error", Status.WARN),
    ],
)
def test_an_address_that_was_not_scanned_gets_one_finding(outcome, code, status):
    findings = grade_tls_scan(modern(outcome=outcome, detail="why"), "en")
    assert [(f.code, f.status) for f in findings] == [(code, status)]
    assert code == "tls-scan-no-tls" or "why" in findings[0].message


def test_incomplete_and_quick_scans_say_so_and_keep_their_verdicts():
    partial = modern(outcome=ScanOutcome.INCOMPLETE, detail="time limit", quick=True)
    findings = grade_tls_scan(partial, "en")
    assert findings[0].code == "tls-scan-incomplete" and findings[0].status is Status.WARN
    assert findings[1].code == "tls-scan-quick"
    assert "tls-protocols-ok" in codes(findings)
    errors = grade_tls_scan(modern(errors=("robot: connectivity issue",)), "en")
    assert "robot: connectivity issue" in errors[-1].message


def test_the_domain_takes_its_worst_address():
    good = grade_tls_scan(MODERN, "en")
    warned = grade_tls_scan(modern(kex_hash="sha1"), "en")
    failed = grade_tls_scan(modern(compression=True), "en")
    assert domain_status([good, good]) is Status.PASS
    assert domain_status([good, warned]) is Status.WARN
    assert domain_status([warned, failed, good]) is Status.FAIL
    assert domain_status([]) is Status.INFO


def _every_finding() -> list:
    """Facts that together reach every finding code (checked below against the catalogue)."""
    variants = [
        MODERN,
        modern(versions={"TLSv1.3": False, "TLSv1.2": True, "TLSv1.0": True}),
        modern(suites=(suite("TLS_RSA_X", key=None), suite("TLS_DHE_RSA_WITH_AES_256_CCM",
               key=OAKLEY_2), suite("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", key=FFDHE3072))),
        modern(cipher_order=CipherOrder("TLSv1.2", False)),
        modern(cipher_order=CipherOrder("TLSv1.2", False, ("A", "B"))),
        modern(cipher_order=CipherOrder("TLSv1.2", True, ("A", "B"))),
        modern(kex_hash="sha1"),
        modern(certificates=(CertificateFacts("a", "RSA", 2048, None, "x", "sha256", False),)),
        modern(certificates=(CertificateFacts("a", "RSA", 1024, None, "x", "md5", False),)),
        modern(**BAD_FEATURES),
        modern(robot="vulnerable-weak"),
        modern(outcome=ScanOutcome.INCOMPLETE, quick=True, errors=("x: y",)),
        *(modern(outcome=o) for o in NOT_SCANNED),
    ]  # fmt: skip
    return [f for facts in variants for lang in ("en", "it") for f in grade_tls_scan(facts, lang)]


def test_every_catalogue_entry_is_reachable_documented_and_translated():
    catalogue = _data.language_file("en", "tls_quality")["check"]["finding"]
    findings = _every_finding()
    reached = {f.code.replace("-", "_") for f in findings}
    assert reached == set(catalogue)
    documented = set(re.findall(r"`(tls-[a-z0-9-]+)`", DOCS.read_text(encoding="utf-8")))
    assert {f.code for f in findings} <= documented
    for finding in findings:
        assert "{" not in finding.message and "{" not in (finding.fix or "")


def test_italian_texts_are_italian():
    english = {f.code: f.message for f in grade_tls_scan(modern(compression=True), "en")}
    italian = {f.code: f.message for f in grade_tls_scan(modern(compression=True), "it")}
    assert english.keys() == italian.keys()
    assert italian["tls-compression-on"].startswith("Il server accetta la compressione TLS")
    assert all(italian[code] != english[code] for code in english)


def test_what_the_server_said_is_quoted_terminal_safe_and_bounded():
    hostile = "SMTP EHLO was rejected: 550 \x1b[2J\u202ego away " + "x" * 500
    (finding,) = grade_tls_scan(modern(outcome=ScanOutcome.UNREACHABLE, detail=hostile), "en")
    assert "\x1b" not in finding.message and "\u202e" not in finding.message
    assert len(finding.message) < 300
    evil_cert = CertificateFacts(
        "evil\x07.example", "RSA", 1024, None, "sha1WithRSA", "sha1", False
    )
    findings = grade_tls_scan(modern(certificates=(evil_cert,)), "en")
    assert not any("\x07" in f.message for f in findings)


@pytest.mark.parametrize("catalogue", ["tls_quality", "smuggling"])
def test_italian_fixes_use_the_impersonal_infinitive_as_the_posture_checks_do(catalogue):
    entries = _data.language_file("it", catalogue)["check"]["finding"]
    for code, entry in entries.items():
        fix = entry.get("fix", "")
        assert not set(re.findall(r"\w+", fix.lower())) & {"tuo", "tua", "tuoi", "tue", "te"}
        first = fix.split()[0].strip(",:") if fix else "Controllare"
        assert re.search(r"(ar|er|ir|rr)(e|lo|la|li|le|ne)$", first) or first == "Far", code
