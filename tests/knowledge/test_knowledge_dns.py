"""DNS and MX texts (knowledge.dns over data/<lang>/dns.toml): every status, lookup
outcome, finding and input error the dns layer can produce has words, a fix where one
is due, in every language; facts fill every placeholder; Italian is a translation."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from smtpcheck.dns.mx_model import MxStatus
from smtpcheck.dns.resolver import LookupStatus
from smtpcheck.knowledge import _data
from smtpcheck.knowledge.dns import (
    MxFindingText,
    explain_dns_input_error,
    explain_lookup_status,
    explain_mx_finding,
    explain_mx_status,
    explain_no_mail_targets,
    lookup_statuses,
    mx_finding_codes,
    mx_statuses,
)

LANGS = _data.SUPPORTED_LANGUAGES
DNS_SOURCE = Path(__file__).resolve().parents[2] / "src" / "smtpcheck" / "dns"

# Every fact a finding of each code carries (see smtpcheck.dns.mx).
FINDING_FACTS: dict[str, dict[str, str]] = {
    "implicit-mx": {"domain": "fabrikam.com"},
    "mx-cname": {"host": "mail.fabrikam.com", "target": "mx.hoster.example"},
    "mx-ip-literal": {"host": "192.0.2.1"},
    "mx-dangling": {"host": "gone.fabrikam.com", "variant": ""},
    "mx-host-lookup-failed": {
        "host": "mx.fabrikam.com",
        "rdtype": "A",
        "status": "servfail",
        "detail": "127.0.0.1 answered SERVFAIL",
    },
    "null-mx-mixed": {},
    "null-mx-preference": {},
    "no-usable-host": {},
}


def _source_codes(pattern: str) -> set[str]:
    text = "".join(path.read_text() for path in DNS_SOURCE.glob("*.py"))
    return set(re.findall(pattern, text))


def _placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def test_every_status_and_lookup_outcome_has_text() -> None:
    assert set(mx_statuses()) == {status.value for status in MxStatus}
    assert set(lookup_statuses()) == {status.value for status in LookupStatus}


def test_every_finding_code_the_dns_layer_emits_has_text() -> None:
    emitted = _source_codes(r'code="([a-z-]+)"')
    assert emitted == set(mx_finding_codes()) == set(FINDING_FACTS)


def test_every_input_error_code_has_text() -> None:
    raised = _source_codes(r'(?:InvalidDomainError|DnsConfigError)\("([a-z_]+)"')
    assert raised == set(_data.language_file("en", "dns")["input"])


@pytest.mark.parametrize("lang", LANGS)
def test_statuses_have_meaning_and_advice(lang: str) -> None:
    for status in MxStatus:
        text = explain_mx_status(status, lang)
        assert text.meaning and not text.meaning.endswith(".")
        assert text.advice.endswith(".")
    for outcome in LookupStatus:
        assert explain_lookup_status(outcome, lang)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("code", sorted(FINDING_FACTS))
def test_findings_fill_every_placeholder_and_have_a_fix(lang: str, code: str) -> None:
    text = explain_mx_finding(code, lang, **FINDING_FACTS[code])
    assert isinstance(text, MxFindingText)
    for part in (text.title, text.message, text.fix):
        assert part and "{" not in part
    assert text.fix.endswith(".")
    for value in FINDING_FACTS[code].values():
        if value and value not in ("servfail",):
            assert value in text.message + text.fix


def test_finding_variants_and_facts() -> None:
    gone = explain_mx_finding("mx-dangling", "en", host="h.test", variant="nxdomain")
    assert gone.message == "the MX exchange h.test does not exist (NXDOMAIN): this MX is unusable"
    empty = explain_mx_finding("mx-dangling", "it", host="h.test", variant="")
    assert "non ha nessun record A o AAAA" in empty.message
    failed = explain_mx_finding(
        "mx-host-lookup-failed", "it", host="mx.test", rdtype="AAAA", status="timeout", detail=""
    )
    assert failed.message == (
        "la ricerca del record AAAA di mx.test non è riuscita: "
        "nessuna risposta dal server DNS entro il tempo massimo"
    )
    with pytest.raises(KeyError, match="host"):
        explain_mx_finding("mx-cname", "en", target="x")
    with pytest.raises(KeyError):
        explain_mx_finding("no-such-code", "en")
    with pytest.raises(ValueError, match="unsupported language"):
        explain_mx_status("mx", "fr")


def test_italian_is_a_translation_in_the_trade_register() -> None:
    english = _data.language_file("en", "dns")
    italian = _data.language_file("it", "dns")
    for status in english["mx_status"]:
        for field in ("meaning", "advice"):
            assert italian["mx_status"][status][field] != english["mx_status"][status][field]
    for code in english["finding"]:
        for field in ("title", "message", "fix"):
            assert italian["finding"][code][field] != english["finding"][code][field]
    assert explain_mx_status("null_mx", "it").meaning.endswith(
        "il dominio pubblica un MX nullo: non accetta posta (RFC 7505)"
    )
    assert "riprovare più tardi" in explain_mx_status("servfail", "it").advice.lower()
    assert explain_mx_status("implicit_mx", "it").meaning.startswith("nessun record MX")


@pytest.mark.parametrize("lang", LANGS)
def test_input_errors_keep_the_typed_text(lang: str) -> None:
    for code, template in _data.language_file(lang, "dns")["input"].items():
        facts = {name: f"<{name}>" for name in _placeholders(template)}
        line = explain_dns_input_error(code, lang, **facts)
        assert "\n" not in line
        if "text" in facts:
            assert "'<text>'" in line


def test_no_mail_targets() -> None:
    assert explain_no_mail_targets("bücher.test", "nxdomain") == (
        "cannot deliver to bücher.test: the domain does not exist (NXDOMAIN)"
    )
    assert explain_no_mail_targets(
        "bücher.test", "mx", "it", family=6, ascii_domain="xn--bcher-kva.test"
    ) == (
        "impossibile consegnare a bücher.test: nessun server di posta di "
        "xn--bcher-kva.test ha un indirizzo IPv6"
    )
