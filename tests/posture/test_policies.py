"""DMARC, DKIM, TLS-RPT, CAA, null MX and IPv6 against the lab's planted records."""

from __future__ import annotations

import asyncio

import pytest

from smtpcheck.checks.caa import check_caa
from smtpcheck.checks.dkim import check_dkim
from smtpcheck.checks.dmarc import check_dmarc, organisational_domain
from smtpcheck.checks.mx_posture import check_mx_ipv6, check_null_mx
from smtpcheck.checks.tlsrpt import check_tlsrpt


def run(coroutine):
    return asyncio.run(coroutine)


def codes(result):
    return [finding.code for finding in result.findings]


# ---- DMARC ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("good.test", ["dmarc-ok"]),
        ("faults.test", ["dmarc-missing"]),
        ("dmarcnone.faults.test", ["dmarc-p-none", "dmarc-no-rua"]),
        ("dmarcbad.faults.test", ["dmarc-syntax"]),
        ("dmarctwo.faults.test", ["dmarc-multiple"]),
        ("dmarcpct.faults.test", ["dmarc-pct-partial"]),
        ("dmarcsp.faults.test", ["dmarc-sp-weaker", "dmarc-np-weaker"]),
        (
            "dmarcext.faults.test",
            ["dmarc-external-authorised", "dmarc-external-unauthorised"],
        ),
        (
            "dmarctesting.faults.test",
            ["dmarc-testing", "dmarc-strict-alignment", "dmarc-unknown-tag"],
        ),
        ("dmarcuri.faults.test", ["dmarc-uri-invalid"]),
        ("sub.good.test", ["dmarc-ok", "dmarc-from-org-domain"]),
    ],
)
def test_dmarc_findings(lab, domain, expected) -> None:
    found = codes(run(check_dmarc(lab.resolver(), domain, "en")))
    assert sorted(found) == sorted(expected), found


def test_dmarc_external_destinations_are_named(lab) -> None:
    result = run(check_dmarc(lab.resolver(), "dmarcext.faults.test", "en"))
    bad = next(f for f in result.findings if f.code == "dmarc-external-unauthorised")
    assert "unsigned.test" in bad.message
    assert "dmarcext.faults.test._report._dmarc.unsigned.test" in bad.message


def test_organisational_domain_uses_the_public_suffix_list() -> None:
    assert organisational_domain("mail.example.co.uk") == "example.co.uk"
    assert organisational_domain("a.b.example.com.") == "example.com"
    assert organisational_domain("co.uk") == "co.uk"


# ---- DKIM ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("weak", ["dkim-key-weak"]),
        ("tiny", ["dkim-key-too-short"]),
        ("revoked", ["dkim-key-revoked"]),
        ("testing", ["dkim-key-ok", "dkim-key-testing"]),
        ("ed", ["dkim-key-ok"]),
        ("sha1", ["dkim-key-ok", "dkim-sha1-only"]),
        ("garbage", ["dkim-key-invalid"]),
        ("nosuch", ["dkim-selector-missing"]),
    ],
)
def test_dkim_selector_findings(lab, selector, expected) -> None:
    result = run(check_dkim(lab.resolver(), "dkim.faults.test", "en", selectors=[selector]))
    assert codes(result) == expected


def test_dkim_key_sizes_are_reported(lab) -> None:
    result = run(check_dkim(lab.resolver(), "dkim.faults.test", "en", selectors=["weak", "ed"]))
    assert result.data["selectors"]["weak"]["bits"] == 1024
    assert result.data["selectors"]["ed"]["type"] == "ed25519"


def test_dkim_common_selectors_are_probed(lab) -> None:
    result = run(check_dkim(lab.resolver(), "good.test", "en"))
    assert codes(result) == ["dkim-key-ok"]
    assert list(result.data["selectors"]) == ["selector1"]


def test_dkim_without_domainkey_tree(lab) -> None:
    assert codes(run(check_dkim(lab.resolver(), "plusall.faults.test", "en"))) == [
        "dkim-no-domainkey"
    ]


def test_dkim_tree_exists_but_selector_unknown(lab) -> None:
    found = codes(run(check_dkim(lab.resolver(), "dkimcustom.faults.test", "en")))
    assert found == ["dkim-domainkey-exists", "dkim-no-selector-found"]
    given = run(check_dkim(lab.resolver(), "dkimcustom.faults.test", "en", selectors=["custom"]))
    assert codes(given) == ["dkim-key-ok"]


# ---- TLS-RPT -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("good.test", ["tlsrpt-ok"]),
        ("plusall.faults.test", ["tlsrpt-missing"]),
        ("tlsrptbad.faults.test", ["tlsrpt-uri-invalid"]),
        ("tlsrpttwo.faults.test", ["tlsrpt-multiple"]),
        ("tlsrptsyntax.faults.test", ["tlsrpt-syntax"]),
    ],
)
def test_tlsrpt_findings(lab, domain, expected) -> None:
    assert codes(run(check_tlsrpt(lab.resolver(), domain, "en"))) == expected


# ---- CAA -----------------------------------------------------------------------------
def test_caa_climbs_to_the_parent(lab) -> None:
    result = run(check_caa(lab.resolver(), ["mx.good.test"], "en"))
    assert codes(result) == ["caa-present"]
    assert result.data["mx.good.test"]["found_at"] == "good.test"
    assert "ca.test" in result.findings[0].message


def test_caa_missing_and_critical_unknown_tag(lab) -> None:
    result = run(check_caa(lab.resolver(), ["mx.ptr.faults.test", "mx.caabad.faults.test"], "en"))
    assert [(f.subject, f.code) for f in result.findings] == [
        ("mx.ptr.faults.test", "caa-missing"),
        ("mx.caabad.faults.test", "caa-syntax"),
    ]


# ---- null MX and IPv6 ----------------------------------------------------------------
def test_null_mx_consistency(lab) -> None:
    assert codes(run(check_null_mx(lab.resolver(), "nullmxok.faults.test", "en"))) == [
        "null-mx-consistent"
    ]
    assert codes(run(check_null_mx(lab.resolver(), "nullmxbad.faults.test", "en"))) == [
        "null-mx-spf-not-fail",
        "null-mx-dmarc-not-reject",
    ]
    assert codes(run(check_null_mx(lab.resolver(), "good.test", "en"))) == []


def test_mx_ipv6(lab) -> None:
    result = run(check_mx_ipv6(lab.resolver(), ["mx.good.test", "mx.unsigned.test"], "en"))
    assert [(f.subject, f.code) for f in result.findings] == [
        ("mx.good.test", "mx-ipv6"),
        ("mx.unsigned.test", "mx-no-ipv6"),
    ]
    assert result.data["mx.good.test"] == ["::1"]
