"""Hostile command lines, on the wire: internal names, reply injection, control bytes.

Each reply asserted here is what a client sees; after each refusal the session goes on.
"""

from __future__ import annotations

import pytest
from sinkutil import wait_for

from smtpcheck.sink.server import ThreadedSink


def greeted(raw, sink: ThreadedSink, hello: str = "EHLO c.test"):
    client = raw(sink.port)
    assert client.reply()[0] == 220
    assert client.cmd(hello)[0] == 250
    return client


@pytest.mark.parametrize(
    "line",
    [
        "MESSAGE_END",
        "AUTH_RESPONSE x",
        "HANDLE x",
        "COMMAND x",
        "RESET_TRANSACTION",
        "CLOSE",
        "STORE",
        "START_TLS",
        "__INIT__",
        "ON_MESSAGE_END",
    ],
)
def test_internal_names_from_the_wire_are_unknown_commands(sink, raw, line: str) -> None:
    client = greeted(raw, sink)
    code, lines = client.cmd(line)
    assert (code, lines[0][:9]) == (500, "500 5.5.2"), lines
    assert client.cmd("NOOP")[0] == 250  # the session goes on
    assert client.cmd("MAIL FROM:<a@c.test>")[0] == 250
    assert client.cmd("QUIT")[0] == 221
    assert not [e for e in sink.events if e["event"] == "error"]


def test_lhlo_is_unknown_in_smtp_and_ehlo_in_lmtp(make_sink, raw) -> None:
    client = greeted(raw, make_sink())
    assert client.cmd("LHLO c.test")[0] == 500
    lmtp = raw(make_sink(lmtp=True).port)
    lmtp.reply()
    assert lmtp.cmd("EHLO c.test")[0] == 500
    assert lmtp.cmd("HELO c.test")[0] == 500
    assert lmtp.cmd("LHLO c.test")[0] == 250


def test_leading_space_is_understood_not_a_long_line(sink, raw) -> None:
    """Leading blanks are skipped and noted (as Postfix does; protocol/commandline.py)."""
    client = greeted(raw, sink)
    assert client.cmd(" NOOP") == (250, ["250 2.0.0 Ok"])
    assert client.cmd("QUIT")[0] == 221
    sessions = wait_for(lambda: sink.store.list_sessions())
    assert "leading-whitespace" in {a["kind"] for a in sessions[0]["anomalies"]}


def test_no_reply_injection_through_the_ehlo_name(sink, raw) -> None:
    """`\\n` typed by a client in its EHLO name is text, never a line break."""
    client = raw(sink.port)
    client.reply()
    code, lines = client.cmd(b"EHLO x\\n250-FAKE")
    assert code == 250
    assert not any(line.startswith("250-FAKE") for line in lines), lines
    assert lines[0] == "250-sink.test greets x\\n250-FAKE"
    assert client.cmd("NOOP")[0] == 250


def test_no_reply_injection_through_the_lhlo_name(make_sink, raw) -> None:
    client = raw(make_sink(lmtp=True).port)
    client.reply()
    code, lines = client.cmd(b"LHLO x\\r\\n221-2.0.0\\n421")
    assert code == 250 and lines[0] == "250-sink.test greets x\\r\\n221-2.0.0\\n421", lines
    assert client.cmd("NOOP")[0] == 250


@pytest.mark.parametrize("name", [b"x\x00y", b"x\ry", b"x\x1b]0;pwned\x07", b"x\ty"])
def test_control_bytes_in_the_hello_name_are_a_syntax_error(sink, raw, name: bytes) -> None:
    client = raw(sink.port)
    client.reply()
    code, lines = client.cmd(b"EHLO " + name)
    assert code == 501, lines
    assert client.cmd("EHLO c.test")[0] == 250  # the session goes on
    assert not [e for e in sink.events if e["event"] == "error"]


@pytest.mark.parametrize("verb", ["MAIL FROM", "RCPT TO"])
@pytest.mark.parametrize("address", [b"a\x00b@c.test", b"a\rb@c.test", b"a\x1b[2J@c.test"])
def test_control_bytes_in_a_path_are_a_syntax_error(sink, raw, verb: str, address: bytes) -> None:
    client = greeted(raw, sink)
    if verb == "RCPT TO":
        assert client.cmd("MAIL FROM:<a@c.test>")[0] == 250
    code, _ = client.cmd(verb.encode() + b":<" + address + b">")
    assert code == 501
    assert client.cmd("RSET")[0] == 250


def test_lmtp_recipient_with_nul_is_refused_before_anything_is_stored(make_sink, raw) -> None:
    """LMTP answers once per recipient after the data: a recipient accepted at RCPT must
    never fail there (the client would retry the ones it thinks failed, and those that
    got 250 would be delivered twice)."""
    sink = make_sink(lmtp=True)
    client = raw(sink.port)
    client.reply()
    assert client.cmd("LHLO c.test")[0] == 250
    assert client.cmd("MAIL FROM:<a@c.test>")[0] == 250
    assert client.cmd("RCPT TO:<good@s.test>")[0] == 250
    assert client.cmd(b"RCPT TO:<bad\x00@s.test>")[0] == 501
    assert client.cmd(b"RCPT TO:<bad@s.test> NOTIFY=\x00")[0] == 501
    assert client.cmd("DATA")[0] == 354
    client.send(b"Subject: lmtp\r\n\r\nbody\r\n.\r\n")
    code, lines = client.reply()
    assert code == 250 and "good@s.test" in lines[0]
    assert client.cmd("QUIT")[0] == 221  # one reply per accepted recipient, no 421
    stored = wait_for(sink.messages)
    assert [m["recipients"] for m in stored] == [["good@s.test"]]
    assert not [e for e in sink.events if e["event"] == "error"]
