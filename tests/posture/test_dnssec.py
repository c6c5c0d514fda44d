"""DNSSEC states told apart against the real lab: unbound's AD flag and SERVFAIL+EDE,
and smtpcheck's own chain validation when asking knot (which never validates)."""

from __future__ import annotations

import asyncio

import pytest

from smtpcheck.checks.dnssec import check_dnssec, dnssec_status
from smtpcheck.dns.dnssec_chain import DnssecState, validate_chain


def status(lab, resolver, name, rdtype="MX", anchors=None):
    return asyncio.run(dnssec_status(resolver, name, rdtype, anchors=anchors))


@pytest.mark.parametrize(
    ("name", "state"),
    [
        ("good.test", DnssecState.SECURE),
        ("mx.good.test", DnssecState.SECURE),
        ("faults.test", DnssecState.SECURE),
        ("unsigned.test", DnssecState.INSECURE),
        ("mx.unsigned.test", DnssecState.INSECURE),
        ("bogus.test", DnssecState.BOGUS),
        ("nosuchname.good.test", DnssecState.SECURE),  # a signed NXDOMAIN
    ],
)
def test_validating_resolver_and_own_validation_agree(lab, name, state) -> None:
    by_resolver = status(lab, lab.resolver(), name, anchors=lab.anchors)
    by_us = status(lab, lab.authoritative(), name, anchors=lab.anchors)
    assert by_resolver.state is state, by_resolver
    assert by_us.state is state, by_us
    assert by_us.source == "smtpcheck"


def test_the_resolver_says_secure_with_ad(lab) -> None:
    result = status(lab, lab.resolver(), "good.test", anchors=lab.anchors)
    assert result.source == "resolver" and result.detail == "AD"


def test_bogus_from_the_resolver_names_the_extended_error(lab) -> None:
    result = status(lab, lab.resolver(), "bogus.test")
    assert result.source == "resolver"
    assert result.extended_errors, result
    assert "EDE" in result.detail


def test_own_validation_explains_a_bogus_chain(lab) -> None:
    result = asyncio.run(
        validate_chain(lab.authoritative(), "mx.bogus.test.", "A", anchors=lab.anchors)
    )
    assert result.state is DnssecState.BOGUS
    assert "no DNSKEY of bogus.test. matches its DS" in result.detail


def test_insecure_delegation_is_named(lab) -> None:
    result = asyncio.run(
        validate_chain(lab.authoritative(), "mx.unsigned.test.", "A", anchors=lab.anchors)
    )
    assert result.state is DnssecState.INSECURE and result.zone == "unsigned.test."


def test_without_a_matching_anchor_the_state_is_unknown(lab) -> None:
    # the default anchors are the Internet's root keys; the lab's root refuses DNSKEY .
    result = status(lab, lab.authoritative(), "good.test")
    assert result.state is DnssecState.INDETERMINATE


def test_check_dnssec_findings_and_cname_target(lab) -> None:
    result = asyncio.run(
        check_dnssec(
            lab.authoritative(),
            "good.test",
            "en",
            mx_hosts=["mx.good.test", "mx.unsigned.test", "www.good.test"],
            anchors=lab.anchors,
        )
    )
    by_subject = {(f.subject, f.code) for f in result.findings}
    assert ("good.test", "dnssec-secure") in by_subject
    assert ("mx.good.test", "dnssec-secure") in by_subject
    assert ("mx.unsigned.test", "dnssec-insecure") in by_subject
    assert ("www.good.test", "dnssec-cname-target") in by_subject
    assert ("host.unsigned.test", "dnssec-insecure") in by_subject
    assert (None, "dnssec-resolver-not-validating") in by_subject


def test_check_dnssec_bogus_in_italian(lab) -> None:
    result = asyncio.run(check_dnssec(lab.resolver(), "bogus.test", "it"))
    (finding,) = [f for f in result.findings if f.code == "dnssec-bogus"]
    assert finding.status == "fail"
    assert "non supera la validazione DNSSEC" in finding.message
    assert finding.fix and "registrar" in finding.fix
