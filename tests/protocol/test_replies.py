"""The reply parser: shapes of replies, anomalies, bounds and garbage."""

from __future__ import annotations

import pytest

from smtpcheck.protocol import EnhancedStatus, RemoteProtocolError, Reply, ReplyReader


def parse_all(data: bytes, **bounds: int) -> list[Reply]:
    reader = ReplyReader(**bounds)
    reader.receive_data(data)
    replies = []
    while (reply := reader.next_reply()) is not None:
        replies.append(reply)
    return replies


def parse_one(data: bytes) -> Reply:
    replies = parse_all(data)
    assert len(replies) == 1
    return replies[0]


def kinds(reply: Reply) -> set[str]:
    return {anomaly.kind for anomaly in reply.anomalies}


@pytest.mark.parametrize(
    ("wire", "code", "lines", "enhanced", "anomalies"),
    [
        (b"220 mx.example.com ESMTP\r\n", 220, ("mx.example.com ESMTP",), None, set()),
        (b"250\r\n", 250, ("",), None, set()),
        (b"250 \r\n", 250, ("",), None, set()),
        (b"250-a\r\n250-b\r\n250 c\r\n", 250, ("a", "b", "c"), None, set()),
        (b"550 5.1.1 No such user\r\n", 550, ("5.1.1 No such user",), "5.1.1", set()),
        (b"451 4.7.1 Try later\r\n", 451, ("4.7.1 Try later",), "4.7.1", set()),
        (b"250 2.0.0\r\n", 250, ("2.0.0",), "2.0.0", set()),
        (b"250 ok\n", 250, ("ok",), None, {"bare-lf"}),
        (b"250-a\r\n251 b\r\n", 251, ("a", "b"), None, {"mixed-codes"}),
        (b"250-a\r\n250 \r\n", 250, ("a", ""), None, {"empty-last-line"}),
        (b"250x\r\n", 250, ("x",), None, {"no-separator"}),
        (b"250 caf\xc3\xa9\r\n", 250, ("café",), None, {"eight-bit"}),
        (b"250 a\rb\r\n", 250, ("a\rb",), None, {"bare-cr"}),
        (b"250 a\x00b\r\n", 250, ("a\x00b",), None, {"nul"}),
        (b"699 odd\r\n", 699, ("odd",), None, {"unknown-code"}),
        (b"250 5.1.1 odd\r\n", 250, ("5.1.1 odd",), "5.1.1", {"enhanced-status-mismatch"}),
        (b"250 " + b"x" * 600 + b"\r\n", 250, ("x" * 600,), None, {"long-line"}),
    ],
)
def test_reply_shapes(
    wire: bytes, code: int, lines: tuple[str, ...], enhanced: str | None, anomalies: set[str]
) -> None:
    reply = parse_one(wire)
    assert reply.code == code
    assert reply.lines == lines
    assert (str(reply.enhanced_status) if reply.enhanced_status else None) == enhanced
    assert reply.raw == wire
    assert kinds(reply) == anomalies


def test_reply_properties() -> None:
    reply = parse_one(b"250-first\r\n250 second\r\n")
    assert reply.text == "first\nsecond"
    assert reply.klass == 2
    assert reply.is_success and not reply.is_intermediate
    assert parse_one(b"354 go\r\n").is_intermediate
    assert parse_one(b"421 bye\r\n").is_transient
    assert parse_one(b"554 no\r\n").is_permanent
    assert reply.command is None


def test_invalid_utf8_is_replaced_not_fatal() -> None:
    reply = parse_one(b"250 \xff\xfe\r\n")
    assert reply.lines == ("\ufffd\ufffd",)
    assert "eight-bit" in kinds(reply)


def test_several_replies_in_one_read_and_split_reads() -> None:
    wire = b"250 one\r\n250-two\r\n250 three\r\n"
    assert [r.lines for r in parse_all(wire)] == [("one",), ("two", "three")]
    reader = ReplyReader()
    seen = []
    for byte in wire:
        reader.receive_data(bytes([byte]))
        if (reply := reader.next_reply()) is not None:
            seen.append(reply.raw)
    assert seen == [b"250 one\r\n", b"250-two\r\n250 three\r\n"]


