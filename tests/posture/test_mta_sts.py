"""MTA-STS against the lab: policies fetched from a real nginx over HTTPS (test CA),
names resolved through the lab's DNS only, and the policy held against TLS results."""

from __future__ import annotations

import asyncio

import pytest

from smtpcheck.checks.mta_sts import check_mta_sts, compare_with_tls
from smtpcheck.checks.mta_sts_policy import parse_policy


def run_check(lab, domain, mx_hosts=(), lang="en", ca_file="lab"):
    return asyncio.run(
        check_mta_sts(
            lab.resolver(),
            domain,
            lang,
            mx_hosts=list(mx_hosts),
            ca_file=lab.ca_file if ca_file == "lab" else ca_file,
            timeout=5,
        )
    )


def codes(result):
    return [finding.code for finding in result.findings]


def test_valid_enforce_policy(lab) -> None:
    result, policy = run_check(lab, "good.test", ["mx.good.test"])
    assert codes(result) == ["mta-sts-enforce", "mta-sts-mx-covered"]
    assert policy is not None and policy.mode == "enforce" and policy.max_age == 604800
    assert result.data["address"] == "127.0.8.1"
    assert result.data["policy"].startswith("version: STSv1")


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("ststesting.faults.test", ["mta-sts-testing", "mta-sts-mx-covered"]),
        ("stsmiss.faults.test", ["mta-sts-enforce", "mta-sts-mx-not-covered"]),
        ("stsuntrusted.faults.test", ["mta-sts-policy-untrusted"]),
        ("stsnofile.faults.test", ["mta-sts-policy-http-status"]),
        ("stsredirect.faults.test", ["mta-sts-policy-redirect"]),
        ("stsbadpolicy.faults.test", ["mta-sts-policy-syntax"]),
        (
            "stsshort.faults.test",
            ["mta-sts-enforce", "mta-sts-max-age-short", "mta-sts-mx-covered"],
        ),
        ("stsbig.faults.test", ["mta-sts-policy-too-large"]),
        ("stsbadtxt.faults.test", ["mta-sts-txt-syntax"]),
        ("stsnoaddr.faults.test", ["mta-sts-policy-unreachable"]),
        ("ststwo.faults.test", ["mta-sts-txt-multiple"]),
        ("plusall.faults.test", ["mta-sts-missing"]),
    ],
)
def test_planted_faults(lab, domain, expected) -> None:
    mx = [f"mx.{domain}"] if domain.startswith("sts") else []
    result, policy = run_check(lab, domain, mx)
    assert codes(result) == expected, result.findings
    valid = expected[0] in ("mta-sts-enforce", "mta-sts-testing")
    assert (policy is not None) == valid


def test_the_untrusted_certificate_says_why(lab) -> None:
    result, _ = run_check(lab, "stsuntrusted.faults.test")
    assert "unable to get local issuer certificate" in result.findings[0].message


def test_without_the_lab_ca_the_good_policy_is_untrusted(lab) -> None:
    # the system's CAs do not know the lab's test CA: full verification, no exception
    result, policy = run_check(lab, "good.test", ca_file=None)
    assert codes(result) == ["mta-sts-policy-untrusted"] and policy is None


def test_missing_host_named_in_italian(lab) -> None:
    result, _ = run_check(lab, "stsmiss.faults.test", ["mx.stsmiss.faults.test"], lang="it")
    finding = result.findings[1]
    assert "mx.stsmiss.faults.test" in finding.message and "*.elsewhere.test" in finding.message
    assert finding.fix is not None and finding.fix.startswith("Aggiungere 'mx: mx.stsmiss")


def test_compare_with_tls_results() -> None:
    enforce = parse_policy("version: STSv1\nmode: enforce\nmx: *.example.test\nmax_age: 86400\n")
    testing = parse_policy("version: STSv1\nmode: testing\nmx: *.example.test\nmax_age: 86400\n")
    results = {"mx1.example.test": True, "mx2.example.test": False, "mx3.example.test": None}
    (failure,) = compare_with_tls(enforce, results, "en")
    assert failure.code == "mta-sts-mx-tls-fails" and failure.status == "fail"
    assert failure.subject == "mx2.example.test"
    (warning,) = compare_with_tls(testing, results, "en")
    assert warning.code == "mta-sts-mx-tls-fails-testing" and warning.status == "warn"
    none = parse_policy("version: STSv1\nmode: none\nmax_age: 86400\n")
    assert compare_with_tls(none, results, "en") == []
