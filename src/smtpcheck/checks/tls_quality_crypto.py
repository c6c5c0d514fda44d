"""TLS quality, the cryptographic choices: versions, suites, order, key exchange, certificate.

Each function adds its findings for one scanned address to a `Grader`; levels from
`knowledge.tls_grades` (NCSC-NL), so a fail here is what internet.nl calls insufficient
and a warning what it says should be phased out.
"""

from __future__ import annotations

from smtpcheck.checks.posture_findings import quote
from smtpcheck.checks.tls_quality_grader import Grader
from smtpcheck.knowledge.tls_grades import (
    Level,
    certificate_key_level,
    dh_group,
    group_level,
    kex_hash_level,
    signature_level,
    suite_level,
    version_level,
)
from smtpcheck.net.tls_scan_model import CertificateFacts, EphemeralKey, TlsScanFacts
from smtpcheck.report.model import Status


def check_protocols(grader: Grader, facts: TlsScanFacts) -> None:
    """Versions accepted: SSL 2/3 and TLS 1.0/1.1 fail; TLS 1.3 missing is worth knowing."""
    accepted = facts.accepted_versions
    if not accepted:
        return
    shown = ", ".join(accepted)
    bad = [version for version in accepted if version_level(version) is Level.INSUFFICIENT]
    if bad:
        grader.add(Status.FAIL, "tls-protocols-insufficient", bad=", ".join(bad), versions=shown)
    else:
        grader.add(Status.PASS, "tls-protocols-ok", versions=shown)
    if "TLSv1.3" not in accepted and "TLSv1.3" in facts.versions:
        grader.add(Status.INFO, "tls-protocols-no-tls13")


def check_suites(grader: Grader, facts: TlsScanFacts) -> None:
    """Every accepted suite rated; the worst class gives the finding."""
    if not facts.suites:
        return
    by_level: dict[Level, list[str]] = {}
    for suite in facts.suites:
        by_level.setdefault(suite_level(suite.name), []).append(f"{suite.name} ({suite.version})")
    bad = by_level.get(Level.INSUFFICIENT, [])
    phase_out = by_level.get(Level.PHASE_OUT, [])
    if bad:
        grader.add(
            Status.FAIL, "tls-suites-insufficient", count=len(bad), suites=grader.listing(bad)
        )
    if phase_out:
        grader.add(
            Status.WARN,
            "tls-suites-phase-out",
            count=len(phase_out),
            suites=grader.listing(phase_out),
        )
    if not bad and not phase_out:
        grader.add(Status.PASS, "tls-suites-ok", count=len({s.name for s in facts.suites}))


def check_cipher_order(grader: Grader, facts: TlsScanFacts) -> None:
    """Does the server pick the suite, and a strong one before a weaker class?"""
    order = facts.cipher_order
    if order is None:
        return
    if order.violation is not None:
        chosen, better = order.violation
        code = "tls-order-weak-first" if order.enforced else "tls-order-client"
        grader.add(Status.FAIL, code, version=order.version, chosen=chosen, better=better)
    elif order.enforced:
        grader.add(Status.PASS, "tls-order-ok", version=order.version)
    else:
        grader.add(Status.PASS, "tls-order-not-needed", version=order.version)


def _key_label(key: EphemeralKey) -> tuple[str, Level]:
    """'ECDH X25519' / 'DH ffdhe3072' / 'DH-1024' and the key's level."""
    if key.kind == "DH":
        name, level = dh_group(key.prime_sha256 or "", key.generator or 0)
        return (f"DH {name}" if name else f"DH-{key.bits}"), level
    group = key.group or f"{key.bits}-bit curve"
    return f"ECDH {group}", group_level(group)


def check_key_exchange(grader: Grader, facts: TlsScanFacts) -> None:
    """Ephemeral keys of the accepted suites and, in a full scan, every named group."""
    rated: dict[str, Level] = {}
    for suite in facts.suites:
        if suite.key is not None:
            label, level = _key_label(suite.key)
            rated[label] = level
    for group in facts.groups or ():
        rated.setdefault(f"ECDH {group}", group_level(group))
    if not rated:
        return
    bad = [label for label, level in rated.items() if level is Level.INSUFFICIENT]
    phase_out = [label for label, level in rated.items() if level is Level.PHASE_OUT]
    if bad:
        grader.add(Status.FAIL, "tls-kex-insufficient", params=grader.listing(bad))
    if phase_out:
        grader.add(Status.WARN, "tls-kex-phase-out", params=grader.listing(phase_out))
    if not bad and not phase_out:
        grader.add(Status.PASS, "tls-kex-ok", params=grader.listing(rated))


def check_kex_hash(grader: Grader, facts: TlsScanFacts) -> None:
    """The hash of the TLS 1.2 key-exchange signature: SHA-1 is a warning (recommended)."""
    if facts.kex_hash is None:
        return
    if kex_hash_level(facts.kex_hash) is Level.GOOD:
        grader.add(Status.PASS, "tls-kex-hash-ok")
    else:
        grader.add(
            Status.WARN, "tls-kex-hash-weak", hash=facts.kex_hash.upper().replace("SHA", "SHA-")
        )


def _graded_chain(facts: TlsScanFacts) -> list[CertificateFacts]:
    """The leaf and every other certificate but a self-signed root (trusted as it is)."""
    return [cert for i, cert in enumerate(facts.certificates) if i == 0 or not cert.self_signed]


def _key_text(cert: CertificateFacts) -> str:
    key = f"{cert.key_type}-{cert.key_bits}" if cert.key_type in ("RSA", "DSA") else cert.key_type
    return f"{quote(cert.subject)}: {key}" + (f" {cert.curve}" if cert.curve else "")


def check_certificates(grader: Grader, facts: TlsScanFacts) -> None:
    """Public keys (RSA >= 3072 good, 2048 phase out) and signature hashes (SHA-2)."""
    chain = _graded_chain(facts)
    if not chain:
        return
    keys = {_key_text(c): certificate_key_level(c.key_type, c.key_bits, c.curve) for c in chain}
    worst_key = max(keys.values())
    if worst_key is Level.INSUFFICIENT:
        bad = [text for text, level in keys.items() if level is Level.INSUFFICIENT]
        grader.add(Status.FAIL, "tls-cert-key-insufficient", keys=grader.listing(bad))
    elif worst_key is Level.PHASE_OUT:
        # RSA-2048 is still what most certificates carry: worth knowing, no warning
        phase_out = [text for text, level in keys.items() if level is Level.PHASE_OUT]
        grader.add(Status.INFO, "tls-cert-key-phase-out", keys=grader.listing(phase_out))
    else:
        grader.add(Status.PASS, "tls-cert-key-ok", keys=grader.listing(keys))
    weak = [
        f"{quote(cert.subject)}: {quote(cert.signature_algorithm)}"
        for cert in chain
        if signature_level(cert.signature_algorithm, cert.signature_hash) is Level.INSUFFICIENT
    ]
    if weak:
        grader.add(Status.FAIL, "tls-cert-sig-insufficient", certificates=grader.listing(weak))
    else:
        algorithms = grader.listing(cert.signature_algorithm for cert in chain)
        grader.add(Status.PASS, "tls-cert-sig-ok", algorithms=algorithms)
