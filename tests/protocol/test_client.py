"""The client role alone: scripted server bytes in, states and reply verbs out."""

from __future__ import annotations

import pytest

from smtpcheck.protocol import (
    CONNECTION_CLOSED,
    NEED_DATA,
    ClientConnection,
    ClientState,
    LocalProtocolError,
    RemoteProtocolError,
    Reply,
    ReplyTo,
    commands,
)

S = ClientState
R = ReplyTo
EHLO_PIPELINING = b"250-mx.example.com\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 STARTTLS\r\n"


def feed(conn: ClientConnection, data: bytes) -> list[Reply]:
    conn.receive_data(data)
    replies = []
    while True:
        event = conn.next_event()
        if event is NEED_DATA or event is CONNECTION_CLOSED:
            return replies
        assert isinstance(event, Reply)
        replies.append(event)


def ready(ehlo: bytes = EHLO_PIPELINING, lmtp: bool = False) -> ClientConnection:
    conn = ClientConnection(lmtp=lmtp)
    assert feed(conn, b"220 mx.example.com ESMTP\r\n")[0].command is R.GREETING
    conn.send(commands.lhlo("c") if lmtp else commands.ehlo("c"))
    assert feed(conn, ehlo)[0].command is (R.LHLO if lmtp else R.EHLO)
    assert conn.state is S.READY
    return conn


def test_plain_transaction_walks_the_states() -> None:
    conn = ClientConnection()
    assert conn.state is S.BANNER and conn.expected == (R.GREETING,)
    assert conn.next_event() is NEED_DATA
    feed(conn, b"220 hi\r\n")
    assert conn.state is S.GREETED
    steps = [
        (commands.ehlo("c"), b"250-mx\r\n250 SIZE 100\r\n", R.EHLO, S.READY),
        (commands.mail("a@x"), b"250 2.1.0 Ok\r\n", R.MAIL, S.MAIL),
        (commands.rcpt("b@y"), b"250 2.1.5 Ok\r\n", R.RCPT, S.RCPT),
        (commands.data(), b"354 go\r\n", R.DATA, S.DATA),
    ]
    for command, server, verb, state in steps:
        conn.send(command)
        (reply,) = feed(conn, server)
        assert reply.command is verb
        assert conn.state is state
    assert conn.ehlo is not None and conn.ehlo.size == 100
    assert conn.send_message(b".hidden\nline") == b"..hidden\r\nline\r\n.\r\n"
    assert conn.expected == (R.END_OF_DATA,)
    (reply,) = feed(conn, b"250 2.0.0 queued\r\n")
    assert reply.command is R.END_OF_DATA and conn.state is S.READY
    conn.send(commands.quit())
    (reply,) = feed(conn, b"221 bye\r\n")
    assert reply.command is R.QUIT and conn.state is S.CLOSED
    conn.receive_data(b"")
    assert conn.next_event() is CONNECTION_CLOSED
    with pytest.raises(LocalProtocolError, match="closed"):
        conn.send(commands.noop())


@pytest.mark.parametrize(
    ("command", "reply", "state"),
    [
        (commands.mail("a@x"), b"550 no\r\n", S.READY),
        (commands.mail("a@x"), b"421 shutting down\r\n", S.CLOSED),
        (commands.noop(), b"250 ok\r\n", S.READY),
        (commands.rset(), b"250 ok\r\n", S.READY),
        (commands.starttls(), b"454 TLS not available\r\n", S.READY),
        (commands.starttls(), b"220 go\r\n", S.TLS),
        (commands.auth("PLAIN", "AA=="), b"235 ok\r\n", S.READY),
        (commands.auth("LOGIN"), b"334 VXNlcm5hbWU6\r\n", S.AUTH),
        (commands.auth("PLAIN", "AA=="), b"535 no\r\n", S.READY),
        (commands.ehlo("again"), b"250 mx\r\n", S.READY),
        (commands.quit(), b"221 bye\r\n", S.CLOSED),
    ],
)
def test_reply_outcomes_from_ready(command: commands.Command, reply: bytes, state: S) -> None:
    conn = ready()
    conn.send(command)
    feed(conn, reply)
    assert conn.state is state


