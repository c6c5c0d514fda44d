"""Every posture finding code has its texts in both languages, a fix unless it is a
pass, an entry in docs/posture.md, and Italian written in one (impersonal) register."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from smtpcheck.checks.posture_findings import CODES, posture_finding, quote
from smtpcheck.knowledge.posture import posture_codes, posture_text
from smtpcheck.report.model import Status

DOCS = Path(__file__).resolve().parents[2] / "docs" / "posture.md"


def test_catalogue_and_codes_agree() -> None:
    assert posture_codes("en") == set(CODES)
    assert posture_codes("it") == set(CODES)


@pytest.mark.parametrize("lang", ["en", "it"])
@pytest.mark.parametrize("code", sorted(CODES))
def test_every_code_has_a_message_and_a_fix_unless_it_passes(code: str, lang: str) -> None:
    assert posture_text(code, "message", lang)
    fix = posture_text(code, "fix", lang)
    if CODES[code] is Status.PASS:
        assert fix is None, f"{code}: a pass needs no fix"
    else:
        assert fix, f"{code} ({CODES[code]}) has no fix in {lang}"


def test_every_code_is_documented() -> None:
    documented = set(re.findall(r"^\| `([a-z0-9-]+)` \| (\w+) \|", DOCS.read_text(), re.M))
    assert documented == {(code, str(status)) for code, status in CODES.items()}


_SECOND_PERSON = {"tuo", "tua", "tuoi", "tue", "vostro", "vostra", "vostri", "vostre"}
_OPENERS = {"Se", "Quando", "Per", "Nulla", "Va", "Perché", "Una", "Far"}


@pytest.mark.parametrize("code", sorted(c for c, s in CODES.items() if s is not Status.PASS))
def test_italian_fixes_are_impersonal(code: str) -> None:
    fix = posture_text(code, "fix", "it") or ""
    words = set(re.findall(r"\w+", fix.lower()))
    assert not words & _SECOND_PERSON, fix
    first = fix.split()[0].strip(",:")
    assert first in _OPENERS or re.search(r"(ar|er|ir|rr)(e|lo|la|li|le|ne)$", first), fix


def test_peer_text_in_a_message_is_made_visible_and_bounded() -> None:
    finding = posture_finding(
        "spf-syntax", "en", domain="x.test", error="\x1b[31mred\x1b[0m" + "a" * 500
    )
    assert "\x1b" not in finding.message and "\\x1b[31mred" in finding.message
    assert len(quote("a" * 500)) == 160
