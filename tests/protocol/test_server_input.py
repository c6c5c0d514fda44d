"""The server role against hostile client input: syntax errors found by parsing, over-long
and oddly started lines, oversized BDAT chunks never buffered, replies that cannot be
made to carry an extra line."""

from __future__ import annotations

import pytest

from smtpcheck.protocol import NEED_DATA, LocalProtocolError, Reply, ReplyTo, ServerState
from smtpcheck.protocol.server import ServerConnection
from smtpcheck.protocol.server_events import (
    ChunkEnd,
    ClientCommand,
    LineTooLong,
    MessageData,
    MessageEnd,
)

from .wire import drain_server, greeted_server, one_command

OFFERED = frozenset({"PIPELINING", "8BITMIME", "CHUNKING", "SMTPUTF8"})


def greeted(max_message_size: int | None = None) -> ServerConnection:
    return greeted_server(OFFERED, max_message_size=max_message_size)


def in_transaction(max_message_size: int | None = None) -> ServerConnection:
    server = greeted(max_message_size)
    for line in (b"EHLO c\r\n", b"MAIL FROM:<a@x>\r\n", b"RCPT TO:<b@y>\r\n"):
        one_command(server, line)
        server.send(Reply.build(250, "ok"))
    return server


@pytest.mark.parametrize(
    ("line", "verb", "address", "syntax_error", "anomalies"),
    [
        # an argument the server echoes or stores: NUL or CR in it is a syntax error (501)
        (b"EHLO a\x00b\r\n", "EHLO", None, "NUL in the EHLO argument", []),
        (b"HELO a\x00\r\n", "HELO", None, "NUL in the HELO argument", []),
        (b"EHLO x\r250-FAKE\r\n", "EHLO", None, "CR in the EHLO argument", ["bare-cr"]),
        (b"LHLO x\rEVIL\r\n", "LHLO", None, "CR in the LHLO argument", ["bare-cr"]),
        (b"RCPT TO:<a\x00b@y>\r\n", "RCPT", None, "NUL in the RCPT argument", ["bad-argument"]),
        (
            b"RCPT TO:<a@y>\rX\r\n",
            "RCPT",
            None,
            "CR in the RCPT argument",
            ["bare-cr", "bad-argument"],
        ),
        (b"MAIL FROM:<\x00>\r\n", "MAIL", None, "NUL in the MAIL argument", ["bad-argument"]),
        (b"VRFY a\x00\r\n", "VRFY", None, "NUL in the VRFY argument", []),
        # a path that cannot be read is a syntax error too, with the usage to show
        (b"RCPT TO:\r\n", "RCPT", None, "RCPT TO:<address>", ["bad-argument"]),
        (b"MAIL <a@x>\r\n", "MAIL", None, "MAIL FROM:<address>", ["bad-argument"]),
        # what is not echoed keeps today's tolerance: anomalies only
        (b"NOOP a\rb\r\n", "NOOP", None, None, ["bare-cr"]),
        (b"EHLO client.example\r\n", "EHLO", None, None, []),
        (b"RCPT TO:<b@y>\r\n", "RCPT", "b@y", None, []),
        # a leading blank: the command is understood (as Postfix does) and noted
        (b" MAIL FROM:<a@x>\r\n", "MAIL", "a@x", None, ["leading-whitespace"]),
        (b"\t EHLO c\r\n", "EHLO", None, None, ["leading-whitespace"]),
        (b"  \r\n", "", None, None, ["leading-whitespace"]),
    ],
)
def test_command_syntax(
    line: bytes, verb: str, address: str | None, syntax_error: str | None, anomalies: list[str]
) -> None:
    event = one_command(greeted(), line)
    assert (event.verb, event.address, event.syntax_error) == (verb, address, syntax_error)
    assert [a.kind for a in event.anomalies] == anomalies
    assert event.raw == line


def test_a_leading_space_is_not_a_line_too_long() -> None:
    # the root cause of "500 line too long" for " MAIL FROM:...": the verb was the empty
    # word before the space, and an empty verb also meant "over-long line"
    server = greeted()
    event = one_command(server, b" NOOP\r\n")
    assert event.verb == "NOOP" and server.awaiting == (ReplyTo.NOOP,)
    server.receive_data(b"NOOP " + b"x" * 9000 + b"\r\n")
    assert isinstance(server.next_event(), LineTooLong)  # only a long line is one


