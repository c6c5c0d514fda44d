"""Loading of the knowledge data files (TOML shipped inside the package).

Everything is read once from the package folder and kept in memory: reading its own
data files is the only I/O of the knowledge layer. Language files live in
`data/<lang>/`; language-neutral facts in `data/registry.toml` and `data/rules.toml`.

Parsing TOML in pure Python takes several times longer than loading a ready table, and
`send` annotates every reply: a program may hand this module a `TableCache` (the CLI
does, see `smtpcheck.cli.data_cache`) that keeps parsed tables between runs. Without
one (a library user, the tests) every table comes from its TOML file. Plain `os.path`
rather than importlib.resources or pathlib, whose imports alone cost more than
answering.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any, Protocol

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")

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
    "posture",
    "receive",
    "tls_quality",
    "smuggling",
    "web",
)

Table = dict[str, Any]


def check_language(lang: str) -> str:
    """Return `lang` if shipped, else raise ValueError naming the supported ones."""
    if lang not in SUPPORTED_LANGUAGES:
        supported = ", ".join(SUPPORTED_LANGUAGES)
        raise ValueError(f"unsupported language {lang!r} (supported: {supported})")
    return lang


class TableCache(Protocol):
    """Keeps parsed data files between runs; `source` is the TOML file's stat, so a
    changed file is never answered from an old table."""

    def load(self, relative_path: str, source: os.stat_result) -> Table | None: ...

    def store(self, relative_path: str, source: os.stat_result, table: Table) -> None: ...


_table_cache: TableCache | None = None


def use_table_cache(table_cache: TableCache | None) -> None:
    """Keep parsed tables in `table_cache` from now on (None: parse every file)."""
    global _table_cache
    _table_cache = table_cache
    _read.cache_clear()


@cache
def _read(relative_path: str) -> Table:
    source = os.path.join(DATA_DIR, *relative_path.split("/"))
    table_cache = _table_cache
    if table_cache is None:
        return _parse(source)
    stat = os.stat(source)
    table = table_cache.load(relative_path, stat)
    if table is None:
        table = _parse(source)
        table_cache.store(relative_path, stat, table)
    return table


def _parse(source: str) -> Table:
    import tomllib  # only when no cached table: the parser's import is not free

    with open(source, "rb") as stream:
        return tomllib.load(stream)


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
