"""EHLO replies explained line by line (the seed's sample session), parsing of pasted
reply text, and the i18n helper."""

from __future__ import annotations

import pytest

from smtpcheck.knowledge.ehlo import explain_ehlo_keyword, explain_ehlo_reply
from smtpcheck.knowledge.i18n import pick_language, t
from smtpcheck.knowledge.parse import parse_reply_text

# The EHLO reply of the seed article's sample telnet session, verbatim.
SEED_EHLO_REPLY = """\
250-mail1.fabrikam.com Hello [172.16.0.5]
250-SIZE 37748736
250-PIPELINING
250-DSN
250-ENHANCEDSTATUSCODES
250-STARTTLS
250-X-ANONYMOUSTLS
250-AUTH NTLM
250-X-EXPS GSSAPI NTLM
250-8BITMIME
250-BINARYMIME
250-CHUNKING
250 XRDST"""


@pytest.mark.parametrize("lang", ["en", "it"])
def test_every_line_of_the_seed_ehlo_reply_is_explained(lang: str) -> None:
    lines = explain_ehlo_reply(SEED_EHLO_REPLY, lang)
    assert [line.line for line in lines] == SEED_EHLO_REPLY.splitlines()
    greeting, *keywords = lines
    assert greeting.keyword is None
    assert "mail1.fabrikam.com" in greeting.meaning and "172.16.0.5" in greeting.meaning
    for line in keywords:
        assert line.keyword is not None and line.keyword.known, line.line
        assert line.meaning.strip()
        assert "unknown" not in line.meaning.lower() and "sconosciut" not in line.meaning.lower()


def test_seed_size_and_auth_parameters_are_read() -> None:
    size = explain_ehlo_keyword("SIZE", ["37748736"])
    assert "37748736 bytes" in size.params_meaning and "36.0 MiB" in size.params_meaning
    exps = explain_ehlo_keyword("x-exps", ["GSSAPI", "NTLM"])
    assert exps.keyword == "X-EXPS" and exps.vendor == "Microsoft Exchange"
    assert "Kerberos" in exps.params_meaning and "NTLM" in exps.params_meaning
    anonymous_tls = explain_ehlo_keyword("X-ANONYMOUSTLS", lang="it")
    assert anonymous_tls.status == "vendor" and "Exchange" in anonymous_tls.meaning


def test_other_keyword_forms() -> None:
    legacy = explain_ehlo_keyword("AUTH=LOGIN", ["PLAIN"])
    assert legacy.known and legacy.params == ("LOGIN", "PLAIN")
    limits = explain_ehlo_keyword("LIMITS", ["RCPTMAX=100", "MAILMAX=5"])
    assert "100 recipients" in limits.params_meaning and "5 messages" in limits.params_meaning
    private = explain_ehlo_keyword("XFOOBAR")
    assert not private.known and private.status == "private"
    for keyword in ("PIPECONNECT", "PRDR", "XCLIENT", "XFORWARD", "SMTPUTF8", "REQUIRETLS"):
        assert explain_ehlo_keyword(keyword).known


def test_parse_single_and_multi_line_replies() -> None:
    parsed = parse_reply_text(
        "550 5.1.1 <kate@fabrikam.com>: Recipient address rejected: User unknown"
    )
    assert (parsed.code, parsed.enhanced) == (550, "5.1.1")
    assert parsed.text == "<kate@fabrikam.com>: Recipient address rejected: User unknown"
    multi = parse_reply_text("550-5.7.26 first part\n550-5.7.26 second part\n550 5.7.26 end")
    assert (multi.code, multi.enhanced) == (550, "5.7.26")
    assert multi.text == "first part\nsecond part\nend"
    assert len(multi.lines) == 3


def test_parse_transcripts_prose_and_bare_codes() -> None:
    marked = parse_reply_text("<~ 535 5.7.8 Error: authentication failed")
    assert (marked.code, marked.enhanced) == (535, "5.7.8")
    prose = parse_reply_text("Remote server returned '550 5.4.1 Recipient address rejected'")
    assert (prose.code, prose.enhanced) == (550, "5.4.1")
    exim = parse_reply_text("550 Unrouteable address")
    assert (exim.code, exim.enhanced, exim.text) == (550, None, "Unrouteable address")
    bare = parse_reply_text("5.1.1")
    assert (bare.code, bare.enhanced, bare.text) == (None, "5.1.1", "")
    assert parse_reply_text("no code here").code is None


@pytest.mark.parametrize(
    ("explicit", "environ", "expected"),
    [
        ("it", {}, "it"),
        ("IT_it", {"LANG": "en_US.UTF-8"}, "it"),
        (None, {"LANG": "it_IT.UTF-8"}, "it"),
        (None, {"LC_ALL": "it_CH", "LANG": "en_GB"}, "it"),
        (None, {"LC_MESSAGES": "it_IT@euro"}, "it"),
        (None, {"LANGUAGE": "it:en", "LANG": "C"}, "it"),
        (None, {"LC_ALL": "C", "LANG": "it_IT"}, "en"),
        (None, {"LANG": "de_DE.UTF-8"}, "en"),
        (None, {}, "en"),
        ("de", {"LANG": "it_IT.UTF-8"}, "it"),
    ],
)
def test_pick_language(explicit: str | None, environ: dict[str, str], expected: str) -> None:
    assert pick_language(explicit, environ) == expected


def test_message_catalogue() -> None:
    assert t("explain.causes", "en") == "Likely causes"
    assert t("explain.causes", "it") == "Cause probabili"
    assert "999" in t("errors.bad_code", "it", value="999")
    with pytest.raises(KeyError):
        t("no.such.key")
