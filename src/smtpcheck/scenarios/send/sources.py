"""Where the text of a message part comes from: as given, `@file`, or `-` (stdin).

`--data`, `--body` and each `--attach` take the same three forms; a file that cannot be
read is a `MessageSourceError` (a usage error, exit 1), not a traceback.
"""

from __future__ import annotations

import sys


class MessageSourceError(ValueError):
    """A `@file` could not be read."""


def read_source(value: str) -> bytes:
    """Text as given (with `\\n` escapes turned into newlines), `@file`, or `-` (stdin)."""
    if value == "-":
        return sys.stdin.buffer.read()
    if value.startswith("@"):
        try:
            with open(value[1:], "rb") as handle:
                return handle.read()
        except OSError as exc:
            raise MessageSourceError(f"cannot read {value[1:]}: {exc.strerror}") from None
    return value.replace("\\n", "\n").encode("utf-8")
