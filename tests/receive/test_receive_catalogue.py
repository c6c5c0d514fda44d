"""Every receive finding code has its texts in both languages, a fix unless it is a
pass, an entry in docs/receive.md, and Italian written in one (impersonal) register;
the built-in blocklists and requirements are usable data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from smtpcheck.checks.receive_findings import CODES, receive_finding
from smtpcheck.knowledge.receive import (
    default_zones,
    dnsbl_meaning,
    receive_codes,
    receive_text,
    receive_word,
    requirements,
)
from smtpcheck.report.model import Status

DOCS = Path(__file__).resolve().parents[2] / "docs" / "receive.md"


def test_catalogue_and_codes_agree() -> None:
    assert receive_codes("en") == set(CODES)
    assert receive_codes("it") == set(CODES)


@pytest.mark.parametrize("lang", ["en", "it"])
@pytest.mark.parametrize("code", sorted(CODES))
def test_every_code_has_a_message_and_a_fix_unless_it_passes(code: str, lang: str) -> None:
    assert receive_text(code, "message", lang)
    fix = receive_text(code, "fix", lang)
    if CODES[code] in (Status.PASS, Status.INFO) and code != "requirement-not-checkable":
        assert fix is None or CODES[code] is Status.INFO, code
    else:
        assert fix, f"{code} ({CODES[code]}) has no fix in {lang}"


def test_every_code_is_documented() -> None:
    documented = set(re.findall(r"^\| `([a-z0-9-]+)` \| (\w+) \|", DOCS.read_text(), re.M))
    assert documented == {(code, str(status)) for code, status in CODES.items()}


_SECOND_PERSON = {"tuo", "tua", "tuoi", "tue", "vostro", "vostra", "vostri", "vostre"}
_OPENERS = {"Se", "Quando", "Per", "Far", "Dopo"}


@pytest.mark.parametrize("code", sorted(c for c, s in CODES.items() if s is not Status.PASS))
def test_italian_fixes_are_impersonal(code: str) -> None:
    fix = receive_text(code, "fix", "it") or ""
    if fix in ("", "{fix}"):
        return
    prose = re.sub(r'"[^"]*"', "", fix)  # quoted examples (a Date header) are not prose
    words = set(re.findall(r"\w+", prose.lower()))
    assert not words & _SECOND_PERSON, fix
    first = fix.split()[0].strip(",:")
    assert first in _OPENERS or re.search(r"(ar|er|ir|rr)(e|lo|la|li|le|ne)$", first), fix


@pytest.mark.parametrize("lang", ["en", "it"])
def test_zones_and_requirements_have_their_texts(lang: str) -> None:
    for zone in default_zones():
        assert zone.kind in ("ip", "domain") and zone.delist and zone.delist.startswith("https://")
        for key in (*zone.codes.values(), *zone.errors.values()):
            assert dnsbl_meaning(key, lang) != key, (zone.name, key)
    for item in requirements():
        assert receive_word("requirement_text", item.id, lang) != item.id
        assert receive_word("requirement_fix", item.id, lang) != item.id
        assert receive_word("provider", "+".join(item.providers), lang) != "+".join(item.providers)
        fix = receive_word("requirement_fix", item.id, "it")
        assert not set(re.findall(r"\w+", fix.lower())) & _SECOND_PERSON


def test_peer_text_is_made_visible_and_bounded() -> None:
    finding = receive_finding("from-invalid", "en", value="\x1b[31mred\x1b[0m" + "a" * 500)
    assert "\x1b" not in finding.message and "\\x1b[31mred" in finding.message
    assert len(finding.message) < 300
