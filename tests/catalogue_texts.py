"""The texts of the knowledge catalogues, walked once for the tests that read them all
(hints naming commands, the Italian register, plural forms)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from smtpcheck.knowledge import _data
from smtpcheck.knowledge.i18n import is_plural_entry

Path = tuple[str, ...]


def texts(node: Any, path: Path = ()) -> Iterator[tuple[Path, str]]:
    """(key path, text) of every string under `node`: list items share their key's path,
    and the forms of a plural entry share the entry's path."""
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, list):
        for item in node:
            yield from texts(item, path)
    elif isinstance(node, dict):
        for key, child in node.items():
            yield from texts(child, path if is_plural_entry(node) else (*path, key))


def language_texts(lang: str) -> Iterator[tuple[str, Path, str]]:
    """(file name, key path, text) of every text of one language."""
    for name in _data.LANGUAGE_FILES:
        for path, text in texts(_data.language_file(lang, name)):
            yield name, path, text
