"""Loading of the knowledge data files (TOML shipped inside the package).

Everything is read once from the package folder and cached: the knowledge layer does
no other I/O. (A plain path beside this module, not importlib.resources: that import
alone costs more start-up time than `explain` spends answering.) Language files live
in `data/<lang>/`; language-neutral facts in `data/registry.toml` and `data/rules.toml`.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"

SUPPORTED_LANGUAGES: tuple[str, ...] = ("en", "it")
DEFAULT_LANGUAGE = "en"
LANGUAGE_FILES: tuple[str, ...] = (
    "replies",
    "enhanced",
    "ehlo",
    "hints",
    "vendors",
    "messages",
    "dns",
)

Table = dict[str, Any]


def check_language(lang: str) -> str:
    """Return `lang` if shipped, else raise ValueError naming the supported ones."""
    if lang not in SUPPORTED_LANGUAGES:
        supported = ", ".join(SUPPORTED_LANGUAGES)
        raise ValueError(f"unsupported language {lang!r} (supported: {supported})")
    return lang


@cache
def _read(relative_path: str) -> Table:
    with (DATA_DIR / relative_path).open("rb") as stream:
        data: Table = tomllib.load(stream)
    return data


def neutral(name: str) -> Table:
    """A language-neutral data file, e.g. `neutral("registry")`."""
    return _read(f"{name}.toml")


def language_file(lang: str, name: str) -> Table:
    """One language's data file, e.g. `language_file("it", "hints")`."""
    check_language(lang)
    if name not in LANGUAGE_FILES:
        raise ValueError(f"unknown knowledge file {name!r}")
    return _read(f"{lang}/{name}.toml")


def lookup(lang: str, name: str, *path: str) -> Any:
    """Value at `path` in `lang`'s file, falling back to English when missing there.

    Returns None when neither language has it. The fallback keeps a partial
    translation usable; the data tests make sure shipped languages have no gaps.
    """
    for candidate in (lang, DEFAULT_LANGUAGE):
        node: Any = language_file(candidate, name)
        for key in path:
            if not isinstance(node, dict) or key not in node:
                node = None
                break
            node = node[key]
        if node is not None:
            return node
    return None


def lookup_str(lang: str, name: str, *path: str) -> str | None:
    value = lookup(lang, name, *path)
    return value if isinstance(value, str) else None


def lookup_strs(lang: str, name: str, *path: str) -> tuple[str, ...]:
    value = lookup(lang, name, *path)
    if isinstance(value, list):
        return tuple(str(item) for item in value)
    return ()
