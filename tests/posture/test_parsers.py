"""The record parsers: exact results on known records, and property tests (records are
peer input: any text, bounded time, never an exception)."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smtpcheck.checks.dane import tlsa_from_text
from smtpcheck.checks.dkim import parse_dkim_key
from smtpcheck.checks.dmarc import parse_dmarc, uri_problem
from smtpcheck.checks.mta_sts_policy import (
    mx_matches,
    parse_policy,
    parse_sts_record,
)
from smtpcheck.checks.spf_record import (
    MacroContext,
    MacroError,
    expand_macros,
    parse_spf,
)
from smtpcheck.checks.tag_list import parse_tag_list
from smtpcheck.checks.tlsrpt import parse_tlsrpt

PEER_TEXT = st.text(max_size=600)
RECORDISH = st.lists(
    st.sampled_from(
        ["v=spf1", "v=DMARC1", "v=STSv1", "v=TLSRPTv1", "v=DKIM1", ";", " ", "=", ":", "/",
         "%{", "}", "ir", "all", "-", "+", "~", "?", "a", "mx", "include", "ip4", "ip6",
         "127.0.0.1", "::1", "/24", "//64", "p=", "rua=", "mailto:", "https://", "id=",
         "mode: enforce", "\n", "mx: *.example.test", "max_age: 86400", "é", "\x00"]
    ),
    max_size=40,
).map("".join)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.one_of(PEER_TEXT, RECORDISH))
def test_no_parser_raises_on_any_text(text: str) -> None:
    parse_spf(text)
    parse_tag_list(text)
    parse_dmarc(text)
    parse_sts_record(text)
    parse_policy(text)
    parse_tlsrpt(text)
    parse_dkim_key("s", text)
    tlsa_from_text(text)
    uri_problem(text)


@settings(max_examples=200, deadline=None)
@given(RECORDISH, st.ip_addresses(), st.emails())
def test_macro_expansion_is_bounded_or_a_macro_error(spec: str, ip, sender: str) -> None:
    context = MacroContext(ipaddress.ip_address(str(ip)), sender, "example.test", "helo.test")
    try:
        expanded = expand_macros(spec, context)
    except MacroError:
        return
    assert len(expanded) <= 253 or "." not in expanded


@given(st.lists(st.from_regex(r"[a-z0-9]{1,10}", fullmatch=True), min_size=2, max_size=5))
def test_wildcard_patterns_cover_exactly_one_label(labels: list[str]) -> None:
    host = ".".join(labels)
    parent = ".".join(labels[1:])
    assert mx_matches(host, host.upper())
    if "." in parent:  # *.<one label> is not a meaningful pattern; RFC 8461 §4.1
        assert mx_matches("*." + parent, host)
        assert not mx_matches("*." + host, host)
        assert not mx_matches("*." + parent, "x." + host)


# ---- exact results -------------------------------------------------------------------
def test_spf_parse_terms() -> None:
    record = parse_spf("v=spf1 a/24 mx:mail.example.test//64 ip4:192.0.2.0/24 -include:x.test ~all")
    kinds = [(m.qualifier, m.kind) for m in record.mechanisms]
    assert kinds == [("+", "a"), ("+", "mx"), ("+", "ip4"), ("-", "include"), ("~", "all")]
    assert record.mechanisms[0].cidr4 == 24
    assert record.mechanisms[1].domain_spec == "mail.example.test"
    assert record.mechanisms[1].cidr6 == 64
    assert record.errors == []


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("v=spf1 ip4:300.1.1.1 -all", "bad address"),
        ("v=spf1 ip6:192.0.2.1 -all", "bad address"),
        ("v=spf1 include -all", "include needs a domain"),
        ("v=spf1 foo:bar -all", "unknown mechanism"),
        ("v=spf1 a/33 -all", "bad prefix length"),
        ("v=spf1 a/333 -all", "bad prefix length"),
        ("v=spf1 mx//129 -all", "bad prefix length"),
        ("v=spf1 a:example.test/024 -all", "bad prefix length"),
        ("v=spf1 redirect=a.test redirect=b.test", "more than one redirect"),
        ("v=spf1 include:%{z}.test -all", "bad macro"),
        ("v=spf1 all:x", "'all' takes no argument"),
        ("spf1 -all", "does not start with v=spf1"),
    ],
)
def test_spf_syntax_errors(text: str, error: str) -> None:
    assert any(error in problem for problem in parse_spf(text).errors), parse_spf(text).errors


@pytest.mark.parametrize(
    ("spec", "expanded"),
    [
        ("%{i}.example.test", "192.0.2.3.example.test"),
        ("%{ir}.%{v}._spf.%{d}", "3.2.0.192.in-addr._spf.example.test"),
        ("%{d2}", "example.test"),
        ("%{l}@%{o}", "strong-bad@email.example.test"),
        ("%{l-}.x", "strong.bad.x"),
        ("%{lr-}.x", "bad.strong.x"),
        ("%{s}", "strong-bad@email.example.test"),
        ("%%%_%-", "% %20"),
    ],
)
def test_macros_as_rfc_7208_examples(spec: str, expanded: str) -> None:
    context = MacroContext(
        ipaddress.ip_address("192.0.2.3"), "strong-bad@email.example.test", "example.test"
    )
    assert expand_macros(spec, context) == expanded


def test_ipv6_macro_is_nibbles() -> None:
    context = MacroContext(ipaddress.ip_address("2001:db8::cb01"), "a@b.test", "b.test")
    assert expand_macros("%{ir}.%{v}", context) == (
        "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6"
    )


def test_dmarc_parse() -> None:
    record = parse_dmarc("v=DMARC1; p=Reject; sp=none; pct=20; rua=mailto:a@x.test!10m")
    assert record.errors == [] and record.tags["p"] == "reject" and record.tags["sp"] == "none"
    assert parse_dmarc("p=reject; v=DMARC1").errors == ["the record must start with v=DMARC1"]
    assert "pct=200" in parse_dmarc("v=DMARC1; p=none; pct=200").errors[0]
    assert uri_problem("mailto:a@x.test!10m") is None
    assert uri_problem("a@x.test") is not None


def test_mta_sts_policy_parse() -> None:
    policy = parse_policy("version: STSv1\r\nmode: enforce\r\nmx: mx1.example.test\r\n"
                          "mx: *.example.test\r\nmax_age: 604800\r\n")  # fmt: skip
    assert policy.valid and policy.mx == ["mx1.example.test", "*.example.test"]
    broken = parse_policy("version: STSv2\nmode: enforce\nmax_age: 99999999999\n")
    assert broken.errors == [
        "version 'STSv2' is not STSv1",
        "max_age '99999999999' is not 0 to 31557600 seconds",
        "no mx: line (needed unless mode is none)",
    ]
    assert parse_sts_record("v=STSv1; id=20190429T010101;").id == "20190429T010101"
    assert parse_sts_record("v=STSv1;").error == "the id= field is missing"


def test_tlsrpt_parse() -> None:
    record = parse_tlsrpt("v=TLSRPTv1; rua=mailto:a@x.test,https://r.x.test/v1")
    assert record.errors == [] and record.bad_uris == []
    assert parse_tlsrpt("v=TLSRPTv1; rua=ftp://x").bad_uris == ["ftp://x"]


def test_dkim_bare_rsa_public_key_is_accepted() -> None:
    import base64

    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    key = rsa.generate_private_key(65537, 2048).public_key()
    bare = base64.b64encode(key.public_bytes(Encoding.DER, PublicFormat.PKCS1)).decode()
    parsed = parse_dkim_key("s", f"v=DKIM1; k=rsa; p={bare}")
    assert parsed.problem is None and parsed.bits == 2048
