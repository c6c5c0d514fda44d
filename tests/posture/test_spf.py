"""SPF against the lab: each planted fault gives its finding; check_host for an IP."""

from __future__ import annotations

import asyncio

import pytest

from smtpcheck.checks.posture_findings import CODES
from smtpcheck.checks.spf import SpfResult, check_host, check_spf


def codes(lab, domain, **kwargs):
    result = asyncio.run(check_spf(lab.resolver(), domain, "en", **kwargs))
    return [f.code for f in result.findings], result


@pytest.mark.parametrize(
    ("domain", "code"),
    [
        ("faults.test", "spf-missing"),
        ("plusall.faults.test", "spf-plus-all"),
        ("neutral.faults.test", "spf-neutral-all"),
        ("softfail.faults.test", "spf-softfail-all"),
        ("noall.faults.test", "spf-no-all"),
        ("twospf.faults.test", "spf-multiple"),
        ("badspf.faults.test", "spf-syntax"),
        ("manylookups.faults.test", "spf-too-many-lookups"),
        ("void.faults.test", "spf-too-many-void-lookups"),
        ("inclmissing.faults.test", "spf-include-missing"),
        ("loop.faults.test", "spf-include-loop"),
        ("ptr.faults.test", "spf-ptr"),
        ("macro.faults.test", "spf-macro-not-followed"),
        ("redirect.faults.test", "spf-softfail-all"),
        ("mxmany.faults.test", "spf-mx-too-many"),
        ("longspf.faults.test", "spf-record-too-long"),
    ],
)
def test_each_planted_fault_is_found(lab, domain, code) -> None:
    found, _ = codes(lab, domain)
    assert code in found, found
    # a warning or failure means the record is not "ok"; a note (info) does not
    assert ("spf-ok" in found) == (CODES[code] == "info")


def test_lookup_counts_go_through_includes(lab) -> None:
    _, result = codes(lab, "manylookups.faults.test")
    assert result.data["lookups"] == 12  # 6 includes + an `a` in each
    _, result = codes(lab, "void.faults.test")
    assert result.data["void_lookups"] == 3


def test_a_sound_record_passes(lab) -> None:
    found, result = codes(lab, "good.test")
    assert found == ["spf-ok"]
    assert result.data["record"] == "v=spf1 ip4:127.0.0.0/8 ip6:::1 -all"


@pytest.mark.parametrize(
    ("ip", "domain", "expected"),
    [
        ("127.0.0.9", "good.test", SpfResult.PASS),
        ("::1", "good.test", SpfResult.PASS),
        ("192.0.2.1", "good.test", SpfResult.FAIL),
        ("192.0.2.1", "softfail.faults.test", SpfResult.SOFTFAIL),
        ("192.0.2.1", "redirect.faults.test", SpfResult.SOFTFAIL),
        ("127.0.0.1", "redirect.faults.test", SpfResult.PASS),
        ("127.0.0.1", "macro.faults.test", SpfResult.PASS),  # exists:%{ir}._spf...
        ("127.0.0.2", "macro.faults.test", SpfResult.FAIL),
        ("192.0.2.1", "manylookups.faults.test", SpfResult.PERMERROR),
        ("127.0.3.4", "manylookups.faults.test", SpfResult.PASS),  # decided after 8 lookups
        ("127.0.3.1", "loop.faults.test", SpfResult.PERMERROR),
        ("192.0.2.1", "twospf.faults.test", SpfResult.PERMERROR),
        ("192.0.2.1", "nospf.faults.test", SpfResult.NONE),
        ("192.0.2.1", "neutral.faults.test", SpfResult.NEUTRAL),
        ("192.0.2.1", "void.faults.test", SpfResult.PERMERROR),
        ("192.0.2.1", "bogus.test", SpfResult.TEMPERROR),  # SERVFAIL from the resolver
    ],
)
def test_check_host(lab, ip, domain, expected) -> None:
    evaluation = asyncio.run(check_host(lab.resolver(), ip, domain))
    assert evaluation.result is expected, evaluation


def test_check_host_names_the_deciding_term(lab) -> None:
    evaluation = asyncio.run(check_host(lab.resolver(), "192.0.2.1", "manylookups.faults.test"))
    assert evaluation.result is SpfResult.PERMERROR
    assert "more than 10 DNS lookups" in evaluation.reason
    evaluation = asyncio.run(check_host(lab.resolver(), "127.0.0.1", "softfail.faults.test"))
    assert evaluation.mechanism == "ip4:127.0.0.1 (softfail.faults.test)"


def test_sender_ip_adds_the_result_finding(lab) -> None:
    found, result = codes(lab, "good.test", sender_ip="192.0.2.7")
    assert "spf-result-fail" in found
    assert result.data["check_host"]["result"] == "fail"
    finding = next(
        f
        for f in asyncio.run(
            check_spf(lab.resolver(), "good.test", "it", sender_ip="192.0.2.7")
        ).findings
        if f.code == "spf-result-fail"
    )
    assert "non supera SPF" in finding.message and finding.fix
