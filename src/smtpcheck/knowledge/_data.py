"""Loading of the knowledge data files (TOML shipped inside the package).

Everything is read once from the package folder and cached: the knowledge layer does
no other I/O. Language files live in `data/<lang>/`; language-neutral facts in
`data/registry.toml` and `data/rules.toml`.

Start-up matters (`send` annotates every reply, and should start as fast as swaks), so:
plain `os.path` rather than importlib.resources or pathlib, whose imports alone cost
more than answering; and each parsed file is kept as marshal data in the user's cache
folder, keyed by the TOML file's size and modification time (parsing TOML in pure Python
takes several times longer than loading marshal). A cache that cannot be read or
written is ignored: the TOML files stay the only source of truth.
"""

from __future__ import annotations

import marshal
import os
from functools import cache
from typing import Any

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
CACHE_VERSION = 1

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


def _cache_file(relative_path: str, stat: os.stat_result) -> str | None:
    if os.environ.get("SMTPCHECK_NO_DATA_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    key = f"{relative_path.replace('/', '_')}-{stat.st_size}-{stat.st_mtime_ns}-{CACHE_VERSION}"
    return os.path.join(base, "smtpcheck", "knowledge", key + ".marshal")


@cache
def _read(relative_path: str) -> Table:
    source = os.path.join(DATA_DIR, *relative_path.split("/"))
    stat = os.stat(source)
    cached = _cache_file(relative_path, stat)
    if cached is not None:
        try:
            with open(cached, "rb") as stream:
                loaded = marshal.load(stream)
            if isinstance(loaded, dict):
                return loaded
        except (OSError, EOFError, ValueError, TypeError):
            pass
    import tomllib  # only when the cache misses: the parser's import is not free

    with open(source, "rb") as stream:
        data: Table = tomllib.load(stream)
    if cached is not None:
        _write_cache(cached, data)
    return data


def _write_cache(path: str, data: Table) -> None:
    """Best effort: write atomically, give up quietly (read-only home, odd values)."""
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        temporary = f"{path}.{os.getpid()}.tmp"
        with open(temporary, "wb") as stream:
            marshal.dump(data, stream)
        os.replace(temporary, path)
    except (OSError, ValueError):
        pass


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
