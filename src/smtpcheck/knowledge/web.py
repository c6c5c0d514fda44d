"""Texts of the web interface (`smtpcheck web`): `data/<lang>/web.toml`.

Flat tables of labels and sentences by page; `web_text("check.title", "it")`. The
browser's language is picked by `pick_web_language` from an Accept-Language header.
"""

from __future__ import annotations

from smtpcheck.knowledge._data import (
    DEFAULT_LANGUAGE,
    SUPPORTED_LANGUAGES,
    language_file,
    lookup_str,
)


def web_text(key: str, lang: str = DEFAULT_LANGUAGE, **fmt: object) -> str:
    """The text `key` (dotted, e.g. "nav.check") in `lang`; KeyError for an unknown key."""
    value = lookup_str(lang, "web", *key.split("."))
    if value is None:
        raise KeyError(f"no web text {key!r}")
    return value.format(**fmt) if fmt else value


def web_table(section: str, lang: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """Every text of one section (the live page's script gets these)."""
    table = language_file(lang, "web").get(section, {})
    return {str(k): str(v) for k, v in table.items() if isinstance(v, str)}


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
