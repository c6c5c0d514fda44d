"""Texts of the web interface (`smtpcheck web`): `data/<lang>/web.toml`.

Flat tables of labels and sentences by page; `web_text("check.title", "it")`. The
browser's language is picked by `pick_web_language` from an Accept-Language header.
"""

from __future__ import annotations

from smtpcheck.knowledge._data import (
    DEFAULT_LANGUAGE,
    SUPPORTED_LANGUAGES,
    language_file,
    lookup,
)
from smtpcheck.knowledge.i18n import is_plural_entry, render


def web_text(key: str, lang: str = DEFAULT_LANGUAGE, **fmt: object) -> str:
    """The text `key` (dotted, e.g. "nav.check") in `lang`; KeyError for an unknown key.
    A text with plural forms takes its form from the `count` fact."""
    value = lookup(lang, "web", *key.split("."))
    if value is None:
        raise KeyError(f"no web text {key!r}")
    return render(value, lang, fmt)


def web_table(section: str, lang: str = DEFAULT_LANGUAGE) -> dict[str, str | dict[str, str]]:
    """Every text of one section (the live page's script gets these); a text with plural
    forms comes as its table of forms ({"one": ..., "other": ...})."""
    table = language_file(lang, "web").get(section, {})
    out: dict[str, str | dict[str, str]] = {}
    for key, value in table.items():
        if isinstance(value, str):
            out[str(key)] = value
        elif is_plural_entry(value):
            out[str(key)] = {str(form): str(text) for form, text in value.items()}
    return out


def pick_web_language(accept_language: str | None) -> str:
    """The first supported language of an Accept-Language header, by weight."""
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate((accept_language or "").split(",")):
        tag, _, params = item.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        code = tag.strip().split("-")[0].lower()
        if code in SUPPORTED_LANGUAGES and weight > 0:
            ranked.append((-weight, position, code))
    return sorted(ranked)[0][2] if ranked else DEFAULT_LANGUAGE