def test_an_ehlo_name_cannot_add_a_reply_line() -> None:
    server = greeted()
    event = one_command(server, b"EHLO x\r250-FAKE\r\n")
    assert event.syntax_error is not None
    name = event.argument
    with pytest.raises(LocalProtocolError, match="CR, LF or NUL"):
        Reply.build(250, f"mx greets {name}", "PIPELINING")
    # a hand-made reply whose text carries a line break is refused as well
    forged = Reply(250, (f"mx greets {name}",), None, f"250 mx greets {name}\r\n".encode())
    with pytest.raises(LocalProtocolError, match="CR, LF or NUL"):
        server.send(forged)
    for bad in (b"250 a\n250 b\r\n", b"250 a\x00\r\n", b"250 a\r\n"[:-1]):
        with pytest.raises(LocalProtocolError):
            server.send(Reply(250, ("a",), None, bad))
    assert server.awaiting == (ReplyTo.EHLO,)  # nothing was sent: still to be answered
    assert server.send(Reply.build(501, "5.5.4 Syntax error")) == b"501 5.5.4 Syntax error\r\n"


def test_a_bdat_chunk_over_the_size_bound_is_never_buffered() -> None:
    server = in_transaction(max_message_size=1000)
    server.receive_data(b"BDAT 1000000 LAST\r\n")
    assert isinstance(server.next_event(), ClientCommand)
    for _ in range(1_000_000 // 50_000 - 1):
        server.receive_data(b"z" * 50_000)
        assert server.next_event() is NEED_DATA  # no MessageData: discarded as it came
        assert server.buffered_bytes == 0
    server.receive_data(b"z" * 50_000 + b"QUIT\r\n")
    end = server.next_event()
    assert isinstance(end, MessageEnd) and end.oversized
    assert server.awaiting == (ReplyTo.BDAT_LAST,)
    assert server.send(Reply.build(552, "5.3.4 too big")) == b"552 5.3.4 too big\r\n"
    # the chunk was consumed to its last octet: the reader is in step
    assert server.state is ServerState.COMMAND
    assert one_command(server, b"").verb == "QUIT"


def test_bdat_chunks_count_together_against_the_bound() -> None:
    server = in_transaction(max_message_size=1000)
    server.receive_data(b"BDAT 600\r\n" + b"a" * 600)
    first = drain_server(server)
    assert isinstance(first[-1], ChunkEnd) and not first[-1].oversized
    assert b"".join(e.data for e in first if isinstance(e, MessageData)) == b"a" * 600
    server.send(Reply.build(250, "2.0.0 600 octets"))
    server.receive_data(b"BDAT 600 LAST\r\n" + b"b" * 600 + b"QUIT\r\n")
    assert isinstance(server.next_event(), ClientCommand)
    end = server.next_event()  # straight to the end: the chunk was discarded
    assert isinstance(end, MessageEnd) and end.oversized
    server.send(Reply.build(552, "5.3.4 too big"))
    quit_ = one_command(server, b"")
    assert quit_.verb == "QUIT"


def test_data_over_the_size_bound_stops_at_the_bound() -> None:
    server = in_transaction(max_message_size=10)
    one_command(server, b"DATA\r\n")
    server.send(Reply.build(354, "go"))
    server.receive_data(b"0123456789abcdef\r\n" * 100 + b".\r\n")
    events = drain_server(server)
    content = b"".join(e.data for e in events if isinstance(e, MessageData))
    assert content == b"0123456789"
    end = events[-1]
    assert isinstance(end, MessageEnd) and end.oversized
    server.send(Reply.build(552, "5.3.4 too big"))
    # the next message on the connection starts from zero
    for line in (b"MAIL FROM:<a@x>\r\n", b"RCPT TO:<b@y>\r\n"):
        one_command(server, line)
        server.send(Reply.build(250, "ok"))
    one_command(server, b"DATA\r\n")
    server.send(Reply.build(354, "go"))
    server.receive_data(b"short\r\n.\r\n")
    events = drain_server(server)
    assert isinstance(events[-1], MessageEnd) and not events[-1].oversized


def test_without_a_size_bound_nothing_is_dropped() -> None:
    server = in_transaction()
    server.receive_data(b"BDAT 5000 LAST\r\n" + b"q" * 5000)
    events = drain_server(server)
    assert sum(len(e.data) for e in events if isinstance(e, MessageData)) == 5000
    assert isinstance(events[-1], MessageEnd) and not events[-1].oversized
