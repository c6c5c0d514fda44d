"""DANE: TLSA records from the lab matched against the chain the real Postfix presents
(captured by net/, as `check` captures it), and the matching rules on their own."""

from __future__ import annotations

import asyncio
import hashlib

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from smtpcheck.checks.dane import Tlsa, check_dane, match_chain, tlsa_from_text

DER = serialization.Encoding.DER
SPKI = (DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def codes(result):
    return [finding.code for finding in result.findings]


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("mx.good.test", ["dane-rollover-ready", "dane-match"]),
        ("mx.danenomatch.faults.test", ["dane-rollover-single", "dane-no-match"]),
        (
            "mx.daneunusable.faults.test",
            ["dane-record-unusable", "dane-rollover-single", "dane-match"],
        ),
        ("mx.danemalformed.faults.test", ["dane-record-malformed"]),
        ("mx.unsigned.test", ["dane-insecure-ignored"]),
        ("mx.bogus.test", ["dane-bogus"]),
        ("mx.faults.test", ["dane-missing"]),
    ],
)
def test_dane_against_the_real_postfix_certificate(lab, postfix_chain, host, expected) -> None:
    result = asyncio.run(check_dane(lab.resolver(), host, "en", chain_der=postfix_chain))
    assert codes(result) == expected, result.findings


def test_own_validation_is_used_with_a_non_validating_server(lab, postfix_chain) -> None:
    result = asyncio.run(
        check_dane(
            lab.authoritative(), "mx.good.test", "en", chain_der=postfix_chain,
            anchors=lab.anchors,
        )
    )  # fmt: skip
    assert codes(result) == ["dane-rollover-ready", "dane-match"]
    assert result.data["dnssec"] == "secure"


def test_without_a_captured_chain_nothing_is_matched(lab) -> None:
    result = asyncio.run(check_dane(lab.resolver(), "mx.good.test", "en"))
    assert codes(result) == ["dane-rollover-ready", "dane-no-certificate"]


def test_unusable_records_are_named_in_italian(lab, postfix_chain) -> None:
    result = asyncio.run(
        check_dane(lab.resolver(), "mx.daneunusable.faults.test", "it", chain_der=postfix_chain)
    )
    unusable = result.findings[0]
    assert "usage 1 (PKIX-EE)" in unusable.message and "non è utilizzabile" in unusable.message


# ---- the matching rules, every selector and matching type ---------------------------
def _records_for(cert: x509.Certificate, usage: int) -> list[Tlsa]:
    full = cert.public_bytes(DER)
    spki = cert.public_key().public_bytes(*SPKI)
    out = []
    for selector, data in ((0, full), (1, spki)):
        out.append(Tlsa(usage, selector, 0, data))
        out.append(Tlsa(usage, selector, 1, hashlib.sha256(data).digest()))
        out.append(Tlsa(usage, selector, 2, hashlib.sha512(data).digest()))
    return out


def test_dane_ee_every_selector_and_matching_type(postfix_chain) -> None:
    leaf = x509.load_der_x509_certificate(postfix_chain[0])
    records = _records_for(leaf, 3)
    assert all(m.matched for m in match_chain(records, postfix_chain, "mx.good.test"))
    other = trustme.CA().issue_cert("mx.good.test")
    other_chain = [
        x509.load_pem_x509_certificate(pem.bytes()).public_bytes(DER)
        for pem in other.cert_chain_pems
    ]
    assert not any(m.matched for m in match_chain(records, other_chain, "mx.good.test"))


def _trustme_chain(*names: str) -> tuple[list[bytes], x509.Certificate]:
    ca = trustme.CA()
    intermediate = ca.create_child_ca()
    leaf = intermediate.issue_cert(*names)
    chain = [
        x509.load_pem_x509_certificate(pem.bytes()).public_bytes(DER)
        for pem in leaf.cert_chain_pems
    ]
    root = x509.load_pem_x509_certificate(ca.cert_pem.bytes())
    return [*chain, root.public_bytes(DER)], root


def test_dane_ta_matches_an_issuer_and_checks_the_name() -> None:
    chain, root = _trustme_chain("mx.example.test")
    records = _records_for(root, 2)
    assert all(m.matched for m in match_chain(records, chain, "mx.example.test"))
    wrong_name = match_chain(records[:1], chain, "other.example.test")
    assert not wrong_name[0].matched and "does not match" in wrong_name[0].detail


def test_dane_ta_needs_the_issuer_in_the_chain() -> None:
    chain, root = _trustme_chain("mx.example.test")
    (result,) = match_chain(_records_for(root, 2)[1:2], chain[:-1], "mx.example.test")
    assert not result.matched and result.detail == "no issuer in the presented chain"


def test_dane_ta_rejects_an_issuer_that_did_not_sign_the_chain() -> None:
    chain, _ = _trustme_chain("mx.example.test")
    stranger_chain, stranger_root = _trustme_chain("mx.example.test")
    forged = [*chain, stranger_chain[-1]]  # a root that is present but signed nothing here
    (result,) = match_chain(_records_for(stranger_root, 2)[1:2], forged, "mx.example.test")
    assert not result.matched and "does not lead" in result.detail


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("0 0 1 " + "ab" * 32, ("dane-record-unusable", "usage 0 (PKIX-TA)")),
        ("1 1 1 " + "ab" * 32, ("dane-record-unusable", "usage 1 (PKIX-EE)")),
        ("4 1 1 " + "ab" * 32, ("dane-record-unusable", "unknown usage 4")),
        ("3 2 1 " + "ab" * 32, ("dane-record-unusable", "unknown selector 2")),
        ("3 1 3 " + "ab" * 32, ("dane-record-unusable", "unknown matching type 3")),
        ("3 1 1 abcd", ("dane-record-malformed", "2 bytes, expected 32")),
        ("3 1 2 " + "ab" * 32, ("dane-record-malformed", "32 bytes, expected 64")),
        ("3 1 1 " + "ab" * 32, None),
        ("2 0 2 " + "ab" * 64, None),
    ],
)
def test_record_problems(text, problem) -> None:
    record = tlsa_from_text(text)
    assert record is not None and record.problem == problem
