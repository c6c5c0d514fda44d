"""Command builders: wire forms, validation against injection, xtext, redaction."""

from __future__ import annotations

import pytest

from smtpcheck.protocol import LocalProtocolError, commands, xtext, xtext_decode


@pytest.mark.parametrize(
    ("command", "wire"),
    [
        (commands.ehlo("client.example"), b"EHLO client.example\r\n"),
        (commands.helo("[192.0.2.1]"), b"HELO [192.0.2.1]\r\n"),
        (commands.lhlo("lmtp.example"), b"LHLO lmtp.example\r\n"),
        (commands.mail(""), b"MAIL FROM:<>\r\n"),
        (commands.mail("a@example.com"), b"MAIL FROM:<a@example.com>\r\n"),
        (
            commands.mail("a@example.com", {"SIZE": 1234, "BODY": "8BITMIME", "SMTPUTF8": None}),
            b"MAIL FROM:<a@example.com> SIZE=1234 BODY=8BITMIME SMTPUTF8\r\n",
        ),
        (
            commands.mail("a@example.com", ["RET=HDRS", ("ENVID", xtext("id 1+2"))]),
            b"MAIL FROM:<a@example.com> RET=HDRS ENVID=id+201+2B2\r\n",
        ),
        (
            commands.rcpt("b@example.com", {"NOTIFY": "SUCCESS,FAILURE"}),
            b"RCPT TO:<b@example.com> NOTIFY=SUCCESS,FAILURE\r\n",
        ),
        (
            commands.rcpt("b@example.com", {"ORCPT": "rfc822;" + xtext("b+x@example.com")}),
            b"RCPT TO:<b@example.com> ORCPT=rfc822;b+2Bx@example.com\r\n",
        ),
        (commands.rcpt("ü@example.com"), "RCPT TO:<ü@example.com>\r\n".encode()),
        (commands.data(), b"DATA\r\n"),
        (commands.bdat(10), b"BDAT 10\r\n"),
        (commands.bdat(0, last=True), b"BDAT 0 LAST\r\n"),
        (commands.rset(), b"RSET\r\n"),
        (commands.noop(), b"NOOP\r\n"),
        (commands.quit(), b"QUIT\r\n"),
        (commands.starttls(), b"STARTTLS\r\n"),
        (commands.vrfy("postmaster"), b"VRFY postmaster\r\n"),
        (commands.expn("staff"), b"EXPN staff\r\n"),
        (commands.help(), b"HELP\r\n"),
        (commands.auth("plain", "AGEAYg=="), b"AUTH PLAIN AGEAYg==\r\n"),
        (commands.auth("PLAIN", ""), b"AUTH PLAIN =\r\n"),
        (commands.auth("LOGIN"), b"AUTH LOGIN\r\n"),
        (commands.auth_response("dXNlcg=="), b"dXNlcg==\r\n"),
        (commands.raw("xclient addr=1.2.3.4"), b"xclient addr=1.2.3.4\r\n"),
        (commands.raw("NOOP\r\nNOOP\r\n"), b"NOOP\r\nNOOP\r\n"),
        (commands.raw(b"\xffbad"), b"\xffbad\r\n"),
    ],
)
def test_wire_forms(command: commands.Command, wire: bytes) -> None:
    assert command.to_bytes() == wire


@pytest.mark.parametrize(
    "build",
    [
        lambda: commands.ehlo("a\r\nMAIL FROM:<x>"),
        lambda: commands.ehlo("two words"),
        lambda: commands.ehlo(""),
        lambda: commands.mail("a@b\r\nRCPT TO:<c@d>"),
        lambda: commands.mail("a@b\n"),
        lambda: commands.mail("a\x00@b"),
        lambda: commands.mail("<a@b>"),
        lambda: commands.rcpt(""),
        lambda: commands.rcpt("x@y", {"NOTIFY": "NEVER\r\nQUIT"}),
        lambda: commands.rcpt("x@y", {"NOTIFY": "two words"}),
        lambda: commands.rcpt("x@y", {"BAD KEY": "1"}),
        lambda: commands.rcpt("x@y", {"ORCPT": "rfc822;a+b"}),
        lambda: commands.mail("x@y", {"ENVID": "has space"}),
        lambda: commands.mail("x@y", ["SIZE=1=2"]),
        lambda: commands.vrfy("x\ry"),
        lambda: commands.auth("PLAIN\r\n"),
        lambda: commands.auth("PLAIN", "abc\r\nQUIT"),
        lambda: commands.auth_response("abc\nQUIT"),
        lambda: commands.bdat(-1),
    ],
)
def test_builders_refuse_injection_and_bad_arguments(build: object) -> None:
    assert callable(build)
    with pytest.raises(LocalProtocolError):
        build()


def test_injection_error_message_is_one_line_and_explains() -> None:
    with pytest.raises(LocalProtocolError) as info:
        commands.mail("a@b\r\nRCPT TO:<c@d>")
    assert "\n" not in str(info.value)
    assert "inject" in str(info.value)


@pytest.mark.parametrize(
    ("plain", "encoded"),
    [
        ("simple", "simple"),
        ("a+b=c", "a+2Bb+3Dc"),
        ("sp ace", "sp+20ace"),
        ("é", "+C3+A9"),
        ("", ""),
    ],
)
def test_xtext_round_trip(plain: str, encoded: str) -> None:
    assert xtext(plain) == encoded
    assert xtext_decode(encoded) == plain


def test_xtext_decode_rejects_malformed() -> None:
    with pytest.raises(ValueError):
        xtext_decode("a+zz")


def test_redaction() -> None:
    assert commands.auth("PLAIN", "c2VjcmV0").redacted() == b"AUTH PLAIN <redacted>\r\n"
    assert commands.auth("LOGIN").redacted() == b"AUTH LOGIN\r\n"
    assert commands.auth_response("c2VjcmV0").redacted() == b"<redacted>\r\n"
    assert commands.mail("a@b").redacted() == b"MAIL FROM:<a@b>\r\n"
    assert commands.auth("PLAIN", "c2VjcmV0").to_bytes() == b"AUTH PLAIN c2VjcmV0\r\n"


def test_raw_keeps_the_verb_for_tracking() -> None:
    command = commands.raw("mail from:<a@b>")
    assert command.verb == "MAIL"
    assert command.to_bytes() == b"mail from:<a@b>\r\n"
