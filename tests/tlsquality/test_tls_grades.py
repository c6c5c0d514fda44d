"""NCSC-NL's levels as smtpcheck reads them (knowledge/data/tls_ncsc.toml)."""

from __future__ import annotations

import subprocess

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_parameters

from peers.postfix_lab import OAKLEY_GROUP_2
from peers.process import find_program
from smtpcheck.knowledge.tls_grades import (
    Level,
    certificate_key_level,
    dh_group,
    group_level,
    kex_hash_level,
    prime_fingerprint,
    signature_level,
    suite_level,
    version_level,
)


@pytest.mark.parametrize(
    ("version", "level"),
    [
        ("TLSv1.3", Level.GOOD),
        ("TLSv1.2", Level.SUFFICIENT),
        ("TLSv1.1", Level.INSUFFICIENT),
        ("TLSv1.0", Level.INSUFFICIENT),
        ("SSLv3", Level.INSUFFICIENT),
        ("SSLv2", Level.INSUFFICIENT),
    ],
)
def test_version_levels(version: str, level: Level) -> None:
    assert version_level(version) is level


@pytest.mark.parametrize(
    ("suite", "level"),
    [
        ("TLS_AES_256_GCM_SHA384", Level.GOOD),
        ("TLS_CHACHA20_POLY1305_SHA256", Level.GOOD),
        ("TLS_AES_128_GCM_SHA256", Level.SUFFICIENT),
        ("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", Level.SUFFICIENT),
        ("TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", Level.PHASE_OUT),
        ("TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", Level.PHASE_OUT),
        ("TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", Level.INSUFFICIENT),  # CBC with SHA-1
        ("TLS_RSA_WITH_AES_128_GCM_SHA256", Level.INSUFFICIENT),  # no forward secrecy
        ("TLS_RSA_WITH_3DES_EDE_CBC_SHA", Level.INSUFFICIENT),
        ("TLS_ECDH_anon_WITH_AES_256_CBC_SHA", Level.INSUFFICIENT),
        ("TLS_SOMETHING_NEW", Level.INSUFFICIENT),
    ],
)
def test_suite_levels(suite: str, level: Level) -> None:
    assert suite_level(suite) is level


@pytest.mark.parametrize(
    ("bits", "level"),
    [
        (2048, Level.INSUFFICIENT),
        (3072, Level.PHASE_OUT),
        (4096, Level.PHASE_OUT),
        (6144, Level.PHASE_OUT),
        (8192, Level.PHASE_OUT),
    ],
)
def test_rfc7919_groups_are_recognised_by_the_primes_openssl_has(bits: int, level: Level) -> None:
    pem = subprocess.run(
        [find_program("openssl"), "genpkey", "-genparam", "-algorithm", "DH",
         "-pkeyopt", f"group:ffdhe{bits}"],
        capture_output=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    numbers = load_pem_parameters(pem).parameter_numbers()
    assert dh_group(prime_fingerprint(numbers.p), numbers.g) == (f"ffdhe{bits}", level)


def test_other_dh_groups_are_insufficient() -> None:
    assert dh_group(prime_fingerprint(OAKLEY_GROUP_2), 2) == (None, Level.INSUFFICIENT)
    ffdhe3072 = dh_group("0eaf67db3a839156d5013494a5318a772b5697d270d721f37f092efc69ea5a17", 2)
    assert ffdhe3072 == ("ffdhe3072", Level.PHASE_OUT)
    wrong_generator = dh_group(
        "0eaf67db3a839156d5013494a5318a772b5697d270d721f37f092efc69ea5a17", 5
    )
    assert wrong_generator == (None, Level.INSUFFICIENT)


def test_prime_fingerprint_ignores_leading_zero_bytes() -> None:
    assert prime_fingerprint(0x00FF) == prime_fingerprint(0xFF)


@pytest.mark.parametrize(
    ("group", "level"),
    [
        ("X25519", Level.GOOD),
        ("secp384r1", Level.GOOD),
        ("secp224r1", Level.PHASE_OUT),
        ("secp192r1", Level.INSUFFICIENT),
        ("sect571r1", Level.INSUFFICIENT),
    ],
)
def test_group_levels(group: str, level: Level) -> None:
    assert group_level(group) is level


@pytest.mark.parametrize(
    ("key", "level"),
    [
        (("RSA", 4096, None), Level.GOOD),
        (("RSA", 3072, None), Level.GOOD),
        (("RSA", 2048, None), Level.PHASE_OUT),
        (("RSA", 1024, None), Level.INSUFFICIENT),
        (("EC", 256, "secp256r1"), Level.GOOD),
        (("EC", 224, "secp224r1"), Level.PHASE_OUT),
        (("EC", 192, "secp192r1"), Level.INSUFFICIENT),
        (("Ed25519", 256, None), Level.GOOD),
        (("DSA", 2048, None), Level.INSUFFICIENT),
    ],
)
def test_certificate_key_levels(key: tuple[str, int, str | None], level: Level) -> None:
    assert certificate_key_level(*key) is level


def test_signature_and_kex_hash_levels() -> None:
    assert signature_level("sha256WithRSAEncryption", "sha256") is Level.SUFFICIENT
    assert signature_level("sha1WithRSAEncryption", "sha1") is Level.INSUFFICIENT
    assert signature_level("md5WithRSAEncryption", "md5") is Level.INSUFFICIENT
    assert signature_level("ed25519", None) is Level.SUFFICIENT
    assert signature_level("something", None) is Level.INSUFFICIENT
    assert kex_hash_level("sha1") is Level.INSUFFICIENT
    assert kex_hash_level("SHA224") is Level.PHASE_OUT
    assert kex_hash_level("sha256") is Level.GOOD