def test_rejections_inside_a_transaction() -> None:
    conn = ready()
    conn.send(commands.mail("a@x"))
    feed(conn, b"250 ok\r\n")
    conn.send(commands.rcpt("b@y"))
    feed(conn, b"550 5.1.1 unknown\r\n")
    assert conn.state is S.MAIL and conn.accepted_recipients == ()
    with pytest.raises(LocalProtocolError, match="DATA is not allowed"):
        conn.send(commands.data())
    conn.send(commands.rcpt("c@y"))
    feed(conn, b"250 ok\r\n")
    conn.send(commands.data())
    (reply,) = feed(conn, b"554 5.5.1 no valid recipients\r\n")
    assert reply.command is R.DATA
    assert conn.state is S.RCPT  # DATA refused: the transaction is still open
    with pytest.raises(LocalProtocolError, match="354"):
        conn.send_message(b"x")
    conn.send(commands.rset())
    feed(conn, b"250 ok\r\n")
    assert conn.state is S.READY


def test_greeting_refused_leaves_only_quit() -> None:
    conn = ClientConnection()
    with pytest.raises(LocalProtocolError, match="greeting"):
        conn.send(commands.ehlo("c"))
    feed(conn, b"554 go away\r\n")
    assert conn.state is S.REFUSED
    with pytest.raises(LocalProtocolError):
        conn.send(commands.ehlo("c"))
    assert conn.send(commands.quit()) == b"QUIT\r\n"


def test_ehlo_refused_then_helo() -> None:
    conn = ClientConnection()
    feed(conn, b"220 hi\r\n")
    conn.send(commands.ehlo("c"))
    feed(conn, b"502 5.5.1 no\r\n")
    assert conn.state is S.GREETED
    with pytest.raises(LocalProtocolError, match="MAIL is not allowed"):
        conn.send(commands.mail("a@x"))
    conn.send(commands.helo("c"))
    feed(conn, b"250 mx\r\n")
    assert conn.state is S.READY and conn.ehlo is None


def test_pipelining_send_several_then_read() -> None:
    conn = ready()
    wire = b"".join(
        conn.send(c)
        for c in (
            commands.mail("a@x"),
            commands.rcpt("b@y"),
            commands.rcpt("c@y"),
            commands.data(),
        )
    )
    assert wire.count(b"\r\n") == 4
    assert conn.expected == (R.MAIL, R.RCPT, R.RCPT, R.DATA)
    assert conn.state is S.READY and conn.send_state is S.DATA
    with pytest.raises(LocalProtocolError, match="RFC 2920"):
        conn.send(commands.noop())  # DATA ends the batch
    replies = feed(conn, b"250 ok\r\n250 ok\r\n550 no\r\n354 go\r\n")
    assert [r.command for r in replies] == [R.MAIL, R.RCPT, R.RCPT, R.DATA]
    assert conn.state is S.DATA
    assert conn.accepted_recipients == ("b@y",)


def test_pipelining_after_a_failed_mail_ends_back_in_ready() -> None:
    conn = ready()
    for c in (commands.mail("a@x"), commands.rcpt("b@y"), commands.data()):
        conn.send(c)
    feed(conn, b"550 sender rejected\r\n503 need MAIL\r\n503 need RCPT\r\n")
    assert conn.state is S.READY and conn.expected == ()


@pytest.mark.parametrize(
    "first",
    [
        commands.ehlo("c"),
        commands.noop(),
        commands.starttls(),
        commands.auth("PLAIN", "AA=="),
        commands.vrfy("x"),
        commands.quit(),
    ],
)
def test_batch_ending_commands(first: commands.Command) -> None:
    conn = ready()
    conn.send(first)
    with pytest.raises(LocalProtocolError, match="cannot be pipelined"):
        conn.send(commands.rset())


def test_no_pipelining_without_the_keyword() -> None:
    conn = ready(ehlo=b"250-mx\r\n250 SIZE 10\r\n")
    conn.send(commands.mail("a@x"))
    with pytest.raises(LocalProtocolError, match="did not advertise PIPELINING"):
        conn.send(commands.rcpt("b@y"))
    feed(conn, b"250 ok\r\n")
    conn.send(commands.rcpt("b@y"))  # allowed once the reply is in
    assert conn.expected == (R.RCPT,)


