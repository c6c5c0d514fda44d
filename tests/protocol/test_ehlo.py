"""EHLO reply parsing."""

from __future__ import annotations

import pytest

from smtpcheck.protocol import LocalProtocolError, Reply, parse_ehlo


def test_keywords_and_parameters() -> None:
    reply = Reply.build(
        250,
        "mx.example.com Hello client [192.0.2.1]",
        "PIPELINING",
        "SIZE 52428800",
        "8BITMIME",
        "auth PLAIN login",
        "AUTH=PLAIN LOGIN CRAM-MD5",
        "ENHANCEDSTATUSCODES",
        "XCLIENT NAME ADDR PROTO HELO",
        "dsn",
        "",
    )
    info = parse_ehlo(reply)
    assert info.hostname == "mx.example.com"
    assert info.greeting == "Hello client [192.0.2.1]"
    assert info.size == 52428800
    assert info.auth_mechanisms == ("PLAIN", "LOGIN", "CRAM-MD5")
    assert info.legacy_auth
    assert info.keywords["AUTH"] == ("PLAIN", "login", "CRAM-MD5")  # union of both lines
    assert info.keywords["XCLIENT"] == ("NAME", "ADDR", "PROTO", "HELO")
    assert list(info.keywords) == [
        "PIPELINING",
        "SIZE",
        "8BITMIME",
        "AUTH",
        "ENHANCEDSTATUSCODES",
        "XCLIENT",
        "DSN",
    ]
    assert info.has("dsn") and info.has("Pipelining") and not info.has("CHUNKING")
    assert info.params("size") == ("52428800",)


@pytest.mark.parametrize(
    ("lines", "mechanisms", "legacy"),
    [
        # Exchange / old Outlook: the standard line and the pre-RFC "AUTH=" line
        (("AUTH GSSAPI NTLM LOGIN", "AUTH=LOGIN"), ("GSSAPI", "NTLM", "LOGIN"), True),
        (("AUTH PLAIN LOGIN", "AUTH=LOGIN PLAIN"), ("PLAIN", "LOGIN"), True),
        # the legacy line first: its order is kept, the standard line adds what is new
        (("AUTH=LOGIN", "AUTH PLAIN LOGIN CRAM-MD5"), ("LOGIN", "PLAIN", "CRAM-MD5"), True),
        # one mechanism per line
        (("AUTH CRAM-MD5", "AUTH PLAIN", "AUTH LOGIN"), ("CRAM-MD5", "PLAIN", "LOGIN"), False),
        # repeated and differently cased: one each, the first spelling kept
        (("AUTH PLAIN", "auth plain LOGIN", "AUTH LOGIN"), ("PLAIN", "LOGIN"), False),
        # a keyword line without parameters adds nothing, removes nothing
        (("AUTH", "AUTH PLAIN"), ("PLAIN",), False),
    ],
)
def test_a_keyword_on_several_lines_gives_the_union(
    lines: tuple[str, ...], mechanisms: tuple[str, ...], legacy: bool
) -> None:
    info = parse_ehlo(Reply.build(250, "mx.example.com", "PIPELINING", *lines, "8BITMIME"))
    assert info.auth_mechanisms == mechanisms
    assert tuple(m.upper() for m in info.params("AUTH")) == mechanisms
    assert info.legacy_auth is legacy
    assert list(info.keywords) == ["PIPELINING", "AUTH", "8BITMIME"]
    assert info.lines == ("PIPELINING", *lines, "8BITMIME")  # the raw lines stay


def test_other_keywords_repeated_are_merged_too() -> None:
    info = parse_ehlo(
        Reply.build(250, "mx", "XCLIENT NAME ADDR", "XCLIENT ADDR PROTO HELO", "SIZE 1000")
    )
    assert info.params("XCLIENT") == ("NAME", "ADDR", "PROTO", "HELO")
    assert info.size == 1000


def test_only_legacy_auth_form() -> None:
    info = parse_ehlo(Reply.build(250, "mx", "AUTH=LOGIN PLAIN"))
    assert info.keywords["AUTH"] == ("LOGIN", "PLAIN")
    assert info.auth_mechanisms == ("LOGIN", "PLAIN")


def test_size_without_number_and_single_line_reply() -> None:
    info = parse_ehlo(Reply.build(250, "mx", "SIZE"))
    assert info.has("SIZE") and info.size is None
    bare = parse_ehlo(Reply.build(250, "mx.example.com"))
    assert bare.keywords == {} and bare.auth_mechanisms == () and bare.greeting == ""


def test_non_success_reply_is_refused() -> None:
    with pytest.raises(LocalProtocolError):
        parse_ehlo(Reply.build(502, "5.5.1 EHLO not supported"))
