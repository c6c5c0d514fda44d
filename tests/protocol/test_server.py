"""The server role alone: scripted client bytes in, events and anomalies out."""

from __future__ import annotations

import pytest

from smtpcheck.protocol import (
    CONNECTION_CLOSED,
    NEED_DATA,
    LocalProtocolError,
    Reply,
    ReplyTo,
    ServerState,
)
from smtpcheck.protocol.server import ServerConnection, ServerEvent
from smtpcheck.protocol.server_events import (
    AuthResponse,
    ChunkEnd,
    ClientCommand,
    LineTooLong,
    MessageData,
    MessageEnd,
)

from .wire import drain_server, greeted_server, one_command

OFFERED = frozenset({"PIPELINING", "8BITMIME", "SMTPUTF8", "CHUNKING", "DSN", "SIZE"})


def kinds(event: object) -> list[str]:
    anomalies = getattr(event, "anomalies", ())
    return [a.kind for a in anomalies]


def greeted(advertised: frozenset[str] = OFFERED, lmtp: bool = False) -> ServerConnection:
    return greeted_server(advertised, lmtp)


def in_data(body_param: str | None = None, lmtp: bool = False) -> ServerConnection:
    server = greeted(lmtp=lmtp)
    for line, code in (
        (b"EHLO c\r\n", 250),
        (b"MAIL FROM:<a@x>" + (b" BODY=" + body_param.encode() if body_param else b""), 250),
        (b"RCPT TO:<b@y>\r\n", 250),
        (b"DATA\r\n", 354),
    ):
        one_command(server, line if line.endswith(b"\n") else line + b"\r\n")
        server.send(Reply.build(code, "ok"))
    assert server.state is ServerState.DATA
    return server


def message(server: ServerConnection, data: bytes, split: int = 0) -> tuple[bytes, MessageEnd]:
    events: list[ServerEvent] = []
    pieces = [data[i : i + split] for i in range(0, len(data), split)] if split else [data]
    events.extend(drain_server(server))  # what was already buffered
    for piece in pieces:
        if piece:  # b"" would mean EOF
            server.receive_data(piece)
            events.extend(drain_server(server))
    assert isinstance(events[-1], MessageEnd), events
    body = b"".join(e.data for e in events if isinstance(e, MessageData))
    return body, events[-1]


@pytest.mark.parametrize(
    ("line", "verb", "address", "params", "anomalies"),
    [
        (b"mail from:<a@x>\r\n", "MAIL", "a@x", {}, []),
        (b"MAIL FROM:<>\r\n", "MAIL", "", {}, []),
        (
            b"MAIL FROM:<a@x> SIZE=10 body=8bitmime SMTPUTF8\r\n",
            "MAIL",
            "a@x",
            {"SIZE": "10", "BODY": "8bitmime", "SMTPUTF8": None},
            [],
        ),
        (b"MAIL FROM: <a@x>\r\n", "MAIL", "a@x", {}, ["space-after-colon"]),
        (b"MAIL FROM:a@x\r\n", "MAIL", "a@x", {}, ["no-angle-brackets"]),
        (b"MAIL TO:<a@x>\r\n", "MAIL", None, {}, ["bad-argument"]),
        (
            b"RCPT TO:<b@y> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;b@y\r\n",
            "RCPT",
            "b@y",
            {"NOTIFY": "SUCCESS,DELAY", "ORCPT": "rfc822;b@y"},
            [],
        ),
        (b"rcpt to:<b@y>\n", "RCPT", "b@y", {}, ["bare-lf"]),
        (b"RCPT TO:<b@y> AUTH=<>\r\n", "RCPT", "b@y", {"AUTH": "<>"}, ["unadvertised-extension"]),
        (b"NOOP\r\n", "NOOP", None, {}, []),
        (b"STARTTLS\r\n", "STARTTLS", None, {}, ["unadvertised-extension"]),
        (b"VRFY \xc3\xbc@x\r\n", "VRFY", None, {}, []),
        (b"HELO caf\xc3\xa9\r\n", "HELO", None, {}, ["eight-bit"]),
        (b"NOOP a\rb\r\n", "NOOP", None, {}, ["bare-cr"]),
        (b"NOOP " + b"x" * 600 + b"\r\n", "NOOP", None, {}, ["long-line"]),
        (b"AUTH PLAIN " + b"x" * 600 + b"\r\n", "AUTH", None, {}, ["unadvertised-extension"]),
    ],
)
def test_command_parsing(
    line: bytes, verb: str, address: str | None, params: dict[str, str | None], anomalies: list[str]
) -> None:
    command = one_command(greeted(), line)
    assert command.verb == verb
    assert command.address == address
    assert command.params == params
    assert kinds(command) == anomalies
    assert command.raw == line


