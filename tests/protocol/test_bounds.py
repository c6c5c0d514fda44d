"""Bounds on what a server can make the client hold: a line, a whole reply, its lines.

Each hostile reply stops at a specific bound (`BoundExceeded.bound`), with the memory
held never above that bound, however the bytes are split.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smtpcheck.protocol import (
    NEED_DATA,
    Bound,
    BoundExceeded,
    ClientConnection,
    ClientState,
    RemoteProtocolError,
    Reply,
    ReplyReader,
    commands,
)

KIB = 1024


def greeted_client(**bounds: int) -> ClientConnection:
    conn = ClientConnection(lmtp=False, **bounds)
    conn.receive_data(b"220 mx ESMTP\r\n")
    assert isinstance(conn.next_event(), Reply)
    return conn


def awaiting(command: str, **bounds: int) -> ClientConnection:
    """A client that just sent `command` ("EHLO" or "NOOP") and waits for its reply."""
    conn = greeted_client(**bounds)
    conn.send(commands.ehlo("c") if command == "EHLO" else commands.noop())
    return conn


def lines(count: int, width: int, code: bytes = b"250") -> bytes:
    """`count` reply lines of `width` octets each (CRLF included), the last one final."""
    body = b"x" * (width - 6)
    return (code + b"-" + body + b"\r\n") * (count - 1) + code + b" " + body + b"\r\n"


def feed_in_pieces(conn: ClientConnection, data: bytes | Iterator[bytes], size: int) -> int:
    """Feed `data` `size` octets at a time until a reply or an error; the peak held."""
    chunks = data if not isinstance(data, bytes) else iter_pieces(data, size)
    peak = 0
    for piece in chunks:
        conn.receive_data(piece)
        event = conn.next_event()  # may raise
        peak = max(peak, conn.buffered_bytes)
        if event is not NEED_DATA:
            return peak
    return peak


def iter_pieces(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def endless(piece: bytes) -> Iterator[bytes]:
    while True:
        yield piece


@pytest.mark.parametrize(
    ("command", "wire", "bound", "limit"),
    [
        # an endless single line without CRLF: the line bound, whatever it answers
        ("NOOP", chain([b"250 "], endless(b"x" * 1000)), Bound.LINE, 8 * KIB),
        ("EHLO", chain([b"250-mx\r\n250-"], endless(b"x" * 1000)), Bound.LINE, 8 * KIB),
        # a reply with short lines, forever: the number of lines
        ("NOOP", endless(b"250-x\r\n" * 100), Bound.REPLY_LINES, 1000),
        # 100,000 lines of a finite reply: the same
        ("NOOP", iter([lines(100_000, 8)]), Bound.REPLY_LINES, 1000),
        # long lines, forever: the whole reply, 64 KiB (8 KiB lines would allow 8 MiB)
        ("NOOP", endless(lines(50, 8000)[: 8000 * 49]), Bound.REPLY_SIZE, 64 * KIB),
        # a 180 KiB reply: too long for NOOP, fine for EHLO (below)
        ("NOOP", iter([lines(900, 200)]), Bound.REPLY_SIZE, 64 * KIB),
        # EHLO may be longer, but not without end: 256 KiB
        ("EHLO", endless(lines(50, 8000)[: 8000 * 49]), Bound.REPLY_SIZE, 256 * KIB),
    ],
)
def test_each_hostile_reply_stops_at_its_bound(
    command: str, wire: Iterator[bytes], bound: Bound, limit: int
) -> None:
    conn = awaiting(command)
    with pytest.raises(BoundExceeded) as info:
        feed_in_pieces(conn, wire, 0)
    assert (info.value.bound, info.value.limit) == (bound, limit)
    assert str(limit) in str(info.value) and bound.value in str(info.value)
    assert conn.state is ClientState.ERROR and conn.buffered_bytes == 0
    with pytest.raises(BoundExceeded):  # it stays broken
        conn.next_event()


def test_the_error_names_what_the_reply_answers() -> None:
    conn = awaiting("EHLO")
    conn.receive_data(lines(700, 400))
    with pytest.raises(BoundExceeded, match=r"reply to EHLO .*bound on a whole reply to EHLO"):
        conn.next_event()


@pytest.mark.parametrize(
    ("command", "size", "accepted"),
    [
        ("NOOP", 64 * KIB, True),
        ("NOOP", 64 * KIB + 1, False),
        ("EHLO", 64 * KIB + 1, True),
        ("EHLO", 256 * KIB, True),
        ("EHLO", 256 * KIB + 1, False),
    ],
)
def test_a_reply_exactly_at_the_bound_is_accepted(command: str, size: int, accepted: bool) -> None:
    width = 1000
    count, rest = divmod(size, width)
    wire = lines(count, width)[: width * count - width]  # all but the last, continuing
    last = b"250 " + b"y" * (width + rest - 6) + b"\r\n"
    wire += last
    assert len(wire) == size
    conn = awaiting(command, max_reply_lines=10_000)
    conn.receive_data(wire)
    if accepted:
        reply = conn.next_event()
        assert isinstance(reply, Reply) and len(reply.raw) == size
    else:
        with pytest.raises(BoundExceeded, match="whole reply"):
            conn.next_event()


def test_memory_held_by_an_unfinished_reply_is_bounded() -> None:
    # 8 KiB lines x 1,000 lines used to be allowed (about 8 MiB for one reply)
    conn = awaiting("NOOP")
    peak = 0
    with pytest.raises(BoundExceeded):
        for piece in iter_pieces(lines(1000, 8000), 4096):
            conn.receive_data(piece)
            assert conn.next_event() is NEED_DATA
            peak = max(peak, conn.buffered_bytes)
    assert peak <= 64 * KIB


# ---- properties: whatever the split, the client never holds more than the bound --------

LINE, REPLY, EHLO_REPLY = 64, 512, 1024
_line = st.tuples(
    st.sampled_from([b"250", b"220", b"550", b"25"]),
    st.sampled_from([b"-", b"-", b"-", b" ", b""]),
    st.integers(min_value=0, max_value=90),
    st.sampled_from([b"\r\n", b"\n", b""]),
).map(lambda t: t[0] + t[1] + b"x" * t[2] + t[3])
hostile_stream = st.lists(_line, min_size=1, max_size=60).map(b"".join)


@settings(max_examples=300, deadline=None)
@given(
    data=hostile_stream,
    cuts=st.lists(st.integers(min_value=1, max_value=700), max_size=20),
    ehlo=st.booleans(),
)
def test_memory_stays_bounded_whatever_the_split(data: bytes, cuts: list[int], ehlo: bool) -> None:
    conn = awaiting(
        "EHLO" if ehlo else "NOOP",
        max_line_length=LINE,
        max_reply_lines=50,
        max_reply_size=REPLY,
        max_ehlo_reply_size=EHLO_REPLY,
    )
    start = 0
    try:
        for cut in [*cuts, len(data)]:
            piece = data[start : start + cut]
            start += cut
            if piece:  # b"" would mean the server closed
                conn.receive_data(piece)
            while (event := conn.next_event()) is not NEED_DATA:
                assert isinstance(event, Reply)
            # after the reply to EHLO, any reply is bounded by the default
            assert conn.buffered_bytes <= (EHLO_REPLY if ehlo else REPLY)
    except BoundExceeded as exc:
        assert exc.bound in (Bound.LINE, Bound.REPLY_SIZE, Bound.REPLY_LINES)
        assert conn.buffered_bytes == 0
    except RemoteProtocolError:
        assert conn.buffered_bytes == 0  # garbage instead of a code


@settings(max_examples=200, deadline=None)
@given(data=hostile_stream, cuts=st.lists(st.integers(min_value=1, max_value=200), max_size=20))
def test_reader_result_is_the_same_whatever_the_split(data: bytes, cuts: list[int]) -> None:
    def outcome(pieces: list[bytes]) -> tuple[list[bytes], str]:
        reader = ReplyReader(max_line_length=LINE, max_reply_lines=50, max_reply_size=REPLY)
        out: list[bytes] = []
        try:
            for piece in pieces:
                reader.receive_data(piece)
                while (reply := reader.next_reply()) is not None:
                    out.append(reply.raw)
        except BoundExceeded as exc:
            return out, exc.bound.name
        except RemoteProtocolError:
            return out, "garbage"
        return out, "ok"

    pieces, start = [], 0
    for cut in cuts:
        pieces.append(data[start : start + cut])
        start += cut
    pieces.append(data[start:])
    (whole, whole_end), (split, split_end) = outcome([data]), outcome(pieces)
    assert split == whole
    if {whole_end, split_end} != {"LINE", "REPLY_SIZE"}:
        # one over-long line may be caught by either bound, depending on what has arrived
        assert split_end == whole_end
