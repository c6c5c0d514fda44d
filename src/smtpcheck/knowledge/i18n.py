"""Language choice and the catalogue of user-facing UI strings (en, it).

`pick_language()` decides the language from `--lang` or the locale environment;
`t(key, lang, **fmt)` returns a formatted message from `data/<lang>/messages.toml`.
Other layers (cli, console, report renderers) use these for their messages.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal, cast

from smtpcheck.knowledge._data import (
    DEFAULT_LANGUAGE,
    SUPPORTED_LANGUAGES,
    check_language,
    language_file,
    lookup,
)

Language = Literal["en", "it"]

# GNU gettext order: LANGUAGE (a colon list) first, then the POSIX precedence.
_LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")

__all__ = [
    "SUPPORTED_LANGUAGES",
    "Language",
    "catalogue_text",
    "message_keys",
    "pick_language",
    "t",
]


def _normalise(value: str) -> str | None:
    """'it_IT.UTF-8' -> 'it'; None for C/POSIX or an unsupported language."""
    for part in value.split(":"):
        code = part.strip().split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
        if code in SUPPORTED_LANGUAGES:
            return code
        if code:
            return None
    return None


def pick_language(
    explicit: str | None = None, environ: Mapping[str, str] | None = None
) -> Language:
    """The language to speak: `explicit` (e.g. from --lang) if supported, else the
    first set locale variable among LANGUAGE, LC_ALL, LC_MESSAGES, LANG; English
    when none names a supported language (including C and POSIX)."""
    if explicit:
        chosen = _normalise(explicit)
        if chosen is not None:
            return cast(Language, chosen)
    env = os.environ if environ is None else environ
    for variable in _LOCALE_VARIABLES:
        value = env.get(variable, "")
        if value:
            chosen = _normalise(value)
            return cast(Language, chosen or DEFAULT_LANGUAGE)
    return cast(Language, DEFAULT_LANGUAGE)


def t(key: str, lang: str = DEFAULT_LANGUAGE, **fmt: object) -> str:
    """The UI message `key` (dotted path, e.g. "explain.causes") in `lang`.

    Falls back to English for a key the language lacks; raises KeyError for a key
    no language has, since that is a programming error.
    """
    return catalogue_text("messages", key, lang, **fmt)


def catalogue_text(catalogue: str, key: str, lang: str = DEFAULT_LANGUAGE, /, **fmt: object) -> str:
    """Like `t`, from another language file: `data/<lang>/<catalogue>.toml`."""
    check_language(lang)
    value = lookup(lang, catalogue, *key.split("."))
    if not isinstance(value, str):
        raise KeyError(f"no {catalogue} text {key!r}")
    return value.format(**fmt) if fmt else value


def message_keys(lang: str = DEFAULT_LANGUAGE) -> frozenset[str]:
    """Every dotted message key the language defines (used by tests and tools)."""
    keys: set[str] = set()

    def walk(prefix: str, node: object) -> None:
        if isinstance(node, dict):
            for name, child in node.items():
                walk(f"{prefix}.{name}" if prefix else str(name), child)
        else:
            keys.add(prefix)

    walk("", language_file(lang, "messages"))
    return frozenset(keys)
