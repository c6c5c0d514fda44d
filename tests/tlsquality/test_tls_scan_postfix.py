"""TLS-quality scans of real Postfix listeners: a weak one and a modern one grade apart.

The listeners are in peers/postfix_lab.py: `weak_tls` offers TLS 1.0-1.2, every suite in
the client's order, a 1024-bit self-made DH group, an RSA-1024 certificate signed with
SHA-1, no Extended Master Secret and client renegotiation; `modern_tls` TLS 1.2-1.3,
ECDHE with AEAD suites only, in its own order, and an ECDSA P-256 certificate.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from peers.postfix_lab import OAKLEY_GROUP_2
from smtpcheck.checks.tls_quality import address_status, grade_tls_scan
from smtpcheck.knowledge.tls_grades import prime_fingerprint
from smtpcheck.net.tls_scan import scan_tls_quality
from smtpcheck.net.tls_scan_model import ScanOutcome, ScanTarget
from smtpcheck.report.model import Status

EHLO = "scanner.client.test"


def run_scan(targets, **options):
    options.setdefault("time_limit", 60)
    options.setdefault("connection_timeout", 5)
    return asyncio.run(scan_tls_quality(targets, ehlo=EHLO, **options))


def lab_targets(postfix):
    return [
        ScanTarget("weak.example.test", postfix.host, postfix.weak_tls_port),
        ScanTarget("modern.example.test", postfix.host, postfix.modern_tls_port),
        ScanTarget("mx.example.test", postfix.host, postfix.implicit_tls_port, implicit_tls=True),
    ]


@pytest.fixture(scope="module")
def full(postfix):
    return run_scan(lab_targets(postfix))


@pytest.fixture(scope="module")
def quick(postfix):
    return run_scan(lab_targets(postfix), quick=True)


def fail_and_warn(facts):
    return {f.code for f in grade_tls_scan(facts, "en") if f.status in (Status.FAIL, Status.WARN)}


def test_the_weak_listener_is_seen_as_weak(full):
    weak = full[0]
    assert weak.outcome is ScanOutcome.SCANNED and weak.suites_complete
    assert weak.accepted_versions == ("TLSv1.0", "TLSv1.1", "TLSv1.2")
    oakley = prime_fingerprint(OAKLEY_GROUP_2)
    assert any(s.key and s.key.prime_sha256 == oakley for s in weak.suites)
    assert any(s.name.startswith("TLS_RSA_WITH_") for s in weak.suites)
    leaf = weak.certificates[0]
    assert (leaf.subject, leaf.key_type, leaf.key_bits, leaf.signature_hash) == (
        "weak.example.test", "RSA", 1024, "sha1",
    )  # fmt: skip
    assert weak.extended_master_secret is False
    assert weak.client_renegotiation is True
    assert weak.kex_hash == "sha1"
    assert weak.cipher_order is not None and not weak.cipher_order.enforced
    assert weak.cipher_order.violation is not None


def test_the_weak_listener_fails_on_every_planted_fault(full):
    findings = grade_tls_scan(full[0], "en")
    assert address_status(findings) is Status.FAIL
    assert fail_and_warn(full[0]) == {
        "tls-protocols-insufficient", "tls-suites-insufficient", "tls-suites-phase-out",
        "tls-order-client", "tls-kex-insufficient", "tls-kex-hash-weak",
        "tls-cert-key-insufficient", "tls-cert-sig-insufficient", "tls-ems-missing",
    }  # fmt: skip
    info = {f.code for f in findings if f.status is Status.INFO}
    assert {"tls-protocols-no-tls13", "tls-client-reneg-on"} <= info


def test_the_modern_listener_passes_everything(full):
    modern = full[1]
    assert modern.outcome is ScanOutcome.SCANNED
    assert modern.accepted_versions == ("TLSv1.2", "TLSv1.3")
    assert modern.cipher_order is not None and modern.cipher_order.enforced
    assert set(modern.groups or ()) == {"X25519", "secp256r1", "secp384r1"}
    assert modern.robot == "no-rsa" and modern.heartbleed is False
    findings = grade_tls_scan(modern, "en")
    assert address_status(findings) is Status.PASS, [f.message for f in findings]
    assert {f.code for f in findings} >= {"tls-order-ok", "tls-cert-key-ok", "tls-vulns-none"}


def test_implicit_tls_is_scanned_without_starttls(full):
    implicit = full[2]
    assert implicit.outcome is ScanOutcome.SCANNED
    assert implicit.certificates[0].subject == "mx.example.test"
    assert implicit.accepted_versions[-1] == "TLSv1.3"


def test_the_quick_scan_leaves_out_the_expensive_tests_but_still_tells_them_apart(quick):
    weak, modern, _ = quick
    for facts in (weak, modern):
        assert facts.quick and facts.outcome is ScanOutcome.SCANNED
        assert facts.cipher_order is None and facts.groups is None and facts.robot is None
        assert not facts.suites_complete
        assert len(facts.suites) == len(facts.accepted_versions)  # one handshake each
    assert {"tls-protocols-insufficient", "tls-cert-sig-insufficient", "tls-ems-missing"} <= (
        fail_and_warn(weak)
    )
    assert fail_and_warn(modern) == set()


def test_the_grades_read_in_italian(full):
    (protocols,) = [
        f for f in grade_tls_scan(full[0], "it") if f.code.startswith("tls-protocols-i")
    ]
    assert protocols.message.startswith("Il server accetta TLSv1.0, TLSv1.1")


def test_no_starttls_is_told_apart_and_our_ehlo_name_is_sent(bad_server):
    steps = [
        ("", b"220 plain.example.test ESMTP\r\n"),
        ("EHLO", b"250-plain.example.test\r\n250 8BITMIME\r\n"),
    ]
    server = bad_server("scripted", steps=steps)
    host, port = server.address
    (result,) = run_scan([ScanTarget("plain.example.test", host, port)])
    assert result.outcome is ScanOutcome.NO_STARTTLS
    assert "STARTTLS" in (result.detail or "")
    assert f"ehlo {EHLO}\r\n".encode() in server.received.lower()  # smtplib writes "ehlo"


def test_a_closed_port_is_unreachable(postfix):
    from peers.process import free_port

    port = free_port([postfix.host], set())
    (result,) = run_scan([ScanTarget("closed.example.test", postfix.host, port)])
    assert result.outcome is ScanOutcome.UNREACHABLE


def test_a_silent_server_hits_the_connection_timeout(bad_server):
    server = bad_server("no-banner")
    host, port = server.address
    (result,) = run_scan([ScanTarget("silent.example.test", host, port)], connection_timeout=1)
    assert result.outcome is ScanOutcome.UNREACHABLE
    assert "timed out" in (result.detail or "")


def test_the_time_limit_stops_a_scan_that_would_take_longer(bad_server):
    server = bad_server("no-banner")
    host, port = server.address
    target = ScanTarget("silent.example.test", host, port)
    (result,) = run_scan([target], connection_timeout=30, time_limit=1.5)
    assert result.outcome is ScanOutcome.TIMEOUT
    assert result.detail == "the time limit (1.5 s) struck during the scan"


def test_the_calling_process_never_imports_sslyze(postfix):
    probe = (
        "import asyncio, sys\n"
        "from smtpcheck.net.tls_scan import scan_tls_quality\n"
        "from smtpcheck.net.tls_scan_model import ScanTarget\n"
        f"target = ScanTarget('modern.example.test', '{postfix.host}', {postfix.modern_tls_port})\n"
        "(facts,) = asyncio.run(scan_tls_quality([target], ehlo='x.test', quick=True))\n"
        "print(facts.outcome)\n"
        "print([m for m in ('sslyze', 'nassl', 'pydantic') if m in sys.modules])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.splitlines() == ["scanned", "[]"], out.stdout + out.stderr


def test_an_ipv6_address_is_scanned(postfix):
    assert postfix.ipv6_host, (
        "no IPv6 loopback here: the Postfix peer listens on ::1 only when it can"
    )
    target = ScanTarget("mx.example.test", postfix.ipv6_host, postfix.main_port)
    (result,) = run_scan([target], quick=True)
    assert result.outcome is ScanOutcome.SCANNED
    assert result.target.label == f"mx.example.test [::1] port {postfix.main_port}"


def _worker_children() -> list[int]:
    """Our child processes running the scan worker (read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if parent == os.getpid() and b"smtpcheck.net.tls_scan_worker" in command:
            found.append(int(entry.name))
    return found


def test_a_cancelled_scan_leaves_no_worker_behind(bad_server):
    server = bad_server("no-banner")
    host, port = server.address
    target = ScanTarget("silent.example.test", host, port)

    async def cancelled() -> None:
        scan = asyncio.create_task(scan_tls_quality([target], ehlo=EHLO, connection_timeout=30))
        while not _worker_children():
            await asyncio.sleep(0.05)
        scan.cancel()
        with pytest.raises(asyncio.CancelledError):
            await scan

    asyncio.run(cancelled())
    assert _worker_children() == []
