"""Language choice and the catalogue of user-facing UI strings (en, it).

`pick_language()` decides the language from `--lang` or the locale environment;
`t(key, lang, **fmt)` returns a formatted message from `data/<lang>/messages.toml`;
`tn(key, count, lang, **fmt)` one whose words depend on a number ("1 message", "2
messages"). Other layers (cli, console, report renderers) use these for their messages.

Plurals follow gettext's model with CLDR's category names: an entry that depends on a
count is a table of forms (`one = "..."`, `other = "..."`), and each language has a
rule that picks the form for a number (`plural_form`). English and Italian both have
the forms one and other; a language with more (Polish: one, few, many, other) adds its
rule to `_PLURAL_RULES` and writes every form in its files. The catalogue files of
`posture`, `receive` and the others may hold such tables too: `render` picks the form by the
`count` fact.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
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
    "is_plural_entry",
    "message_keys",
    "pick_language",
    "plural_form",
    "plural_forms",
    "render",
    "t",
    "t_or",
    "tn",
]

PLURAL_CATEGORIES = ("zero", "one", "two", "few", "many", "other")


def _one_other(count: int) -> str:
    # CLDR for en and it: "one" for exactly 1 (an integer), "other" for 0, 2, 3...
    return "one" if count == 1 else "other"


#: language -> (its forms, the rule that picks one for a count)
_PLURAL_RULES: dict[str, tuple[tuple[str, ...], Callable[[int], str]]] = {
    "en": (("one", "other"), _one_other),
    "it": (("one", "other"), _one_other),
}


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


def plural_forms(lang: str) -> tuple[str, ...]:
    """The plural forms `lang`'s catalogue entries have, e.g. ("one", "other")."""
    return _PLURAL_RULES[check_language(lang)][0]


def plural_form(count: int, lang: str = DEFAULT_LANGUAGE) -> str:
    """The form ("one", "other"...) that `lang` uses for `count` things."""
    return _PLURAL_RULES[check_language(lang)][1](abs(count))


def _form_of(count: object, lang: str) -> str:
    """The form for a count given as an int or as digits; "other" for a fraction
    ("1.5 seconds": CLDR gives fractions the form other in en and it)."""
    if isinstance(count, bool):
        count = int(count)
    if isinstance(count, str) and count.isdigit():
        count = int(count)
    return plural_form(count, lang) if isinstance(count, int) else "other"


def is_plural_entry(node: object) -> bool:
    """True for a catalogue table of plural forms (`{one = ..., other = ...}`)."""
    return (
        isinstance(node, dict)
        and "other" in node
        and all(key in PLURAL_CATEGORIES and isinstance(v, str) for key, v in node.items())
    )


def render(entry: object, lang: str, facts: Mapping[str, object]) -> str:
    """Fill a catalogue entry with `facts`: a string, or a table of plural forms whose
    form is picked by the `count` fact (a KeyError when facts are given without one).
    Without facts the template comes back unfilled: the "other" form of a plural entry,
    as it reads in the catalogue (tests and tools look at templates that way)."""
    if is_plural_entry(entry):
        assert isinstance(entry, dict)
        if not facts:
            return str(entry["other"])
        if "count" not in facts:
            raise KeyError("a plural entry needs a count")
        template = str(entry.get(_form_of(facts["count"], lang), entry["other"]))
    elif isinstance(entry, str):
        template = entry
    else:
        raise KeyError("not a message")
    return template.format(**facts) if facts else template


def t(key: str, lang: str = DEFAULT_LANGUAGE, **fmt: object) -> str:
    """The UI message `key` (dotted path, e.g. "explain.causes") in `lang`.

    Falls back to English for a key the language lacks; raises KeyError for a key
    no language has, since that is a programming error. An entry with plural forms
    takes its form from the `count` placeholder (`tn` says so at the call).
    """
    return catalogue_text("messages", key, lang, **fmt)


def catalogue_text(catalogue: str, key: str, lang: str = DEFAULT_LANGUAGE, /, **fmt: object) -> str:
    """Like `t`, from another language file: `data/<lang>/<catalogue>.toml`."""
    check_language(lang)
    value = lookup(lang, catalogue, *key.split("."))
    try:
        return render(value, lang, fmt)
    except KeyError:
        raise KeyError(f"no {catalogue} text {key!r} (or it needs a count)") from None


def t_or(key: str, default: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """The UI message `key` in `lang`, or `default` when no language has it: for
    messages looked up by a value from outside (an errno name, a step id)."""
    check_language(lang)
    value = lookup(lang, "messages", *key.split("."))
    return value if isinstance(value, str) else default


def tn(key: str, count: int, lang: str = DEFAULT_LANGUAGE, **fmt: object) -> str:
    """The message `key` for `count` things, in the form `lang` uses for that number:
    `tn("demo.done", 1, "it")` says "1 messaggio", `tn("demo.done", 2, "it")` "2
    messaggi". `{count}` in the text is the number."""
    return t(key, lang, count=count, **fmt)


def message_keys(lang: str = DEFAULT_LANGUAGE) -> frozenset[str]:
    """Every dotted message key the language defines (used by tests and tools); an
    entry with plural forms is one key."""
    keys: set[str] = set()

    def walk(prefix: str, node: object) -> None:
        if isinstance(node, dict) and not is_plural_entry(node):
            for name, child in node.items():
                walk(f"{prefix}.{name}" if prefix else str(name), child)
        else:
            keys.add(prefix)

    walk("", language_file(lang, "messages"))
    return frozenset(keys)