def test_bdat_transaction() -> None:
    conn = ready()
    conn.send(commands.mail("a@x"))
    conn.send(commands.rcpt("b@y"))
    assert conn.send_bdat(b"first.\n", last=False) == b"BDAT 7\r\nfirst.\n"
    assert conn.send_bdat(b".\r\nend", last=True) == b"BDAT 6 LAST\r\n.\r\nend"
    assert conn.expected == (R.MAIL, R.RCPT, R.BDAT, R.BDAT_LAST)
    replies = feed(conn, b"250 ok\r\n250 ok\r\n250 7 octets\r\n250 queued\r\n")
    assert [r.command for r in replies] == [R.MAIL, R.RCPT, R.BDAT, R.BDAT_LAST]
    assert conn.state is S.READY


def test_bdat_failure_stops_the_transfer() -> None:
    conn = ready()
    conn.send(commands.mail("a@x"))
    feed(conn, b"250 ok\r\n")
    conn.send(commands.rcpt("b@y"))
    feed(conn, b"250 ok\r\n")
    conn.send_bdat(b"x")
    feed(conn, b"552 too big\r\n")
    assert conn.state is S.READY
    with pytest.raises(LocalProtocolError, match="BDAT is not allowed"):
        conn.send_bdat(b"y", last=True)


def test_lmtp_one_reply_per_accepted_recipient() -> None:
    conn = ready(ehlo=b"250-lmtp\r\n250 PIPELINING\r\n", lmtp=True)
    for c in (
        commands.mail("a@x"),
        commands.rcpt("one@y"),
        commands.rcpt("bad@y"),
        commands.rcpt("two@y"),
        commands.data(),
    ):
        conn.send(c)
    feed(conn, b"250 ok\r\n250 ok\r\n550 no\r\n250 ok\r\n354 go\r\n")
    assert conn.accepted_recipients == ("one@y", "two@y")
    conn.send_message(b"hi")
    (first,) = feed(conn, b"250 2.0.0 one@y delivered\r\n")
    assert first.command is R.END_OF_DATA and conn.expected == (R.END_OF_DATA,)
    (second,) = feed(conn, b"452 4.2.2 two@y over quota\r\n")
    assert second.command is R.END_OF_DATA and conn.expected == ()
    assert conn.state is S.READY


def test_lmtp_bdat_last_pipelined_behind_rcpt() -> None:
    conn = ready(ehlo=b"250-lmtp\r\n250-PIPELINING\r\n250 CHUNKING\r\n", lmtp=True)
    for c in (commands.mail("a@x"), commands.rcpt("one@y"), commands.rcpt("two@y")):
        conn.send(c)
    conn.send_bdat(b"body\r\n", last=True)
    replies = feed(conn, b"250 ok\r\n250 ok\r\n250 ok\r\n250 one\r\n250 two\r\n")
    assert [r.command for r in replies] == [R.MAIL, R.RCPT, R.RCPT, R.BDAT_LAST, R.BDAT_LAST]
    assert conn.expected == () and conn.state is S.READY


def test_starttls_returns_and_reports_buffered_bytes() -> None:
    conn = ready()
    conn.send(commands.starttls())
    (reply,) = feed(conn, b"220 2.0.0 go ahead\r\n250-injected\r\n250 x")
    assert reply.command is R.STARTTLS and conn.state is S.TLS
    with pytest.raises(LocalProtocolError):
        conn.send(commands.ehlo("c"))
    leftover = conn.start_tls()
    assert leftover == b"250-injected\r\n250 x"
    assert [a.kind for a in conn.anomalies] == ["buffered-after-starttls"]
    assert conn.state is S.GREETED and conn.ehlo is None and conn.tls_active
    conn.send(commands.ehlo("c"))
    (reply,) = feed(conn, EHLO_PIPELINING)
    assert reply.lines[0] == "mx.example.com"  # the injected bytes are gone


def test_starttls_clean() -> None:
    conn = ready()
    conn.send(commands.starttls())
    feed(conn, b"220 go\r\n")
    assert conn.start_tls() == b""
    assert conn.anomalies == ()
    with pytest.raises(LocalProtocolError, match="STARTTLS"):
        conn.start_tls()


