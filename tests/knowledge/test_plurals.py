"""Counts are said by each language's plural rules: "1 message", "2 messages", "1
messaggio", "2 messaggi", never "1 messaggi" nor "1 message(s)"."""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from typing import Any

import pytest

from smtpcheck.knowledge import _data
from smtpcheck.knowledge.i18n import is_plural_entry, plural_form, plural_forms, t, tn
from smtpcheck.knowledge.posture import posture_text
from smtpcheck.knowledge.receive import receive_text

LANGS = _data.SUPPORTED_LANGUAGES


def _entries(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every catalogue entry: a string, a list of strings, or a table of plural forms."""
    if isinstance(node, dict) and not is_plural_entry(node):
        for key, child in node.items():
            yield from _entries(child, (*path, key))
    else:
        yield path, node


def _all_entries(lang: str) -> Iterator[tuple[str, tuple[str, ...], Any]]:
    for name in _data.LANGUAGE_FILES:
        for path, entry in _entries(_data.language_file(lang, name)):
            yield name, path, entry


@pytest.mark.parametrize(
    ("lang", "count", "form"),
    [("en", 0, "other"), ("en", 1, "one"), ("en", 2, "other"),
     ("it", 0, "other"), ("it", 1, "one"), ("it", 2, "other"), ("it", 21, "other")],
)  # fmt: skip
def test_plural_rule(lang: str, count: int, form: str) -> None:
    assert plural_form(count, lang) == form


# (key, facts, lang, {count: expected text})
RENDERED = [
    ("demo.done", {}, "en", {
        0: "Demo finished: 0 messages captured, the capture server is stopped.",
        1: "Demo finished: 1 message captured, the capture server is stopped.",
        2: "Demo finished: 2 messages captured, the capture server is stopped."}),
    ("demo.done", {}, "it", {
        0: "Demo conclusa: 0 messaggi catturati, il server di cattura è fermo.",
        1: "Demo conclusa: 1 messaggio catturato, il server di cattura è fermo.",
        2: "Demo conclusa: 2 messaggi catturati, il server di cattura è fermo."}),
    ("send.partial_rcpt", {"total": 2, "refused": "x@a.test"}, "it", {
        0: "0 destinatari su 2 rifiutati: x@a.test",
        1: "1 destinatario su 2 rifiutato: x@a.test",
        2: "2 destinatari su 2 rifiutati: x@a.test"}),
    ("send.partial_rcpt", {"total": 2, "refused": "x@a.test"}, "en", {
        0: "0 recipients of 2 rejected: x@a.test",
        1: "1 recipient of 2 rejected: x@a.test",
        2: "2 recipients of 2 rejected: x@a.test"}),
    ("check.count.warnings", {}, "it", {0: "0 avvisi", 1: "1 avviso", 2: "2 avvisi"}),
    ("check.count.failures", {}, "en", {
        0: "0 problems need fixing", 1: "1 problem needs fixing", 2: "2 problems need fixing"}),
    ("check.count.failures", {}, "it", {
        0: "0 problemi da correggere", 1: "1 problema da correggere",
        2: "2 problemi da correggere"}),
    ("mx.addresses", {}, "it", {0: "0 indirizzi", 1: "1 indirizzo", 2: "2 indirizzi"}),
]  # fmt: skip


@pytest.mark.parametrize(("key", "facts", "lang", "expected"), RENDERED)
def test_counted_messages_for_0_1_2(
    key: str, facts: dict[str, object], lang: str, expected: dict[int, str]
) -> None:
    for count, text in expected.items():
        assert tn(key, count, lang, **facts) == text


def test_verdict_counts_agree_in_both_languages() -> None:
    def accepted(lang: str, count: int, tested: int) -> str:
        of_total = tn("check.count.of_total", tested, lang)
        return tn("check.count.accepted", count, lang, of_total=of_total)

    assert accepted("en", 1, 1) == "1 of 1 mail server address accepts it"
    assert accepted("en", 2, 3) == "2 of 3 mail server addresses accept it"
    assert accepted("it", 1, 2) == "1 indirizzo di server di posta su 2 la accetta"
    assert accepted("it", 2, 2) == "2 indirizzi di server di posta su 2 la accettano"


def test_finding_catalogues_pick_the_form_by_count() -> None:
    one = posture_text("spf-ok", "message", "it", count=1, record="r") or ""
    three = posture_text("spf-ok", "message", "it", count=3, record="r") or ""
    assert "1 ricerca DNS su 10" in one and "3 ricerche DNS su 10" in three
    assert "1 bare line feed " in (receive_text("bare-lf", "message", "en", count=1) or "")
    assert "2 line feed isolati" in (receive_text("bare-lf", "message", "it", count=2) or "")
    one_day = t("check.finding.cert_expires_soon.message", "it", date="2030-01-01", count=1)
    assert one_day.endswith("resta 1 giorno.")


def test_a_plural_entry_needs_a_count() -> None:
    with pytest.raises(KeyError):
        t("send.partial_rcpt", "en", total=2, refused="a@b.test")


@pytest.mark.parametrize("lang", LANGS)
def test_every_plural_entry_has_exactly_the_languages_forms(lang: str) -> None:
    found = 0
    for name, path, entry in _all_entries(lang):
        if is_plural_entry(entry):
            found += 1
            assert tuple(sorted(entry)) == tuple(sorted(plural_forms(lang))), (name, path)
    assert found >= 20


_COUNT_FIELD = re.compile(r"\{count[}!:]")
# A number shown with words that depend on it, not given as `count`: would escape the rule.
_NUMBER_FIELDS = {"stored", "rejected", "days", "usable"}


@pytest.mark.parametrize("lang", LANGS)
def test_counts_are_said_only_through_plural_entries(lang: str) -> None:
    """A `{count}` outside a plural entry, or "(s)" after a word, is a count that some
    number will say wrongly."""
    for name, path, entry in _all_entries(lang):
        texts = [entry] if isinstance(entry, str) else []
        if isinstance(entry, list):
            texts = [item for item in entry if isinstance(item, str)]
        for text in texts:
            where = f"{lang}/{name}.toml {'.'.join(path)}"
            assert not _COUNT_FIELD.search(text), f"{where}: a count without plural forms"
            fields = {f for _, f, _, _ in string.Formatter().parse(text) if f}
            assert not fields & _NUMBER_FIELDS, f"{where}: {fields & _NUMBER_FIELDS}"
            assert not re.search(r"\w\((s|es|i|e)\)", text), f"{where}: {text!r}"
