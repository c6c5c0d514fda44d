"""The data files are complete: every registered code, keyword, hint, vendor pattern
and UI message has text in every shipped language, and the languages agree."""

from __future__ import annotations

import re
import string
from typing import Any

import pytest

from smtpcheck.knowledge import _data
from smtpcheck.knowledge.hints import CONNECTION_FAILURES, STEPS, hint_ids, pattern_ids
from smtpcheck.knowledge.i18n import is_plural_entry, message_keys

LANGS = _data.SUPPORTED_LANGUAGES
REGISTRY = _data.neutral("registry")


def _text(lang: str, name: str, *path: str) -> str:
    node: Any = _data.language_file(lang, name)
    for key in path:
        assert isinstance(node, dict) and key in node, f"{lang}/{name}.toml lacks {'.'.join(path)}"
        node = node[key]
    assert isinstance(node, str) and node.strip(), f"{lang}/{name}.toml: empty {'.'.join(path)}"
    assert "unknown" not in node.lower() or name != "ehlo", f"{path} says unknown"
    return node


def _texts(lang: str, name: str, *path: str) -> list[str]:
    node: Any = _data.language_file(lang, name)
    for key in path:
        assert key in node, f"{lang}/{name}.toml lacks {'.'.join(path)}"
        node = node[key]
    assert isinstance(node, list) and node, f"{lang}/{name}.toml: empty list {'.'.join(path)}"
    assert all(isinstance(item, str) and item.strip() for item in node)
    return node


def _keys(node: Any, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Every leaf's path; a table of plural forms is one leaf (each language has its own
    forms: tests/knowledge/test_plurals.py checks them)."""
    if isinstance(node, dict) and not is_plural_entry(node):
        return set().union(*(_keys(value, (*prefix, key)) for key, value in node.items()))
    return {prefix}


def _placeholders(template: str | dict[str, str]) -> set[str]:
    """The {fields} of a template, or of all the forms of a plural entry together."""
    if isinstance(template, dict):
        return set().union(*(_placeholders(form) for form in template.values()))
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def test_registry_covers_rfc_5321_4954_7504_reply_codes() -> None:
    expected = {211, 214, 220, 221, 235, 250, 251, 252, 334, 354, 421, 432, 450, 451, 452,
                454, 455, 500, 501, 502, 503, 504, 521, 530, 534, 535, 538, 550, 551, 552,
                553, 554, 555, 556}  # fmt: skip
    assert {int(code) for code in REGISTRY["reply_codes"]} == expected


def test_registry_covers_every_iana_enhanced_detail() -> None:
    details = set(REGISTRY["enhanced_details"])
    highest = {"0": 0, "1": 10, "2": 4, "3": 6, "4": 7, "5": 6, "6": 10, "7": 30}
    expected = {f"{s}.{d}" for s, top in highest.items() for d in range(top + 1)}
    assert details == expected


@pytest.mark.parametrize("lang", LANGS)
def test_every_reply_code_has_text(lang: str) -> None:
    for code in REGISTRY["reply_codes"]:
        _text(lang, "replies", "code", code, "meaning")
        _text(lang, "replies", "code", code, "detail")
    for digit in "2345":
        _text(lang, "replies", "class", digit)
        _text(lang, "replies", "retry", digit)
    for digit in "012345":
        _text(lang, "replies", "category", digit)


@pytest.mark.parametrize("lang", LANGS)
def test_every_enhanced_code_has_text(lang: str) -> None:
    for klass in REGISTRY["enhanced_classes"]:
        _text(lang, "enhanced", "class", klass)
    for subject in REGISTRY["enhanced_subjects"]:
        _text(lang, "enhanced", "subject", subject)
    for detail in REGISTRY["enhanced_details"]:
        _text(lang, "enhanced", "detail", detail, "meaning")
        _text(lang, "enhanced", "detail", detail, "description")


@pytest.mark.parametrize("lang", LANGS)
def test_every_ehlo_keyword_and_mechanism_has_text(lang: str) -> None:
    for keyword in REGISTRY["ehlo_keywords"]:
        _text(lang, "ehlo", "keyword", keyword, "name")
        _text(lang, "ehlo", "keyword", keyword, "meaning")
    for mechanism in REGISTRY["auth_mechanisms"]:
        _text(lang, "ehlo", "mechanism", mechanism)


@pytest.mark.parametrize("lang", LANGS)
def test_every_hint_and_step_has_text(lang: str) -> None:
    ids = hint_ids()
    assert set(CONNECTION_FAILURES.values()) <= ids
    for hint_id in ids:
        _text(lang, "hints", "hint", hint_id, "title")
        _texts(lang, "hints", "hint", hint_id, "causes")
        _texts(lang, "hints", "hint", hint_id, "fixes")
    for step in STEPS:
        _text(lang, "hints", "step", step)


@pytest.mark.parametrize("lang", LANGS)
def test_every_vendor_pattern_has_text(lang: str) -> None:
    for pattern_id in pattern_ids():
        _text(lang, "vendors", "pattern", pattern_id, "meaning")
        _texts(lang, "vendors", "pattern", pattern_id, "advice")


def test_pattern_ids_are_unique_and_regexes_compile() -> None:
    ids = pattern_ids()
    assert len(ids) == len(set(ids))
    for raw in _data.neutral("rules")["pattern"]:
        re.compile(raw["regex"])


@pytest.mark.parametrize("name", _data.LANGUAGE_FILES)
def test_languages_have_the_same_keys_and_placeholders(name: str) -> None:
    english = _data.language_file("en", name)
    for lang in LANGS:
        other = _data.language_file(lang, name)
        assert _keys(other) == _keys(english), f"{lang}/{name}.toml keys differ from en"
        for key in _keys(english):
            en_value: Any = english
            it_value: Any = other
            for part in key:
                en_value, it_value = en_value[part], it_value[part]
            if isinstance(en_value, str | dict):
                assert _placeholders(it_value) == _placeholders(en_value), f"{lang}: {key}"


def test_no_unused_language_entries() -> None:
    """Text for a code, hint or pattern nobody can reach is a sign of a typo'd key."""
    english = _data.language_file("en", "hints")["hint"]
    assert set(english) == hint_ids()
    assert set(_data.language_file("en", "vendors")["pattern"]) == set(pattern_ids())
    assert set(_data.language_file("en", "replies")["code"]) == set(REGISTRY["reply_codes"])
    assert set(_data.language_file("en", "enhanced")["detail"]) == set(REGISTRY["enhanced_details"])
    assert set(_data.language_file("en", "ehlo")["keyword"]) == set(REGISTRY["ehlo_keywords"])


def test_message_catalogues_match() -> None:
    assert message_keys("it") == message_keys("en")
    assert "explain.causes" in message_keys("en")
