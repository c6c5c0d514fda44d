"""`smtpcheck send` without `--server`: the recipient's MX hosts, in preference order.

DNS is the session's dnsmasq (records in tests/peers/dnsmasq.py): mxfallback.test has
MX 10 down.mxfallback.test (127.0.6.9, where nothing listens) and MX 20
up.mxfallback.test (127.0.0.1, the Postfix peer, which takes mxfallback.test as an
alias domain of example.test); nullmx.test has a null MX (RFC 7505).
"""

from __future__ import annotations

import json
import uuid

from clirun import run_cli


def test_the_second_mx_takes_the_message_when_the_first_refuses(postfix, dnsmasq):
    marker = uuid.uuid4().hex
    result = run_cli(
        "send",
        "--to",
        "bob@mxfallback.test",
        "--from",
        "chris@contoso.test",
        "--dns",
        dnsmasq.server,
        "--port",
        str(postfix.main_port),
        "--ehlo",
        "client.example.test",
        "--header",
        f"X-Test-Marker: {marker}",
        "--timeout",
        "10s",
    )
    assert result.code == 0, result.stdout + result.stderr
    out = result.stdout
    # both hosts, in preference order, each with its address
    first = out.index("MX 10 down.mxfallback.test -> 127.0.6.9")
    second = out.index("MX 20 up.mxfallback.test -> 127.0.0.1")
    assert first < second
    # the first refused the connection, then the second was tried and answered
    tried_first = out.index(f"127.0.6.9 port {postfix.main_port}")
    refused = out.lower().index("refused", tried_first)
    next_host = out.index("Trying the next mail host", refused)
    tried_second = out.index(f"127.0.0.1 port {postfix.main_port}", next_host)
    assert out.index("<-  220 mx.example.test", tried_second)
    assert "<-  250 2.0.0 Ok: queued" in out
    delivered = postfix.wait_for_delivery("bob", marker)
    assert delivered.message["To"] == "bob@mxfallback.test"


def test_the_json_report_marks_the_refused_host_and_the_one_that_took_it(postfix, dnsmasq):
    result = run_cli(
        "send",
        "--to",
        "bob@mxfallback.test",
        "--dns",
        dnsmasq.server,
        "--port",
        str(postfix.main_port),
        "--ehlo",
        "client.example.test",
        "--quit-after",
        "rcpt",
        "--output",
        "json",
        "--timeout",
        "10s",
    )
    assert result.code == 0, result.stdout + result.stderr
    connects = result.steps("connect")
    assert len(connects) == 2
    assert "127.0.6.9" in connects[0]["title"] and connects[0]["status"] == "warn"
    assert "refused" in connects[0]["detail"].lower()
    assert "127.0.0.1" in connects[1]["title"] and connects[1]["status"] == "pass"
    assert result.step("rcpt")["reply"]["code"] == 250


def test_a_null_mx_is_exit_7_with_one_error_line(dnsmasq):
    result = run_cli(
        "send",
        "--to",
        "kate@nullmx.test",
        "--dns",
        dnsmasq.server,
        "--timeout",
        "5s",
    )
    assert result.code == 7, result.stdout + result.stderr
    # errors stay in the transcript on stdout, as `***` lines (docs/send.md)
    errors = [line for line in result.stdout.splitlines() if line.startswith("*** ")]
    assert len(errors) == 1, result.stdout
    assert "nullmx.test" in errors[0] and "null MX" in errors[0]
    assert sum("null MX" in line for line in result.stdout.splitlines()) == 1, result.stdout
    assert " -> " not in result.stdout and "Connect" not in result.stdout  # nothing tried
    assert "Traceback" not in result.stdout + result.stderr
    as_json = run_cli(
        "send",
        "--to",
        "kate@nullmx.test",
        "--dns",
        dnsmasq.server,
        "--timeout",
        "5s",
        "--output",
        "json",
    )
    findings = json.loads(as_json.stdout)["findings"]
    assert [f["status"] for f in findings] == ["fail"] and "null MX" in findings[0]["message"]
