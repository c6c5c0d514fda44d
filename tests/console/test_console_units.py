"""The console's pure parts: reading typed lines, escapes, completion, secret lines."""

from __future__ import annotations

import pytest

from smtpcheck.console import commands as c
from smtpcheck.console.completion import suggestions
from smtpcheck.console.messages import MESSAGES, msg
from smtpcheck.protocol import Reply
from smtpcheck.protocol.ehlo import parse_ehlo


@pytest.mark.parametrize(
    ("line", "parsed"),
    [
        ("OPEN mail1.fabrikam.com 25", c.Open("mail1.fabrikam.com", 25)),
        ("open --tls smtp.example.com", c.Open("smtp.example.com", None, tls=True)),
        ("open 127.0.0.1:2525", c.Open("127.0.0.1", 2525)),
        ("open [::1] 25", c.Open("::1", 25)),
        ("open [::1]:2525", c.Open("::1", 2525)),
        ("open kate@fabrikam.com", c.Open("kate@fabrikam.com")),
        ("close", c.Close()),
        ("QUIT", c.Quit()),
        ("exit", c.Exit()),
        ("set localecho", c.Set("localecho")),
        ("set logfile c:\\TelnetTest.txt", c.Set("logfile", "c:\\TelnetTest.txt")),
        ("unset logfile", c.Set("logfile", unset=True)),
        ("StartTLS", c.StartTls()),
        ("auth", c.AuthHelper(None)),
        ("AUTH cram-md5", c.AuthHelper("CRAM-MD5")),
        ("AUTH PLAIN AGFsaWNlAHNlY3JldA==", c.SmtpLine("AUTH PLAIN AGFsaWNlAHNlY3JldA==")),
        ("auth gssapi", c.SmtpLine("auth gssapi")),
        ("data", c.Data()),
        ("bdat", c.Bdat()),
        ("BDAT 10 LAST", c.SmtpLine("BDAT 10 LAST")),
        ("explain", c.Explain()),
        ("explain 550 5.1.1 User unknown", c.Explain("550 5.1.1 User unknown")),
        ("raw", c.Raw(None)),
        ("raw off", c.Raw(None, on=False)),
        ("raw EHLO x\\r\\n", c.Raw(b"EHLO x\r\n")),
        ("smtp HELP", c.SmtpLine("HELP")),
        ("help", c.Help()),
        ("?", c.Help()),
        ("MAIL FROM: <chris@contoso.com>", c.SmtpLine("MAIL FROM: <chris@contoso.com>")),
        ("   ", c.Empty()),
    ],
)
def test_typed_lines_are_read_as_console_commands_or_smtp(line: str, parsed: c.Parsed) -> None:
    assert c.parse_line(line) == parsed


def test_raw_mode_sends_every_line_raw_until_raw_off() -> None:
    assert c.parse_line("quit\\r\\n", raw_mode=True) == c.Raw(b"quit\r\n")
    assert c.parse_line("RAW OFF", raw_mode=True) == c.Raw(None, on=False)


@pytest.mark.parametrize("line", ["open", "open a b c", "open host 99999", "smtp"])
def test_bad_console_commands_say_what_is_expected(line: str) -> None:
    with pytest.raises(c.CommandError):
        c.parse_line(line)


def test_escapes_round_trip_and_unknown_escapes_are_refused() -> None:
    data = c.decode_escapes("A\\x00B\\rC\\nD\\\\E\\tF é")
    assert data == b"A\x00B\rC\nD\\E\tF \xc3\xa9"
    assert c.show_bytes(data) == "A\\0B\\rC\\nD\\\\E\\tF \\xc3\\xa9"
    with pytest.raises(c.CommandError, match="unknown escape"):
        c.decode_escapes("bad \\q")


EHLO = Reply.build(
    250, "mx.example.test", "PIPELINING", "SIZE 1048576", "STARTTLS", "AUTH PLAIN LOGIN",
    "DSN", "8BITMIME", "CHUNKING", command="EHLO",
)  # fmt: skip


def test_completion_offers_verbs_commands_and_what_the_server_advertised() -> None:
    ehlo = parse_ehlo(EHLO)
    assert "MAIL FROM:<" in suggestions("MA", ehlo)
    assert "mail from:<" in suggestions("ma", ehlo)  # answers in the case typed
    assert "BDAT" in suggestions("B", ehlo)  # CHUNKING advertised
    assert "BDAT" not in suggestions("B", None)
    assert "STARTTLS" in suggestions("ST", None)
    assert suggestions("star", ehlo) == ["starttls"]
    assert set(suggestions("auth ", ehlo)) >= {"PLAIN", "LOGIN", "cram-md5"}
    assert "NOTIFY=SUCCESS,FAILURE" in suggestions("RCPT TO:<kate@fabrikam.com> NO", ehlo)
    assert "BODY=8BITMIME" in suggestions("MAIL FROM:<a@b.c> B", ehlo)
    assert suggestions("MAIL FROM:<a@b.c> B", None) == []
    assert suggestions("set expl", ehlo) == ["explain"]
    assert suggestions("set explain o", ehlo) == ["on", "off"]
    assert suggestions("ra", ehlo, raw_mode=True) == ["raw off"]


def test_every_message_exists_in_english_and_italian() -> None:
    assert set(MESSAGES["en"]) == set(MESSAGES["it"])
    assert msg("open.trying", "it", host="h", port=25) == "Provo h porta 25"
    assert msg("closed", "xx") == "Connection closed"


def test_completion_shows_a_servers_control_bytes_as_escapes() -> None:
    hostile = Reply.build(250, "evil.test", "AUTH PLAIN X\x1b]0;T\x07", command="EHLO")
    offered = suggestions("auth ", parse_ehlo(hostile))
    assert "X\\x1b]0;T\\x07" in offered
    assert not any("\x1b" in word or "\x07" in word for word in offered)