@pytest.mark.parametrize(
    "garbage",
    [b"hello\r\n", b"\r\n", b"25\r\n", b"2x0 ok\r\n", b"<html>\n", b"\x16\x03\x01\x02\x00\n"],
)
def test_garbage_instead_of_code(garbage: bytes) -> None:
    with pytest.raises(RemoteProtocolError) as info:
        parse_all(garbage)
    message = str(info.value)
    assert "3-digit reply code" in message
    assert "\n" not in message and repr(garbage[:10])[2:-1] in message


def test_garbage_message_is_truncated() -> None:
    with pytest.raises(RemoteProtocolError) as info:
        parse_all(b"x" * 500 + b"\n")
    assert len(str(info.value)) < 200
    assert "501 bytes" in str(info.value)


def test_reader_stays_broken_after_an_error() -> None:
    reader = ReplyReader()
    reader.receive_data(b"nope\r\n")
    with pytest.raises(RemoteProtocolError):
        reader.next_reply()
    reader.receive_data(b"250 ok\r\n")
    with pytest.raises(RemoteProtocolError):
        reader.next_reply()


def test_line_over_the_bound_fails_before_its_end_arrives() -> None:
    reader = ReplyReader(max_line_length=64)
    reader.receive_data(b"250 " + b"a" * 40)
    assert reader.next_reply() is None
    reader.receive_data(b"a" * 40)  # still no LF, now over the bound
    with pytest.raises(RemoteProtocolError, match="longer than 64"):
        reader.next_reply()
    assert reader.buffered_bytes == 0


def test_line_exactly_at_the_bound_is_accepted() -> None:
    line = b"250 " + b"a" * 58 + b"\r\n"
    assert len(line) == 64
    assert parse_all(line, max_line_length=64)[0].code == 250
    with pytest.raises(RemoteProtocolError):
        parse_all(b"250 " + b"a" * 59 + b"\r\n", max_line_length=64)


def test_too_many_lines() -> None:
    wire = b"250-x\r\n" * 5 + b"250 end\r\n"
    assert len(parse_all(wire, max_reply_lines=6)[0].lines) == 6
    with pytest.raises(RemoteProtocolError, match="more than 5 lines"):
        parse_all(wire, max_reply_lines=5)


def test_take_buffered_returns_partial_and_unparsed_bytes() -> None:
    reader = ReplyReader()
    reader.receive_data(b"220 go ahead\r\n250-injected\r\n250 ")
    assert reader.next_reply() is not None
    assert reader.next_reply() is None
    assert reader.in_reply
    assert reader.take_buffered() == b"250-injected\r\n250 "
    assert not reader.in_reply and reader.buffered_bytes == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5.1.1 User unknown", EnhancedStatus(5, 1, 1)),
        ("2.0.0", EnhancedStatus(2, 0, 0)),
        ("4.7.123 greylisted", EnhancedStatus(4, 7, 123)),
        ("3.1.1 not a class", None),
        ("5.1 short", None),
        ("5.1.1.1 too long", None),
        ("5.1.1x glued", None),
        ("User unknown", None),
    ],
)
def test_enhanced_status_parse(text: str, expected: EnhancedStatus | None) -> None:
    assert EnhancedStatus.parse(text) == expected


def test_reply_build_round_trips_through_the_parser() -> None:
    built = Reply.build(250, "mx.example.com", "PIPELINING", "SIZE 1000")
    assert built.raw == b"250-mx.example.com\r\n250-PIPELINING\r\n250 SIZE 1000\r\n"
    parsed = parse_one(built.raw)
    assert (parsed.code, parsed.lines) == (250, built.lines)
    assert Reply.build(221).raw == b"221\r\n"
    assert Reply.build(550, "5.1.1 nope").enhanced_status == EnhancedStatus(5, 1, 1)
