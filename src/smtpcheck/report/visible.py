"""Peer-supplied text made safe to show on a terminal: the one place that does it.

A banner, a reply, a header or an envelope address comes from a peer we do not trust.
Written raw to a terminal, an ESC or OSC sequence can retitle the window, clear the
screen or recolour what follows, and a bidi override can make text read differently
from what it is. Every renderer that shows peer bytes on a terminal passes them through
`visible()` (text) or `visible_bytes()` (raw bytes). JSON keeps the exact text; HTML
escapes it with the template engine.

What is replaced by a backslash escape: every C0 control but TAB (NUL, BEL, BS, ESC,
CR, LF, ...), DEL, the C1 controls U+0080-U+009F (U+009B is a one-byte CSI on some
terminals), the bidirectional embedding/override/isolate characters, and the line and
paragraph separators. Everything else, including non-ASCII letters, is kept.
"""

from __future__ import annotations

_NAMED = {"\r": "\\r", "\n": "\\n", "\x00": "\\x00"}
_BIDI_AND_SEPARATORS = (
    "\u200e\u200f"  # left-to-right / right-to-left marks
    "\u202a\u202b\u202c\u202d\u202e"  # embeddings and overrides
    "\u2066\u2067\u2068\u2069"  # isolates
    "\u2028\u2029"  # line / paragraph separators
)


def _escape(char: str) -> str:
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _build_table() -> dict[int, str]:
    table = {code: _escape(chr(code)) for code in range(0x20) if code != 0x09}
    table[0x7F] = _escape("\x7f")
    table.update({code: _escape(chr(code)) for code in range(0x80, 0xA0)})
    table.update({ord(char): _escape(char) for char in _BIDI_AND_SEPARATORS})
    return table


_TABLE = _build_table()


def visible(text: str) -> str:
    """`text` with every control and bidi character replaced by a visible escape."""
    if text.isprintable():  # the common case: nothing to replace (TAB is not printable)
        return text
    return text.translate(_TABLE)


def visible_bytes(data: bytes) -> str:
    """Raw peer bytes for a terminal: UTF-8 where valid, `\\xNN` for other bytes."""
    return visible(data.decode("utf-8", "backslashreplace"))
