"""XCLIENT, XFORWARD and the PROXY header against the real Postfix, each with its effect.

The Postfix peer trusts only 127.0.0.2 (mynetworks); the tests connect from 127.0.0.1,
so relaying to remote.test is refused with 554 -- unless XCLIENT or a PROXY header
makes Postfix believe the client is 127.0.0.2. Listeners: `xclient` (XCLIENT and
XFORWARD allowed from 127.0.0.0/8) and `proxy` (smtpd_upstream_proxy_protocol=haproxy).
"""

from __future__ import annotations

import base64
import re
import time
import uuid

import pytest

from sendhelp import send, server_of, swaks
from smtpcheck.protocol import proxy

SENDER = "sender@example.test"
REMOTE = "someone@remote.test"


def _send(postfix, port: str, *args: str):
    return send(server_of(postfix, port), *args, sender=SENDER)


def _swaks(program: str, server: str, *args: str) -> int:
    return swaks(program, server, SENDER, *args).returncode


def _queue_id(result) -> str:
    match = re.search(r"queued as (\w+)", " ".join(result.step("eod")["reply"]["lines"]))
    assert match, result.step("eod")
    return match.group(1)


def _wait_for_log(postfix, pattern: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        text = postfix.log_path.read_text(errors="replace")
        found = re.search(pattern, text)
        if found:
            return found.group(0)
        if time.monotonic() >= deadline:
            raise AssertionError(f"{pattern!r} not in the Postfix log:\n{postfix.log_tail()}")
        time.sleep(0.05)


# -- XCLIENT ---------------------------------------------------------------------------


def test_xclient_addr_turns_a_refused_relay_into_an_accepted_one(postfix):
    refused = _send(postfix, "xclient", "--to", REMOTE, "--quit-after", "rcpt")
    assert refused.code == 24
    assert refused.step("rcpt")["reply"]["code"] == 554

    trusted = _send(
        postfix, "xclient", "--to", REMOTE, "--quit-after", "rcpt", "--xclient-addr", "127.0.0.2"
    )
    assert trusted.code == 0, trusted.stdout
    assert trusted.step("xclient")["command"] == "XCLIENT ADDR=127.0.0.2"
    assert trusted.step("xclient")["reply"]["code"] == 220
    assert trusted.step("ehlo-xclient")["reply"]["code"] == 250
    assert trusted.step("rcpt")["reply"]["code"] == 250


def test_xclient_name_and_addr_in_the_received_header(postfix):
    marker = uuid.uuid4().hex
    result = _send(
        postfix,
        "xclient",
        "--to",
        "alice@example.test",
        "--xclient-addr",
        "127.0.0.2",
        "--xclient-name",
        "trusted.example.test",
        "--header",
        f"X-Test-Marker: {marker}",
    )
    assert result.code == 0, result.stdout
    delivered = postfix.wait_for_delivery("alice", marker)
    received = delivered.message.get_all("Received")[0]
    assert "(trusted.example.test [127.0.0.2])" in received


def test_xclient_not_offered_exits_33_as_swaks(postfix, swaks):
    # the main listener does not authorise XCLIENT, so it does not advertise it
    result = _send(postfix, "main", "--to", "alice@example.test", "--xclient-addr", "127.0.0.2")
    theirs = _swaks(
        swaks,
        f"{postfix.host}:{postfix.ports['main']}",
        "--to",
        "alice@example.test",
        "--xclient-addr",
        "127.0.0.2",
    )
    assert (result.code, theirs) == (33, 33), result.stdout


# -- XFORWARD --------------------------------------------------------------------------


def test_xforward_attributes_reach_postfix(postfix):
    marker = uuid.uuid4().hex
    result = _send(
        postfix,
        "xclient",
        "--to",
        "alice@example.test",
        "--xforward",
        "NAME=fwd.example.test,ADDR=192.0.2.7,HELO=origin.example.test",
        "--header",
        f"X-Test-Marker: {marker}",
    )
    assert result.code == 0, result.stdout
    assert result.step("xforward")["reply"]["code"] == 250
    queue_id = _queue_id(result)
    # smtpd logs the forwarded client beside the real one, for this very message
    _wait_for_log(
        postfix,
        rf"{queue_id}: client=\S+\[127\.0\.0\.1\](?::\d+)?,"
        r" orig_client=fwd\.example\.test\[192\.0\.2\.7\]",
    )
    postfix.wait_for_delivery("alice", marker)


# -- PROXY -----------------------------------------------------------------------------


def test_without_proxy_source_the_relay_is_refused(postfix):
    # the header then carries our real address (127.0.0.1): not trusted
    result = _send(postfix, "proxy", "--to", REMOTE, "-q", "rcpt", "--proxy-version", "1")
    assert result.code == 24
    assert result.step("rcpt")["reply"]["code"] == 554


@pytest.mark.parametrize("version", ["1", "2"])
def test_proxy_source_makes_postfix_see_the_trusted_client(postfix, version):
    result = _send(
        postfix,
        "proxy",
        "--to",
        REMOTE,
        "-q",
        "rcpt",
        "--proxy-version",
        version,
        "--proxy-source",
        "127.0.0.2",
        "--proxy-source-port",
        "40000",
    )
    assert result.code == 0, result.stdout
    assert result.step("proxy")["status"] == "pass"
    assert result.step("rcpt")["reply"]["code"] == 250
    header = result.step("proxy")["command"]
    if version == "1":
        assert header.startswith("PROXY TCP4 127.0.0.2 127.0.0.1 40000 ")
    else:  # binary: shown in hex, not as broken text lines
        assert header.startswith(
            "<PROXY header, 28 bytes: 0d 0a 0d 0a 00 0d 0a 51 55 49 54 0a 21 11"
        )
        sent = [e["text"] for e in result.report["transcript"] if e["direction"] == "sent"]
        assert sent[0].startswith("<PROXY header")


def test_raw_proxy_text_follows_swaks(postfix, swaks):
    # swaks sends --proxy's text after "PROXY ": a swaks command line works unchanged
    raw = "TCP4 127.0.0.2 127.0.0.1 40001 25"
    result = _send(postfix, "proxy", "--to", REMOTE, "-q", "rcpt", "--proxy", raw)
    assert result.code == 0, result.stdout
    assert result.step("proxy")["command"] == f"PROXY {raw}"
    server = f"{postfix.host}:{postfix.ports['proxy']}"
    assert _swaks(swaks, server, "--to", REMOTE, "-q", "rcpt", "--proxy", raw) == 0


def test_malformed_proxy_header_fails_at_the_banner_as_swaks(postfix, swaks):
    result = _send(postfix, "proxy", "--to", REMOTE, "-q", "rcpt", "--proxy", "GARBAGE")
    server = f"{postfix.host}:{postfix.ports['proxy']}"
    theirs = _swaks(swaks, server, "--to", REMOTE, "-q", "rcpt", "--proxy", "GARBAGE")
    # Postfix answers a header it cannot read with 421 instead of its banner
    assert (result.code, theirs) == (21, 21), result.stdout
    assert result.step("banner")["reply"]["code"] == 421
    _wait_for_log(postfix, r"haproxy read: bad or missing protocol type: PROXY GARBAGE")


def test_proxy_options_that_make_no_header_exit_35(postfix):
    result = _send(
        postfix, "proxy", "--to", REMOTE, "--proxy-source", "127.0.0.2", "--proxy-dest", "::1"
    )
    assert result.code == 35
    assert result.step("proxy")["status"] == "fail"


def test_parse_raw_as_swaks():
    assert proxy.parse_raw("TCP4 1.2.3.4 5.6.7.8 1 2") == b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n"
    assert proxy.parse_raw("PROXY UNKNOWN") == b"PROXY UNKNOWN\r\n"  # already whole
    assert proxy.parse_raw("\x21\x00\x00\x00", version=2) == proxy.V2_SIGNATURE + b"!\0\0\0"
    exact = b"PROXY TCP4 broken"
    assert proxy.parse_raw("base64:" + base64.b64encode(exact).decode()) == exact


def test_raw_proxy_mixed_with_parts_exits_35_as_swaks(postfix, swaks):
    args = ("--to", REMOTE, "--proxy", "TCP4 127.0.0.2 127.0.0.1 1 25", "--proxy-source", "::1")
    result = _send(postfix, "proxy", *args)
    theirs = _swaks(swaks, f"{postfix.host}:{postfix.ports['proxy']}", *args)
    assert (result.code, theirs) == (35, 35)
    assert "cannot be mixed" in result.stderr
