"""Property tests for the server side: DATA reading and bounded command buffering."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from smtpcheck.protocol import (
    CONNECTION_CLOSED,
    NEED_DATA,
    DotReader,
    Reply,
    ServerState,
    dot_stuff,
    normalize_line_endings,
)
from smtpcheck.protocol.server import ServerConnection
from smtpcheck.protocol.server_events import ChunkEnd, ClientCommand, MessageData, MessageEnd

_pieces = st.sampled_from([b"\r\n", b"\n", b"\r", b".", b"..", b"a", b"\xc3\xa9", b"\r\n.\r\n"])
content_bytes = st.one_of(st.binary(max_size=200), st.lists(_pieces, max_size=60).map(b"".join))
cuts_strategy = st.lists(st.integers(min_value=0, max_value=400), max_size=10)


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    pieces, start = [], 0
    for point in [*points, len(data)]:
        pieces.append(data[start:point])
        start = point
    return pieces


def read_all(pieces: list[bytes]) -> tuple[bytes, bool, int, list[str]]:
    """(content, ended, bytes after the end, anomaly kinds) reading `pieces` in order."""
    reader = DotReader()
    buffer = bytearray()
    out = []
    ended = False
    for piece in pieces:
        buffer += piece
        if ended:
            continue
        data, consumed, ended = reader.process(buffer)
        out.append(data)
        del buffer[:consumed]
        assert ended or len(buffer) <= 4  # never more than a possible end marker held
    kinds = sorted(a.kind for a in reader.finish()) if ended else []
    return b"".join(out), ended, len(buffer), kinds


@settings(max_examples=300)
@given(data=content_bytes, cuts=cuts_strategy)
def test_dot_reader_result_does_not_depend_on_the_split(data: bytes, cuts: list[int]) -> None:
    wire = data + b"\r\n.\r\n"
    assert read_all([wire]) == read_all(split(wire, cuts))
    _, ended, _, _ = read_all([wire])
    assert ended


@settings(max_examples=300)
@given(data=content_bytes, cuts=cuts_strategy)
def test_stuffed_content_round_trips(data: bytes, cuts: list[int]) -> None:
    body = normalize_line_endings(data)
    if body and not body.endswith(b"\r\n"):
        body += b"\r\n"
    wire = dot_stuff(body) + b".\r\nNEXT"
    content, ended, left, kinds = read_all(split(wire, cuts))
    assert ended and content == body and left == 4
    assert "bare-lf-in-data" not in kinds and "bare-cr-in-data" not in kinds


@settings(max_examples=300)
@given(data=st.binary(max_size=2000), cuts=cuts_strategy)
def test_server_never_buffers_beyond_its_line_bound(data: bytes, cuts: list[int]) -> None:
    server = ServerConnection(advertised={"PIPELINING", "CHUNKING"}, max_line_length=64)
    server.send(Reply.build(220, "mx"))
    for piece in split(data, cuts):
        if piece:
            server.receive_data(piece)
        while True:
            event = server.next_event()
            if event is NEED_DATA or event is CONNECTION_CLOSED:
                break
            assert isinstance(event, ClientCommand | MessageData | ChunkEnd | MessageEnd)
            if isinstance(event, ClientCommand):
                assert len(event.raw) <= 64
            # refuse everything (so DATA/AUTH/STARTTLS never switch modes); a BDAT chunk
            # is read by its size whatever the reply
            while server.awaiting and server.state is not ServerState.CLOSED:
                server.send(Reply.build(502, "5.5.1 no"))
        assert server.buffered_bytes < 64