def test_auth_exchange() -> None:
    conn = ready(ehlo=b"250-mx\r\n250 AUTH LOGIN\r\n")
    with pytest.raises(LocalProtocolError):
        conn.send(commands.auth_response("x"))
    conn.send(commands.auth("LOGIN"))
    (reply,) = feed(conn, b"334 VXNlcm5hbWU6\r\n")
    assert reply.command is R.AUTH and conn.state is S.AUTH
    with pytest.raises(LocalProtocolError):
        conn.send(commands.mail("a@x"))
    conn.send(commands.auth_response("dXNlcg=="))
    (reply,) = feed(conn, b"334 UGFzc3dvcmQ6\r\n")
    assert reply.command is R.AUTH_RESPONSE and conn.state is S.AUTH
    conn.send(commands.auth_response("cGFzcw=="))
    (reply,) = feed(conn, b"235 2.7.0 ok\r\n")
    assert reply.command is R.AUTH_RESPONSE and conn.state is S.READY and conn.authenticated


def test_auth_failure_goes_back() -> None:
    conn = ready()
    conn.send(commands.auth("LOGIN"))
    feed(conn, b"334 x\r\n")
    conn.send(commands.auth_response("*"))
    feed(conn, b"501 cancelled\r\n")
    assert conn.state is S.READY and not conn.authenticated


def test_unsolicited_421_closes() -> None:
    conn = ready()
    (reply,) = feed(conn, b"421 4.4.2 idle timeout\r\n")
    assert reply.command is None
    assert [a.kind for a in reply.anomalies] == ["unsolicited-reply"]
    assert conn.state is S.CLOSED


def test_421_in_the_middle_of_a_pipeline_closes() -> None:
    conn = ready()
    conn.send(commands.mail("a@x"))
    conn.send(commands.rcpt("b@y"))
    (reply,) = feed(conn, b"421 too busy\r\n")
    assert reply.command is R.MAIL and conn.state is S.CLOSED and conn.expected == ()


def test_eof_inside_a_reply_is_recorded() -> None:
    conn = ready()
    conn.send(commands.noop())
    conn.receive_data(b"250-partial\r\n")
    assert conn.next_event() is NEED_DATA
    conn.receive_data(b"")
    assert conn.next_event() is CONNECTION_CLOSED
    assert [a.kind for a in conn.anomalies] == ["truncated"]
    assert "250-partial" in conn.anomalies[0].detail


def test_garbage_breaks_the_connection() -> None:
    conn = ClientConnection()
    conn.receive_data(b"HTTP/1.1 400 Bad Request\r\n")
    with pytest.raises(RemoteProtocolError, match=r"HTTP/1\.1"):
        conn.next_event()
    assert conn.state is S.ERROR
    with pytest.raises(RemoteProtocolError):
        conn.next_event()


def test_raw_commands_are_tracked_without_checks() -> None:
    conn = ClientConnection()
    conn.send(commands.raw("EHLO early-talker"))  # before the greeting: the user asked
    assert conn.expected == (R.GREETING, R.EHLO)
    replies = feed(conn, b"220 hi\r\n250 mx\r\n")
    assert [r.command for r in replies] == [R.GREETING, R.EHLO]
    assert conn.state is S.READY
    conn.send(commands.raw("mail from:<a@x>\r\nrcpt to:<b@y>"))
    conn.send(commands.raw("data"))
    feed(conn, b"250 ok\r\n250 ok\r\n354 go\r\n")
    assert conn.state is S.DATA and conn.accepted_recipients == ("b@y",)
    conn.send(commands.raw("Subject: typed by hand"))
    conn.send(commands.raw("."))
    assert conn.expected == (R.END_OF_DATA,)
    (reply,) = feed(conn, b"250 queued\r\n")
    assert reply.command is R.END_OF_DATA and conn.state is S.READY
    conn.send(commands.raw("XCLIENT ADDR=1.2.3.4"))
    (reply,) = feed(conn, b"220 ok\r\n")
    assert reply.command is R.OTHER and conn.state is S.READY
