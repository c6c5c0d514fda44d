"""Peer text shown on a terminal: controls become visible escapes, the rest is kept."""

from __future__ import annotations

import pytest

from smtpcheck.report.visible import visible, visible_bytes


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("220 mx.example.test ESMTP", "220 mx.example.test ESMTP"),
        ("220 \x1b]0;pwned\x07 ready", "220 \\x1b]0;pwned\\x07 ready"),
        ("250 \x1b[2J\x1b[31mred", "250 \\x1b[2J\\x1b[31mred"),
        ("a\rb\nc\x00d", "a\\rb\\nc\\x00d"),
        ("tab\tkept", "tab\tkept"),
        ("del\x7f", "del\\x7f"),
        ("c1 \x9b31m", "c1 \\x9b31m"),
        ("abc\u202edcba", "abc\\u202edcba"),
        ("line\u2028sep", "line\\u2028sep"),
        ("jöran@example.test 日本", "jöran@example.test 日本"),
    ],
)
def test_controls_become_visible(raw: str, shown: str) -> None:
    assert visible(raw) == shown


def test_no_escape_character_survives_any_input() -> None:
    everything = "".join(chr(code) for code in range(0x300))
    shown = visible(everything)
    assert not any(ord(char) < 0x20 and char != "\t" for char in shown)
    assert not any(0x7F <= ord(char) < 0xA0 for char in shown)


def test_bytes_that_are_not_utf8_are_shown_as_hex() -> None:
    assert visible_bytes(b"250 ok\xff\x1b[0m") == "250 ok\\xff\\x1b[0m"
    assert visible_bytes("jöran".encode()) == "jöran"