def test_command_before_greeting() -> None:
    server = ServerConnection(advertised=OFFERED)
    command = one_command(server, b"EHLO early\r\n")
    assert kinds(command) == ["command-before-greeting"]
    assert server.awaiting == (ReplyTo.GREETING, ReplyTo.EHLO)
    assert server.send(Reply.build(220, "mx")) == b"220 mx\r\n"
    assert server.send(Reply.build(250, "mx", "PIPELINING")) == b"250-mx\r\n250 PIPELINING\r\n"
    assert server.helo_name == "early"


def test_data_buffered_when_the_greeting_is_sent_is_early_talking() -> None:
    server = ServerConnection(advertised=OFFERED)
    server.receive_data(b"EHLO early\r\n")  # arrived during a greeting pause
    server.send(Reply.build(220, "mx"))
    command = server.next_event()
    assert kinds(command) == ["command-before-greeting"]


def test_unadvertised_pipelining() -> None:
    server = greeted(advertised=frozenset({"8BITMIME"}))
    one_command(server, b"EHLO c\r\n")
    server.send(Reply.build(250, "mx"))
    server.receive_data(b"MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\n")
    mail = server.next_event()
    assert kinds(mail) == []
    server.send(Reply.build(250, "ok"))
    rcpt = server.next_event()
    assert kinds(rcpt) == ["unadvertised-pipelining"]


def test_pipelining_read_ahead_is_detected_too() -> None:
    server = greeted(advertised=frozenset())
    server.receive_data(b"NOOP\r\nRSET\r\n")
    first, second = server.next_event(), server.next_event()
    assert kinds(first) == [] and kinds(second) == ["unadvertised-pipelining"]


def test_improper_pipelining_after_a_group_ending_command() -> None:
    server = greeted()
    server.receive_data(b"EHLO c\r\nMAIL FROM:<a@x>\r\n")
    server.next_event()
    server.send(Reply.build(250, "mx"))
    mail = server.next_event()
    assert kinds(mail) == ["improper-pipelining"]


def test_allowed_pipelining_is_not_an_anomaly() -> None:
    server = greeted()
    one_command(server, b"EHLO c\r\n")
    server.send(Reply.build(250, "mx"))
    server.receive_data(b"MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n")
    for code in (250, 250, 354):
        event = server.next_event()
        assert isinstance(event, ClientCommand) and kinds(event) == []
        server.send(Reply.build(code, "ok"))
    assert server.state is ServerState.DATA


def test_content_before_354_is_not_read_as_commands() -> None:
    server = greeted()
    one_command(server, b"EHLO c\r\n")
    server.send(Reply.build(250, "mx"))
    server.receive_data(b"DATA\r\nQUIT\r\n.\r\n")
    assert isinstance(server.next_event(), ClientCommand)
    assert server.next_event() is NEED_DATA  # waits for our reply to DATA
    server.send(Reply.build(354, "go"))
    body, end = message(server, b"")
    assert body == b"QUIT\r\n"
    assert kinds(end) == ["improper-pipelining"]


def test_data_rejected_stays_in_command_mode() -> None:
    server = greeted()
    one_command(server, b"DATA\r\n")
    server.send(Reply.build(503, "5.5.1 need RCPT"))
    assert server.state is ServerState.COMMAND
    assert one_command(server, b"QUIT\r\n").verb == "QUIT"


@pytest.mark.parametrize(
    ("wire", "body"),
    [
        (b"hello\r\n.\r\n", b"hello\r\n"),
        (b".\r\n", b""),
        (b"..leading\r\n.\r\n", b".leading\r\n"),
        (b"a\r\n..\r\n...\r\n.\r\n", b"a\r\n.\r\n..\r\n"),
        (b"\r\n.\r\n", b"\r\n"),
    ],
)
def test_dot_unstuffing(wire: bytes, body: bytes) -> None:
    for split in (0, 1, 2, 3):
        got, end = message(in_data(), wire, split)
        assert got == body
        assert kinds(end) == []


