"""Replies nobody asked for: flagged, never taken as the answer to a later command.

A reply that began to arrive before a command was sent cannot answer that command
(the server had not seen it). Taking it as the answer desynchronises the client: every
later reply is paired with the wrong command (send blamed MAIL and said "Failed at
QUIT"). The client connection flags it (`Reply.unsolicited`, command None) and keeps
waiting for the real reply.
"""

from __future__ import annotations

import pytest

from smtpcheck.protocol import (
    NEED_DATA,
    ClientConnection,
    ClientState,
    Command,
    Reply,
    ReplyTo,
    commands,
)

R = ReplyTo
EHLO_REPLY = b"250-mx\r\n250-PIPELINING\r\n250 CHUNKING\r\n"


def next_reply(conn: ClientConnection) -> Reply:
    event = conn.next_event()
    assert isinstance(event, Reply), event
    return event


def greeted() -> ClientConnection:
    conn = ClientConnection()
    conn.receive_data(b"220 mx\r\n")
    next_reply(conn)
    return conn


def after_ehlo(ehlo_reply: bytes = EHLO_REPLY) -> ClientConnection:
    conn = greeted()
    conn.send(commands.ehlo("c"))
    conn.receive_data(ehlo_reply)
    next_reply(conn)
    return conn


def reply_to_ehlo_then(conn: ClientConnection, extra: bytes) -> None:
    """The server answers EHLO and, in the same read, says something more."""
    conn.send(commands.ehlo("c"))
    conn.receive_data(EHLO_REPLY + extra)
    assert next_reply(conn).command is R.EHLO


@pytest.mark.parametrize(
    ("early", "then_sent", "answers"),
    [
        # sent together with the greeting: the next command is EHLO
        (b"250 2.0.0 surprise\r\n", None, R.EHLO),
        (b"550-5.7.1 go\r\n550 5.7.1 away\r\n", None, R.EHLO),
        # sent together with the reply to EHLO: the next command is MAIL
        (b"250 2.1.0 Sender ok\r\n", commands.mail("a@x"), R.MAIL),
        (b"354 go ahead\r\n", commands.mail("a@x"), R.MAIL),
    ],
)
def test_a_reply_that_came_before_the_command_does_not_answer_it(
    early: bytes, then_sent: Command | None, answers: ReplyTo
) -> None:
    conn = ClientConnection()
    if then_sent is None:
        conn.receive_data(b"220 mx ESMTP\r\n" + early)
        assert next_reply(conn).command is R.GREETING
        conn.send(commands.ehlo("c"))
    else:
        conn.receive_data(b"220 mx ESMTP\r\n")
        next_reply(conn)
        reply_to_ehlo_then(conn, early)
        conn.send(then_sent)
    stray = next_reply(conn)
    assert stray.unsolicited and stray.command is None
    assert stray.raw == early
    assert [a.kind for a in stray.anomalies][-1] == "unsolicited-reply"
    assert f"before {answers} was sent" in stray.anomalies[-1].detail
    assert conn.expected == (answers,)  # still waiting for the real reply
    assert conn.next_event() is NEED_DATA
    state = conn.state
    real = b"250 mx\r\n" if answers is R.EHLO else b"250 2.1.0 ok\r\n"
    conn.receive_data(real)
    reply = next_reply(conn)
    assert reply.command is answers and not reply.unsolicited
    assert conn.state is not state  # the real reply moved the state, the stray one did not


def test_the_dialogue_stays_in_step_after_an_early_reply() -> None:
    conn = greeted()
    reply_to_ehlo_then(conn, b"550 5.7.1 stray\r\n")
    for command in (commands.mail("a@x"), commands.rcpt("b@y")):
        conn.send(command)
    conn.receive_data(b"250 mail ok\r\n250 rcpt ok\r\n")
    replies = [next_reply(conn) for _ in range(3)]
    assert [(r.command, r.code) for r in replies] == [
        (None, 550),
        (R.MAIL, 250),
        (R.RCPT, 250),
    ]
    assert conn.state is ClientState.RCPT and conn.accepted_recipients == ("b@y",)


def test_a_reply_when_nothing_is_awaited_is_unsolicited() -> None:
    conn = after_ehlo(b"250 mx\r\n")
    conn.receive_data(b"250 2.0.0 hello again\r\n")
    stray = next_reply(conn)
    assert stray.unsolicited and stray.command is None
    assert stray.anomalies[-1].detail == "no command was awaiting a reply"
    assert conn.state is ClientState.READY


def test_an_early_421_still_closes() -> None:
    conn = ClientConnection()
    conn.receive_data(b"220 mx\r\n421 4.3.2 shutting down\r\n")
    next_reply(conn)
    conn.send(commands.ehlo("c"))
    stray = next_reply(conn)
    assert stray.unsolicited and stray.code == 421
    assert conn.state is ClientState.CLOSED and conn.expected == ()


def test_a_reply_arriving_after_the_command_answers_it() -> None:
    # the usual case: bytes read after the command was sent, even in pieces
    conn = greeted()
    conn.send(commands.ehlo("c"))
    for piece in (b"250-m", b"x\r\n250 PIPE", b"LINING\r\n"):
        conn.receive_data(piece)
    assert next_reply(conn).command is R.EHLO


def test_a_reply_started_before_its_command_finished_arriving_is_fine_for_the_earlier() -> None:
    # half of MAIL's reply is in when RCPT is pipelined: it answers MAIL, not RCPT
    conn = after_ehlo()
    conn.send(commands.mail("a@x"))
    conn.receive_data(b"250 2.1.")
    assert conn.next_event() is NEED_DATA
    conn.send(commands.rcpt("b@y"))
    conn.receive_data(b"0 ok\r\n250 2.1.5 ok\r\n")
    assert [next_reply(conn).command for _ in range(2)] == [R.MAIL, R.RCPT]


def test_prdr_replies_already_buffered_are_awaited_not_unsolicited() -> None:
    # PRDR: the 353 after the dot, then one reply per recipient and a last one, which
    # the server may send at once: expect_replies() accepts replies not yet returned
    conn = after_ehlo(b"250-mx\r\n250 PRDR\r\n")
    for command in (commands.mail("a@x"), commands.rcpt("b@y"), commands.data()):
        conn.send(command)
        conn.receive_data(b"354 go\r\n" if command.verb == "DATA" else b"250 ok\r\n")
        next_reply(conn)
    conn.send_message(b"hi")
    conn.receive_data(b"353 PRDR\r\n250 b@y ok\r\n250 done\r\n")
    assert next_reply(conn).code == 353
    conn.expect_replies(R.END_OF_DATA, 2)
    replies = [next_reply(conn) for _ in range(2)]
    assert [(r.command, r.unsolicited) for r in replies] == [(R.END_OF_DATA, False)] * 2


def test_bytes_after_the_220_to_starttls_are_reported_not_read() -> None:
    # the STARTTLS injection class: whatever follows the 220 in clear text
    conn = greeted()
    reply_to_ehlo_then(conn, b"")
    conn.send(commands.starttls())
    conn.receive_data(b"220 2.0.0 go ahead\r\n250 injected\r\n")
    assert next_reply(conn).command is R.STARTTLS
    assert conn.next_event() is NEED_DATA  # never parsed as a reply
    assert conn.start_tls() == b"250 injected\r\n"
    (anomaly,) = conn.anomalies
    assert anomaly.kind == "buffered-after-starttls" and "250 injected" in anomaly.detail
