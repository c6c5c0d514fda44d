"""Property tests: the reply parser on arbitrary bytes, fed in arbitrary splits."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from smtpcheck.protocol import (
    CONNECTION_CLOSED,
    NEED_DATA,
    ClientConnection,
    ClientState,
    ProtocolError,
    RemoteProtocolError,
    Reply,
    ReplyReader,
)

# bytes that look like SMTP often enough to reach deep into the parser
_pieces = st.sampled_from(
    [b"250", b"-", b" ", b"\r\n", b"\n", b"\r", b"ok", b"5.1.1", b"\xff", b"\x00", b"2", b"9"]
)
wire_bytes = st.one_of(
    st.binary(max_size=400),
    st.lists(_pieces, max_size=80).map(b"".join),
)


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    pieces, start = [], 0
    for point in [*points, len(data)]:
        pieces.append(data[start:point])
        start = point
    return pieces


@settings(max_examples=400)
@given(data=wire_bytes, cuts=st.lists(st.integers(min_value=0), max_size=12))
def test_parser_raises_only_its_own_errors_and_stays_bounded(data: bytes, cuts: list[int]) -> None:
    reader = ReplyReader(max_line_length=32, max_reply_lines=4, max_reply_size=80)
    consumed = 0
    try:
        for piece in _split(data, cuts):
            reader.receive_data(piece)
            while (reply := reader.next_reply()) is not None:
                consumed += len(reply.raw)
                assert 0 <= reply.code <= 999
                assert 1 <= len(reply.lines) <= 4
            assert reader.buffered_bytes <= reader.max_buffered == 80
    except RemoteProtocolError as exc:
        assert "\n" not in str(exc)
        return
    # nothing lost: whatever was not returned as a reply is still held
    assert consumed + reader.buffered_bytes == len(data)


@settings(max_examples=200)
@given(data=wire_bytes, cuts=st.lists(st.integers(min_value=0), max_size=12))
def test_split_does_not_change_the_result(data: bytes, cuts: list[int]) -> None:
    def run(pieces: list[bytes]) -> list[tuple[int, tuple[str, ...], bytes]] | str:
        reader = ReplyReader(max_line_length=64, max_reply_lines=8)
        out = []
        try:
            for piece in pieces:
                reader.receive_data(piece)
                while (reply := reader.next_reply()) is not None:
                    out.append((reply.code, reply.lines, reply.raw))
        except RemoteProtocolError:
            return "error"
        return out

    whole = run([data])
    split = run(_split(data, cuts))
    if whole == "error":
        assert split == "error"
    else:
        assert split == whole


@settings(max_examples=200)
@given(data=wire_bytes)
def test_client_connection_raises_only_protocol_errors(data: bytes) -> None:
    conn = ClientConnection(max_line_length=64, max_reply_lines=8)
    conn.receive_data(data)
    conn.receive_data(b"")
    event: object = None
    try:
        for _ in range(200):
            event = conn.next_event()
            assert event is not NEED_DATA  # after EOF there is always an answer
            if event is CONNECTION_CLOSED:
                break
            assert isinstance(event, Reply)
    except ProtocolError:
        assert conn.state is ClientState.ERROR
    else:
        assert event is CONNECTION_CLOSED
        assert conn.state is ClientState.CLOSED
    assert conn.buffered_bytes <= 64 * 9