@pytest.mark.parametrize(
    "lookalike",
    [b"\n.\n", b"\r.\r", b"\n.\r\n", b"\r\n.\n", b"\r.\r\n", b"\r\n.\r", b"\n.\r"],
)
def test_smuggling_endings_do_not_end_the_message(lookalike: bytes) -> None:
    wire = b"a" + lookalike + b"MAIL FROM:<smuggled@x>\r\n.\r\n"
    for split in (0, 1):
        server = in_data()
        body, end = message(server, wire, split)
        # the look-alike stays content; a line starting with a dot after CRLF is unstuffed
        sent = b"a" + lookalike + b"MAIL FROM:<smuggled@x>\r\n"
        assert body == sent.replace(b"\r\n.", b"\r\n")
        assert "smuggling-eod" in kinds(end)
        assert server.state is ServerState.COMMAND


def test_smuggling_lookalike_on_the_first_line() -> None:
    body, end = message(in_data(), b".\nrest\r\n.\r\n")
    assert body == b"\nrest\r\n"
    assert "smuggling-eod" in kinds(end) and "bare-lf-in-data" in kinds(end)


def test_bare_line_endings_in_data() -> None:
    for split in (0, 1):
        body, end = message(in_data(), b"a\nb\rc\r\n.\r\n", split)
        assert body == b"a\nb\rc\r\n"
        details = {a.kind: a.detail for a in end.anomalies}
        assert details["bare-lf-in-data"].startswith("1 bare LF")
        assert details["bare-cr-in-data"].startswith("1 bare CR")


def test_crlf_split_across_reads_is_not_bare() -> None:
    server = in_data()
    body, end = message(server, b"line one\r\nline two\r\n.\r\n", 1)
    assert body == b"line one\r\nline two\r\n" and kinds(end) == []


@pytest.mark.parametrize(
    ("param", "expected"),
    [(None, ["eight-bit-without-8bitmime"]), ("8BITMIME", []), ("BINARYMIME", [])],
)
def test_eight_bit_data(param: str | None, expected: list[str]) -> None:
    _, end = message(in_data(param), b"caf\xc3\xa9\r\n.\r\n")
    assert kinds(end) == expected


def test_long_line_in_data() -> None:
    _, end = message(in_data(), b"x" * 1200 + b"\r\nshort\r\n.\r\n", 7)
    assert kinds(end) == ["long-line-in-data"]
    assert "1202 octets" in end.anomalies[0].detail


def test_long_line_in_the_middle_of_one_read() -> None:
    wire = b"short\r\n" + b"y" * 1500 + b"\r\n" + b"z" * 900 + b"\r\nend\r\n.\r\n"
    _, end = message(in_data(), wire)
    assert [a.detail for a in end.anomalies] == ["a line of 1502 octets (RFC 5321 limit: 1000)"]


def test_over_long_command_line_is_answerable_and_never_buffered() -> None:
    server = ServerConnection(advertised=OFFERED, max_line_length=100)
    server.send(Reply.build(220, "mx"))
    server.receive_data(b"NOOP " + b"x" * 150)
    event = server.next_event()
    assert isinstance(event, LineTooLong) and event.start == b"NOOP " + b"x" * 59
    assert kinds(event) == ["long-line"]
    assert server.buffered_bytes == 0 and server.awaiting == (ReplyTo.LINE_TOO_LONG,)
    assert server.send(Reply.build(500, "5.5.6 Line too long")) == b"500 5.5.6 Line too long\r\n"
    for _ in range(10):  # the rest of the line is thrown away as it arrives
        server.receive_data(b"y" * 1000)
        assert server.next_event() is NEED_DATA
        assert server.buffered_bytes == 0
    server.receive_data(b"yyy\r\nQUIT\r\n")
    quit_ = server.next_event()
    assert isinstance(quit_, ClientCommand) and quit_.verb == "QUIT" and kinds(quit_) == []


def bdat_server() -> ServerConnection:
    server = greeted()
    for line in (b"EHLO c\r\n", b"MAIL FROM:<a@x>\r\n", b"RCPT TO:<b@y>\r\n"):
        one_command(server, line)
        server.send(Reply.build(250, "ok"))
    return server


