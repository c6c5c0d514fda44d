"""`smtpcheck check` end to end, as a user types it, against the seven-host test bed."""

from __future__ import annotations

from typing import Any

from clirun import run_cli


def _by_host(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """host name (first label) -> its address step."""
    out = {}
    for step in report["steps"]:
        for child in step["children"]:
            if child["name"] == "address":
                out[child["data"]["host"].split(".")[0]] = child
    return out


def _codes(step: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    pending = [step]
    while pending:
        current = pending.pop()
        for finding in current["findings"]:
            found[finding["code"]] = finding["status"]
        pending += current["children"]
    return found


def test_every_mx_is_tested_in_preference_order(checked):
    result, _ = checked
    report = result.report
    hosts = [s["data"]["exchange"] for s in report["steps"] if s["name"] == "mx-host"]
    assert hosts == [
        f"{n}.check.test"
        for n in ("good", "selfsigned", "expired", "wrongname", "refused", "silent", "relay")
    ]
    assert report["schema"] == "smtpcheck.report/1" and report["scenario"] == "check"


def test_exit_code_and_verdict(checked):
    result, _ = checked
    assert result.code == 3, result.stdout[-2000:] + result.stderr
    assert result.report["exit_code"] == 3
    assert "gets through, but not everywhere" in result.report["verdict"]
    assert result.report["findings"][0]["status"] == "fail"


def test_good_host_passes(checked):
    host = _by_host(checked[0].report)["good"]
    codes = _codes(host)
    assert host["status"] == "pass", codes
    assert codes["cert-trusted"] == "pass"
    assert codes["cert-name-ok"] == "pass"
    assert codes["rcpt-accepted"] == "pass"
    assert codes["relay-refused"] == "pass"
    assert codes["random-refused"] == "pass"
    assert codes["fcrdns-ok"] == "pass"


def test_self_signed_postfix(checked):
    codes = _codes(_by_host(checked[0].report)["selfsigned"])
    assert codes["cert-self-signed"] == "warn"
    assert codes["cert-name-mismatch"] == "warn"  # Postfix's cert names mx.example.test
    assert codes["rcpt-refused"] == "fail"  # check.test is not a Postfix domain


def test_expired_certificate(checked):
    codes = _codes(_by_host(checked[0].report)["expired"])
    assert codes["cert-expired"] == "fail"
    assert codes["cert-trusted"] == "pass"  # expiry is its own finding, not "untrusted"


def test_certificate_for_another_host(checked):
    codes = _codes(_by_host(checked[0].report)["wrongname"])
    assert codes["cert-name-mismatch"] == "warn"
    assert codes["cert-trusted"] == "pass"


def test_refused_and_silent(checked):
    hosts = _by_host(checked[0].report)
    assert _codes(hosts["refused"])["connect-refused"] == "fail"
    assert _codes(hosts["silent"])["banner-timeout"] == "fail"


def test_relay_and_catch_all(checked):
    codes = _codes(_by_host(checked[0].report)["relay"])
    assert codes["maybe-open-relay"] == "warn"
    assert codes["catch-all"] == "warn"
    assert codes["cert-self-signed"] == "warn"


def test_text_report_and_first(testbed):
    result = testbed.check("--first")
    assert result.code == 0, result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert "not tested: --first" in result.stdout


def test_usage_error(testbed):
    result = run_cli("check", "not a domain", "--dns", testbed.dns)
    assert result.code == 1
    assert "invalid" in result.stderr
