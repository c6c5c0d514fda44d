"""Message encoding for DATA and BDAT (the sending side)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smtpcheck.protocol import (
    DotReader,
    bdat_frame,
    dot_stuff,
    dot_unstuff,
    encode_message,
    normalize_line_endings,
)


@pytest.mark.parametrize(
    ("body", "wire"),
    [
        (b"Hello\r\n", b"Hello\r\n.\r\n"),
        (b"no final newline", b"no final newline\r\n.\r\n"),
        (b"", b".\r\n"),
        (b".starts with a dot\r\n", b"..starts with a dot\r\n.\r\n"),
        (b".", b"..\r\n.\r\n"),
        (b"a\r\n.\r\nb\r\n", b"a\r\n..\r\nb\r\n.\r\n"),
        (b"a\n.\nb", b"a\r\n..\r\nb\r\n.\r\n"),
        (b"bare\nlf\n", b"bare\r\nlf\r\n.\r\n"),
        (b"bare\rcr\r", b"bare\r\ncr\r\n.\r\n"),
        (b"mixed\r\r\n", b"mixed\r\n\r\n.\r\n"),
        (b"..two dots\r\n", b"...two dots\r\n.\r\n"),
        (b"a\r\n..\r\n", b"a\r\n...\r\n.\r\n"),
        (b"\r\n", b"\r\n.\r\n"),
    ],
)
def test_encode_message(body: bytes, wire: bytes) -> None:
    assert encode_message(body) == wire


def test_normalize_and_stuff_helpers() -> None:
    assert normalize_line_endings(b"a\nb\rc\r\nd") == b"a\r\nb\r\nc\r\nd"
    assert normalize_line_endings(b"plain") == b"plain"
    assert dot_stuff(b".a\r\n.b\r\nc.\r\n") == b"..a\r\n..b\r\nc.\r\n"
    assert dot_unstuff(b"..a\r\n..b\r\nc.\r\n") == b".a\r\n.b\r\nc.\r\n"


def test_bdat_frame_sends_bytes_unchanged() -> None:
    assert bdat_frame(b".\n.\r\n") == b"BDAT 5\r\n.\n.\r\n"
    assert bdat_frame(b"", last=True) == b"BDAT 0 LAST\r\n"


@given(body=st.binary(max_size=300))
def test_encoded_message_decodes_to_the_normalised_body(body: bytes) -> None:
    wire = encode_message(body)
    assert wire.endswith(b"\r\n.\r\n") or wire == b".\r\n"
    # the only CRLF.CRLF is the end: nothing in the body can end the message early
    reader = DotReader()
    content, consumed, ended = reader.process(wire)
    assert ended and consumed == len(wire)
    expected = normalize_line_endings(body)
    if expected and not expected.endswith(b"\r\n"):
        expected += b"\r\n"
    assert content == expected
    assert all(a.kind != "smuggling-eod" for a in reader.finish())
