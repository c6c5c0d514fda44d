"""Each kind of misbehaviour, provoked and observed from the client side; personas."""

from __future__ import annotations

import re
import smtplib
import ssl
import time

import pytest
from sinkutil import wait_for

from smtpcheck.sink.personas import get_persona
from smtpcheck.sink.rules import Greylist, RuleSet, parse_shorthand


def rules(*specs: tuple[str, str], **settings) -> RuleSet:
    return RuleSet(rules=[parse_shorthand(kind, spec) for kind, spec in specs], **settings)


def test_reply_rule_matching_a_recipient(make_sink) -> None:
    sink = make_sink(rules=rules(("reply", "RCPT:*@blocked.test=550 5.1.1 User unknown")))
    with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as client:
        client.ehlo("c.test")
        client.mail("a@c.test")
        assert client.rcpt("x@blocked.test") == (550, b"5.1.1 User unknown")
        assert client.rcpt("x@fine.test")[0] == 250


def test_delayed_reply(make_sink) -> None:
    sink = make_sink(rules=rules(("delay", "MAIL=0.6")))
    with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as client:
        client.ehlo("c.test")
        start = time.monotonic()
        assert client.mail("a@c.test")[0] == 250
        assert time.monotonic() - start >= 0.55


def test_disconnect_rule(make_sink) -> None:
    sink = make_sink(rules=rules(("disconnect", "DATA")))
    with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as client:
        client.ehlo("c.test")
        client.mail("a@c.test")
        client.rcpt("b@s.test")
        with pytest.raises(smtplib.SMTPServerDisconnected):
            client.data(b"Subject: x\r\n\r\ny\r\n")
    assert sink.messages() == []


def test_tarpit_dribbles_the_reply(make_sink, raw) -> None:
    sink = make_sink(rules=rules(("tarpit", "NOOP=0.05")))
    client = raw(sink.port)
    client.reply()
    start = time.monotonic()
    assert client.cmd("NOOP")[0] == 250
    assert time.monotonic() - start >= 0.05 * 12  # "250 2.0.0 Ok\r\n" is 14 bytes


def test_eod_rule_refuses_and_stores_nothing(make_sink) -> None:
    sink = make_sink(rules=rules(("reply", "EOD=451 4.3.0 Try later")))
    with (
        smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as client,
        pytest.raises(smtplib.SMTPDataError) as caught,
    ):
        client.sendmail("a@c.test", ["b@s.test"], b"Subject: x\r\n\r\ny\r\n")
    assert caught.value.smtp_code == 451 and sink.messages() == []


def test_greylisting_first_attempt_451_then_accepted(make_sink) -> None:
    sink = make_sink(rules=RuleSet(greylist=Greylist(delay=0.2)))
    with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as client:
        client.ehlo("c.test")
        client.mail("a@c.test")
        assert client.rcpt("b@s.test")[0] == 451
        assert client.rcpt("b@s.test")[0] == 451  # too soon
        time.sleep(0.3)
        assert client.rcpt("b@s.test")[0] == 250


def test_custom_delayed_greeting_and_421_at_connect(make_sink, raw) -> None:
    sink = make_sink(rules=RuleSet(greeting_text="220 slow.test custom hello", greeting_delay=0.3))
    client = raw(sink.port)
    start = time.monotonic()
    assert client.reply() == (220, ["220 slow.test custom hello"])
    assert time.monotonic() - start >= 0.25
    closed = make_sink(rules=RuleSet(greeting_text="421 4.3.2 Service not available"))
    other = raw(closed.port)
    assert other.reply()[0] == 421 and other.closed_by_peer(5)


def test_starttls_that_fails_its_handshake(make_sink) -> None:
    sink = make_sink(rules=RuleSet(starttls_fail=True))
    context = ssl.create_default_context(cafile=sink.cert_path)
    with (
        smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as client,
        pytest.raises((ssl.SSLError, ConnectionError, smtplib.SMTPServerDisconnected)),
    ):
        client.starttls(context=context)


EXCHANGE_SESSION = [
    (
        "",
        [
            r"220 mail1\.fabrikam\.com Microsoft ESMTP MAIL Service ready at "
            r"\w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}"
        ],
    ),
    (
        "EHLO contoso.com",
        [
            r"250-mail1\.fabrikam\.com Hello \[127\.0\.0\.1\]",
            "250-SIZE 37748736",
            "250-PIPELINING",
            "250-DSN",
            "250-ENHANCEDSTATUSCODES",
            "250-STARTTLS",
            "250-X-ANONYMOUSTLS",
            "250-AUTH NTLM",
            "250-X-EXPS GSSAPI NTLM",
            "250-8BITMIME",
            "250-BINARYMIME",
            "250-CHUNKING",
            "250 XRDST",
        ],
    ),
    ("MAIL FROM: <chris@contoso.com>", ["250 2.1.0 Sender OK"]),
    ("RCPT TO: <kate@fabrikam.com> NOTIFY=success,failure", ["250 2.1.5 Recipient OK"]),
    ("DATA", [r"354 Start mail input; end with <CRLF>\.<CRLF>"]),
    (
        "Subject: test\r\n\r\nThis is a test message.\r\n.",
        [
            r"250 2\.6\.0 <[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
            r"@mail1\.fabrikam\.com> \[InternalId=\d{13}, Hostname=mail1\.fabrikam\.com\] "
            r"Queued mail for delivery"
        ],
    ),
    ("QUIT", [r"221 2\.0\.0 Service closing transmission channel"]),
]


def test_exchange_persona_matches_the_seed_session_line_for_line(make_sink, raw) -> None:
    sink = make_sink(persona=get_persona("exchange"), hostname="mail1.fabrikam.com")
    client = raw(sink.port)
    for command, patterns in EXCHANGE_SESSION:
        _, lines = client.cmd(command) if command else client.reply()
        assert len(lines) == len(patterns), lines
        for line, pattern in zip(lines, patterns, strict=True):
            assert re.fullmatch(pattern, line), (line, pattern)
    stored = wait_for(sink.messages)[0]
    assert stored["rcpt_params"] == [{"NOTIFY": "success,failure"}]


def test_exchange_persona_offers_no_tls_start_once_under_tls(make_sink) -> None:
    sink = make_sink(persona=get_persona("exchange"), hostname="mail1.fabrikam.com")
    context = ssl.create_default_context(cafile=sink.cert_path)
    context.check_hostname = False
    with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as client:
        client.ehlo("c.test")
        assert client.has_extn("starttls") and client.has_extn("x-anonymoustls")
        client.starttls(context=context)
        code, _ = client.ehlo("c.test")
        assert code == 250
        assert not client.has_extn("starttls") and not client.has_extn("x-anonymoustls")
        assert client.has_extn("auth") and client.has_extn("xrdst")  # the rest as before
        assert client.docmd("STARTTLS")[0] == 503


def test_postfix_persona(make_sink, raw) -> None:
    sink = make_sink(persona=get_persona("postfix"), hostname="mx.example.test")
    client = raw(sink.port)
    assert client.reply()[1] == ["220 mx.example.test ESMTP Postfix (Debian/GNU)"]
    _, lines = client.cmd("EHLO c.test")
    assert lines[0] == "250-mx.example.test" and lines[-1] == "250 CHUNKING"
    assert "250-SIZE 10240000" in lines
    assert client.cmd("MAIL FROM:<a@c.test>")[1] == ["250 2.1.0 Ok"]
    assert client.cmd("FROB")[1] == ["502 5.5.2 Error: command not recognized"]
