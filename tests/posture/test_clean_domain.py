"""The clean domain (good.test) gets no false finding from any posture check, in either
language, through the validating resolver and through our own validation alike."""

from __future__ import annotations

import asyncio

import pytest

from smtpcheck.checks.mta_sts import compare_with_tls
from smtpcheck.checks.posture import CATEGORIES, PostureOptions, run_posture


@pytest.mark.parametrize("lang", ["en", "it"])
@pytest.mark.parametrize("server", ["resolver", "authoritative"])
def test_clean_domain_has_no_warning_or_failure(lab, postfix_chain, lang, server) -> None:
    resolver = lab.resolver() if server == "resolver" else lab.authoritative()
    options = PostureOptions(
        sender_ip="127.0.0.25", mta_sts_ca_file=lab.ca_file, anchors=lab.anchors, timeout=5
    )
    report = asyncio.run(
        run_posture(
            resolver, "good.test", ["mx.good.test"], lang, options,
            chains={"mx.good.test": postfix_chain},
        )
    )  # fmt: skip
    assert list(report.results) == list(CATEGORIES)
    problems = [
        (name, finding.code, finding.message)
        for name, result in report.results.items()
        for finding in result.findings
        if finding.status in ("warn", "fail")
    ]
    if server == "authoritative":  # knot never sets AD: that is a note, not a problem
        assert any(
            f.code == "dnssec-resolver-not-validating" for f in report.results["dnssec"].findings
        )
    assert problems == []
    passes = {f.code for result in report.results.values() for f in result.findings}
    assert {
        "dnssec-secure", "dane-match", "dane-rollover-ready", "mta-sts-enforce",
        "mta-sts-mx-covered", "tlsrpt-ok", "spf-ok", "spf-result", "dmarc-ok", "dkim-key-ok",
        "caa-present", "mx-ipv6",
    } <= passes  # fmt: skip
    assert report.mta_sts_policy is not None
    assert compare_with_tls(report.mta_sts_policy, {"mx.good.test": True}, lang) == []


def test_planted_faults_domain_collects_its_findings(lab) -> None:
    report = asyncio.run(
        run_posture(
            lab.resolver(), "stsmiss.faults.test", ["mx.stsmiss.faults.test"], "en",
            PostureOptions(mta_sts_ca_file=lab.ca_file, anchors=lab.anchors),
        )
    )  # fmt: skip
    codes = {f.code for result in report.results.values() for f in result.findings}
    assert {"mta-sts-mx-not-covered", "spf-missing", "dmarc-missing", "dkim-no-domainkey",
            "dane-missing", "caa-missing", "mx-no-ipv6", "tlsrpt-missing"} <= codes  # fmt: skip
