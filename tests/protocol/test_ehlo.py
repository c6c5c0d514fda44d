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
    assert info.keywords["AUTH"] == ("PLAIN", "login")
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
