"""`smtpcheck receive --analyze` on messages saved to disk, against the lab's planted
DNS truth (tests/peers/receive_lab.py): each grade is checked against what was planted.
Run as a user types it (a subprocess), JSON read back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from clirun import CliResult, run_cli
from peers.dnsmasq import Dnsmasq
from peers.receive_lab import (
    DYNAMIC_IP,
    GOOD_HELO,
    GOOD_IP,
    NO_PTR_IP,
    DkimKey,
    build_message,
    dkim_sign,
)


def codes(result: CliResult, step: str | None = None) -> set[str]:
    report = result.report
    out: set[str] = set()

    def walk(steps: list[dict[str, Any]]) -> None:
        for s in steps:
            if step is None or s["name"] == step:
                out.update(f["code"] for f in s["findings"])
            walk(s["children"])

    walk(report["steps"])
    return out


def requirement(result: CliResult, needle: str) -> str:
    """The code of the requirement finding whose message contains `needle`."""
    for s in result.step("requirements")["children"]:
        for f in s["findings"]:
            if needle in f["message"]:
                return str(f["code"])
    raise AssertionError(f"no requirement mentions {needle!r}")


@pytest.fixture
def analyze(lab_dns: Dnsmasq, zones_file: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    def run(message: bytes, *args: str) -> CliResult:
        path = tmp_path / "message.eml"
        path.write_bytes(message)
        result = run_cli(
            "receive", "--analyze", str(path), "--dns", lab_dns.server,
            "--dnsbl-zones", str(zones_file), "--timeout", "5", "--output", "json", *args,
        )  # fmt: skip
        assert result.code in (0, 2, 3), result.stderr
        assert "Traceback" not in result.stderr
        return result

    return run


def session(
    ip: str = GOOD_IP, helo: str = GOOD_HELO, mail_from: str = "alice@sender.test"
) -> list[str]:
    return ["--client-ip", ip, "--helo", helo, "--mail-from", mail_from]


def test_a_clean_signed_message_from_the_right_server_passes(analyze, dkim_key: DkimKey) -> None:
    result = analyze(dkim_sign(build_message(), dkim_key), *session())
    found = codes(result)
    assert {"ptr-ok", "helo-ok", "spf-pass", "dkim-pass", "dmarc-pass", "message-ok"} <= found
    assert {"dmarc-spf-aligned", "dmarc-dkim-aligned", "dnsbl-clean"} <= found
    assert not found & {"ptr-generic", "dnsbl-listed", "dkim-fail", "spf-fail"}
    assert requirement(result, "SPF or DKIM passes") == "requirement-met"
    assert requirement(result, "both SPF and DKIM pass") == "requirement-met"
    assert requirement(result, "DMARC passes (SPF or DKIM") == "requirement-met"
    dkim = result.report["data"]["dkim"][0]
    assert (dkim["domain"], dkim["selector"], dkim["bits"]) == ("sender.test", "sel1", 2048)
    assert dkim["canonicalization"] == "relaxed/relaxed" and "from" in dkim["signed_headers"]
    header = result.report["data"]["authentication_results"]
    assert "spf=pass" in header and "dkim=pass header.d=sender.test" in header
    assert "dmarc=pass header.from=sender.test" in header


def test_spf_fail_from_an_address_without_ptr(analyze, dkim_key: DkimKey) -> None:
    result = analyze(dkim_sign(build_message(), dkim_key), *session(ip=NO_PTR_IP))
    found = codes(result)
    assert {"spf-fail", "ptr-missing", "dmarc-pass", "dmarc-dkim-aligned"} <= found
    assert result.step("spf")["data"]["record"] == "v=spf1 ip4:127.0.9.1 -all"
    assert requirement(result, "forward-confirmed reverse DNS") == "requirement-missed"
    assert requirement(result, "both SPF and DKIM") == "requirement-missed-if-bulk"
    assert result.code == 3


def test_spf_softfail_and_dmarc_quarantine(analyze) -> None:
    message = build_message(sender="news@soft.test")
    result = analyze(message, *session(mail_from="news@soft.test"))
    found = codes(result)
    assert {"spf-softfail", "dkim-none", "dmarc-fail"} <= found
    dmarc = result.step("dmarc")
    assert dmarc["data"]["policy"] == "quarantine" and dmarc["data"]["result"] == "fail"
    assert any("spam folder" in f["message"] for f in dmarc["findings"])
    assert requirement(result, "SPF or DKIM passes") == "requirement-missed"


def test_spf_none_and_no_dmarc(analyze) -> None:
    message = build_message(sender="someone@nospf.test")
    result = analyze(message, *session(mail_from="someone@nospf.test"))
    assert {"spf-none", "dmarc-none", "dkim-none"} <= codes(result)
    assert requirement(result, "publishes a DMARC record") == "requirement-missed-if-bulk"


def test_unaligned_from_domain_fails_dmarc_under_reject(analyze, dkim_key: DkimKey) -> None:
    message = dkim_sign(build_message(sender="ceo@brand.test"), dkim_key)
    result = analyze(message, *session(mail_from="bounce@sender.test"))
    found = codes(result)
    assert {
        "spf-pass",
        "dkim-pass",
        "dmarc-fail",
        "dmarc-spf-unaligned",
        "dmarc-dkim-unaligned",
    } <= found
    dmarc = result.step("dmarc")["data"]
    assert (dmarc["domain"], dmarc["policy"], dmarc["spf_aligned"]) == (
        "brand.test",
        "reject",
        False,
    )
    assert "dmarc=fail header.from=brand.test" in result.report["data"]["authentication_results"]


def test_listed_dynamic_looking_client_and_listed_link_domain(analyze, dkim_key: DkimKey) -> None:
    body = "Cheap offers at https://www.spammy.test/deal and https://sender.test/ok\r\n"
    message = dkim_sign(build_message(body=body), dkim_key)
    result = analyze(message, *session(ip=DYNAMIC_IP, helo="localhost"))
    found = codes(result)
    assert {"ptr-not-confirmed", "ptr-generic", "helo-not-fqdn", "dnsbl-listed"} <= found
    listed = [f for f in result.step("dnsbl")["findings"] if f["code"] == "dnsbl-listed"]
    subjects = {f["subject"] for f in listed}
    assert subjects == {DYNAMIC_IP, "spammy.test"}
    ip_listing = next(f for f in listed if f["subject"] == DYNAMIC_IP)
    assert "bl.lab.test" in ip_listing["message"] and "127.0.0.2" in ip_listing["message"]
    assert "Listed in the lab" in ip_listing["message"]
    assert "https://bl.lab.test/removal" in ip_listing["fix"]
    assert not any(f["subject"] == "sender.test" for f in listed)


def test_missing_date_and_message_id(analyze, dkim_key: DkimKey) -> None:
    message = dkim_sign(build_message(date=False, message_id=False), dkim_key)
    result = analyze(message, *session())
    assert {"date-missing", "message-id-missing"} <= codes(result, "message")
    assert "message-ok" not in codes(result)
    assert requirement(result, "follows RFC 5322") == "requirement-missed"


def test_bulk_message_without_list_unsubscribe(analyze, dkim_key: DkimKey) -> None:
    result = analyze(dkim_sign(build_message(), dkim_key), *session(), "--bulk")
    assert {"bulk-detected", "unsubscribe-missing"} <= codes(result, "message")
    assert requirement(result, "one-click unsubscribe") == "requirement-missed"


def test_one_click_unsubscribe_signed_passes(analyze, dkim_key: DkimKey) -> None:
    extra = (
        ("List-Unsubscribe", "<https://sender.test/u?id=1>, <mailto:u@sender.test>"),
        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
    )
    message = build_message(extra=extra)
    signed = dkim_sign(
        message,
        dkim_key,
        include=(
            "from",
            "to",
            "subject",
            "date",
            "message-id",
            "list-unsubscribe",
            "list-unsubscribe-post",
        ),
    )
    result = analyze(signed, *session())
    assert "unsubscribe-ok" in codes(result, "message")
    assert requirement(result, "one-click unsubscribe") == "requirement-met"
    unsigned = analyze(dkim_sign(message, dkim_key), *session())
    assert "unsubscribe-not-signed" in codes(unsigned, "message")


def test_body_length_limit_flagged_and_tampered_body_fails(analyze, dkim_key: DkimKey) -> None:
    limited = dkim_sign(build_message(), dkim_key, length=True)
    result = analyze(limited + b"appended by someone else\r\n", *session())
    assert {"dkim-pass", "dkim-length-limit"} <= codes(result, "dkim")
    tampered = dkim_sign(build_message(), dkim_key).replace(b"quarterly", b"QUARTERLY")
    failed = analyze(tampered, *session())
    assert "dkim-fail" in codes(failed, "dkim")
    assert "body hash" in failed.report["data"]["dkim"][0]["reason"]


def test_unknown_selector_is_named(analyze, dkim_key: DkimKey) -> None:
    result = analyze(dkim_sign(build_message(), dkim_key, selector="nokey"), *session())
    finding = next(f for f in result.step("dkim")["findings"] if f["code"] == "dkim-key-missing")
    assert "nokey._domainkey.sender.test" in finding["message"]


def test_from_headers_reads_the_session_and_the_receivers_results(
    analyze, dkim_key: DkimKey
) -> None:
    trace = (
        b"Return-Path: <alice@sender.test>\r\n"
        b"Authentication-Results: mx.receiver.test; spf=pass smtp.mailfrom=alice@sender.test;"
        b" dkim=pass header.d=sender.test; dmarc=pass header.from=sender.test\r\n"
        b"Received: from mail.sender.test (mail.sender.test [127.0.9.1])\r\n"
        b"\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))\r\n"
        b"\tby mx.receiver.test (Postfix) with ESMTPS id 4ABC; Tue, 13 Feb 2024 09:30:00 +0100\r\n"
    )
    result = analyze(trace + dkim_sign(build_message(), dkim_key), "--from-headers")
    found = codes(result)
    assert {"from-headers-facts", "receiver-results", "session-unknown"} <= found
    assert {"spf-pass", "ptr-ok", "tls-used", "dkim-pass", "dmarc-pass"} <= found
    facts = result.step("session")["data"]
    assert (facts["client_ip"], facts["helo"], facts["mail_from"]) == (
        GOOD_IP,
        GOOD_HELO,
        "alice@sender.test",
    )
    unchecked = next(
        f for f in result.step("session")["findings"] if f["code"] == "session-unknown"
    )
    assert "SMTP protocol mistakes" in unchecked["message"]


def test_italian_report(analyze) -> None:
    result = analyze(build_message(date=False), *session(), "--lang", "it")
    messages = " ".join(f["message"] for f in result.step("message")["findings"])
    assert "non ha l'intestazione Date" in messages
