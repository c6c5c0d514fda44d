"""Plain TLS-scan facts for the grading tests: a modern and a weak server, and helpers."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from smtpcheck.net.tls_scan_model import (
    AcceptedSuite,
    CertificateFacts,
    CipherOrder,
    EphemeralKey,
    ScanOutcome,
    ScanTarget,
    TlsScanFacts,
)

X25519 = EphemeralKey(kind="ECDH", bits=253, group="X25519")
OAKLEY_2 = EphemeralKey(
    kind="DH",
    bits=1024,
    prime_sha256="3f35a3f5f6c4376a744acad409bb22f8d897f949d2311d885adaa890981b67a0",
    generator=2,
)
FFDHE3072 = EphemeralKey(
    kind="DH",
    bits=3072,
    prime_sha256="0eaf67db3a839156d5013494a5318a772b5697d270d721f37f092efc69ea5a17",
    generator=2,
)
EC_LEAF = CertificateFacts(
    subject="mx.example.test",
    key_type="EC",
    key_bits=256,
    curve="secp256r1",
    signature_algorithm="ecdsa-with-SHA256",
    signature_hash="sha256",
    self_signed=False,
)
VERSIONS_MODERN = {
    "TLSv1.3": True,
    "TLSv1.2": True,
    "TLSv1.1": False,
    "TLSv1.0": False,
    "SSLv3": False,
    "SSLv2": False,
}


def suite(name: str, version: str = "TLSv1.2", key: EphemeralKey | None = X25519) -> AcceptedSuite:
    return AcceptedSuite(version=version, name=name, openssl_name=name, bits=128, key=key)


MODERN = TlsScanFacts(
    target=ScanTarget("mx.example.test", "192.0.2.1"),
    outcome=ScanOutcome.SCANNED,
    versions=VERSIONS_MODERN,
    suites=(
        suite("TLS_AES_256_GCM_SHA384", "TLSv1.3"),
        suite("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
    ),
    suites_complete=True,
    groups=("X25519", "secp256r1"),
    cipher_order=CipherOrder(version="TLSv1.2", enforced=True),
    kex_hash="sha256",
    certificates=(EC_LEAF,),
    secure_renegotiation=True,
    client_renegotiation=False,
    compression=False,
    extended_master_secret=True,
    early_data=False,
    heartbleed=False,
    ccs_injection=False,
    robot="no-rsa",
    fallback_scsv=True,
)


def modern(**changes: Any) -> TlsScanFacts:
    return replace(MODERN, **changes)


#: every feature and vulnerability fact set to its bad value
BAD_FEATURES: dict[str, Any] = {
    "secure_renegotiation": False,
    "client_renegotiation": True,
    "compression": True,
    "extended_master_secret": False,
    "early_data": True,
    "heartbleed": True,
    "ccs_injection": True,
    "robot": "vulnerable-strong",
    "fallback_scsv": False,
}