def test_bdat_one_byte_at_a_time() -> None:
    server = bdat_server()
    wire = b"BDAT 5\r\n.\r\nab" + b"BDAT 3 LAST\r\nxyz"
    events: list[ServerEvent] = []
    for byte in wire:
        server.receive_data(bytes([byte]))
        while (event := server.next_event()) is not NEED_DATA:
            events.append(event)
            if isinstance(event, ChunkEnd | MessageEnd):
                server.send(Reply.build(250, "ok"))
    data = b"".join(e.data for e in events if isinstance(e, MessageData))
    assert data == b".\r\nabxyz"  # no unstuffing, no end-of-data detection in BDAT
    assert [type(e).__name__ for e in events if not isinstance(e, MessageData)] == [
        "ClientCommand",
        "ChunkEnd",
        "ClientCommand",
        "MessageEnd",
    ]
    assert server.awaiting == () and server.state is ServerState.COMMAND


def test_bdat_zero_last_and_bad_size() -> None:
    server = bdat_server()
    events = drain_server_after(server, b"BDAT 0 LAST\r\n")
    assert isinstance(events[-1], MessageEnd)
    assert server.awaiting == (ReplyTo.BDAT_LAST,)
    server.send(Reply.build(250, "ok"))
    bad = one_command(server, b"BDAT many\r\n")
    assert kinds(bad) == ["bad-argument"] and server.state is ServerState.COMMAND


def drain_server_after(server: ServerConnection, data: bytes) -> list[ServerEvent]:
    server.receive_data(data)
    return drain_server(server)


def test_lmtp_server_expects_one_reply_per_recipient() -> None:
    server = greeted(lmtp=True)
    for line, code in (
        (b"LHLO c\r\n", 250),
        (b"MAIL FROM:<a@x>\r\n", 250),
        (b"RCPT TO:<one@y>\r\n", 250),
        (b"RCPT TO:<two@y>\r\n", 550),
        (b"RCPT TO:<three@y>\r\n", 250),
        (b"DATA\r\n", 354),
    ):
        one_command(server, line)
        server.send(Reply.build(code, "r"))
    message(server, b"hi\r\n.\r\n")
    assert server.awaiting == (ReplyTo.END_OF_DATA, ReplyTo.END_OF_DATA)
    server.send(Reply.build(250, "one"))
    server.send(Reply.build(250, "three"))
    with pytest.raises(LocalProtocolError, match="no command is waiting"):
        server.send(Reply.build(250, "extra"))


def test_auth_continuation_lines() -> None:
    server = greeted(advertised=frozenset({"AUTH"}))
    one_command(server, b"AUTH LOGIN\r\n")
    server.send(Reply.build(334, "VXNlcm5hbWU6"))
    server.receive_data(b"dXNlcg==\r\n")
    response = server.next_event()
    assert isinstance(response, AuthResponse) and response.text == "dXNlcg=="
    server.send(Reply.build(535, "5.7.8 no"))
    assert server.state is ServerState.COMMAND and not server.authenticated


def test_reply_rules() -> None:
    server = ServerConnection()
    with pytest.raises(LocalProtocolError):
        Reply.build(99, "bad code")
    with pytest.raises(LocalProtocolError):
        Reply.build(250, "line\r\ninjected")
    with pytest.raises(LocalProtocolError, match="CR, LF or NUL"):
        server.send(Reply(220, ("a\nb",), None, b""))  # no raw: formatted, hence checked
    assert server.send(Reply(220, ("mx",), None, b"220 mx\r\n")) == b"220 mx\r\n"
    with pytest.raises(LocalProtocolError, match="no command is waiting"):
        server.send(Reply.build(250, "unprompted"))
    assert server.send(Reply.build(421, "4.3.2 shutting down")) == b"421 4.3.2 shutting down\r\n"
    assert server.state is ServerState.CLOSED
    assert server.next_event() is CONNECTION_CLOSED


def test_starttls_must_be_completed() -> None:
    server = greeted()
    one_command(server, b"STARTTLS\r\n")
    server.send(Reply.build(220, "go"))
    with pytest.raises(LocalProtocolError, match="start_tls"):
        server.next_event()
    assert server.start_tls() == b""
    assert server.anomalies == () and server.tls_active
    with pytest.raises(LocalProtocolError):
        server.start_tls()


def test_eof_in_the_middle_of_a_message() -> None:
    server = in_data()
    server.receive_data(b"partial message")
    assert isinstance(server.next_event(), MessageData)
    server.receive_data(b"")
    assert server.next_event() is CONNECTION_CLOSED
    assert kinds(server) == ["truncated"]


def test_eof_between_commands_is_clean() -> None:
    server = greeted()
    server.receive_data(b"")
    assert server.next_event() is CONNECTION_CLOSED
    assert server.anomalies == ()
