"""The state tables: keyed by enums, and the server's command ordering (503 decisions)."""

from __future__ import annotations

import pytest

from smtpcheck.knowledge.hints import normalize_step
from smtpcheck.protocol import Reply, ReplyTo, SessionStage, commands
from smtpcheck.protocol.server import ServerConnection
from smtpcheck.protocol.states import (
    BATCH_END,
    CLIENT_REPLY,
    CLIENT_SEND,
    SERVER_REPLY,
    SERVER_SEQUENCE,
    ClientState,
    Outcome,
    ServerState,
)

from .wire import connect

R = ReplyTo


def test_every_table_is_keyed_by_enums() -> None:
    for state, allowed in CLIENT_SEND.items():
        assert isinstance(state, ClientState)
        assert all(
            isinstance(to, ReplyTo) and isinstance(after, ClientState)
            for to, after in allowed.items()
        )
    for (state, to, outcome), after in CLIENT_REPLY.items():
        assert (type(state), type(to), type(outcome), type(after)) == (
            ClientState,
            ReplyTo,
            Outcome,
            ClientState,
        )
    for (to, outcome), mode in SERVER_REPLY.items():
        assert (type(to), type(outcome), type(mode)) == (ReplyTo, Outcome, ServerState)
    for (stage, to), reason in SERVER_SEQUENCE.items():
        assert (type(stage), type(to), type(reason)) == (SessionStage, ReplyTo, str)
    assert all(isinstance(to, ReplyTo) for to in BATCH_END)


@pytest.mark.parametrize(
    ("verb", "member", "is_command"),
    [
        ("MAIL", R.MAIL, True),
        ("mail", R.MAIL, True),
        ("Ehlo", R.EHLO, True),
        ("XCLIENT", R.OTHER, False),
        ("", R.OTHER, False),
        # the other members are never a verb, whatever a client types
        ("greeting", R.OTHER, False),
        ("OTHER", R.OTHER, False),
        ("END_OF_DATA", R.OTHER, False),
    ],
)
def test_reply_to_of_a_verb(verb: str, member: ReplyTo, is_command: bool) -> None:
    assert ReplyTo.of_verb(verb) is member
    assert member.is_command is is_command


def test_what_ends_a_message() -> None:
    assert {m for m in ReplyTo if m.ends_message} == {R.END_OF_DATA, R.BDAT_LAST}


@pytest.mark.parametrize(
    ("to", "step"),
    [
        (R.GREETING, "banner"),
        (R.EHLO, "ehlo"),
        (R.HELO, "ehlo"),
        (R.LHLO, "ehlo"),
        (R.STARTTLS, "starttls"),
        (R.AUTH, "auth"),
        (R.AUTH_RESPONSE, "auth"),
        (R.MAIL, "mail"),
        (R.RCPT, "rcpt"),
        (R.DATA, "data"),
        (R.END_OF_DATA, "eod"),
        (R.BDAT, "eod"),
        (R.BDAT_LAST, "eod"),
        (R.QUIT, "quit"),
        (R.RSET, None),
        (R.OTHER, None),
    ],
)
def test_knowledge_understands_what_a_reply_answers(to: ReplyTo, step: str | None) -> None:
    # the boundary: knowledge keeps its own step names, Reply.command converts to them
    assert normalize_step(to) == step


# ---- the server's command ordering -----------------------------------------------


def server_after(*exchange: tuple[bytes, int], lmtp: bool = False) -> ServerConnection:
    """A greeted server after each (command line, reply code) of `exchange`."""
    server = ServerConnection(advertised={"PIPELINING", "AUTH", "STARTTLS"}, lmtp=lmtp)
    server.send(Reply.build(220, "mx"))
    for line, code in exchange:
        server.receive_data(line + b"\r\n")
        server.next_event()
        server.send(Reply.build(code, "x"))
    return server


EHLO = (b"EHLO c", 250)
MAIL = (b"MAIL FROM:<a@x>", 250)
RCPT = (b"RCPT TO:<b@y>", 250)


NO_RECIPIENT = {"DATA": "no valid recipients", "BDAT": "no valid recipients"}
#: what each stage refuses (503 and the reason); every other verb is in sequence
REFUSED = {
    SessionStage.NO_HELLO: {
        "MAIL": "send HELO/EHLO first",
        "RCPT": "need MAIL command",
        **NO_RECIPIENT,
    },
    SessionStage.READY: {"RCPT": "need MAIL command", **NO_RECIPIENT},
    SessionStage.MAIL: {
        "MAIL": "nested MAIL command",
        "AUTH": "AUTH not allowed now",
        **NO_RECIPIENT,
    },
    SessionStage.RCPT: {"MAIL": "nested MAIL command", "AUTH": "AUTH not allowed now"},
}
AUTH_OK = (b"AUTH PLAIN AGEAYg==", 235)


@pytest.mark.parametrize(
    ("exchange", "stage"),
    [
        ((), SessionStage.NO_HELLO),
        (((b"EHLO c", 550),), SessionStage.NO_HELLO),  # a refused EHLO greets nobody
        ((EHLO,), SessionStage.READY),
        (((b"HELO c", 250),), SessionStage.READY),
        ((EHLO, (b"MAIL FROM:<a@x>", 550)), SessionStage.READY),
        ((EHLO, MAIL), SessionStage.MAIL),
        ((EHLO, MAIL, (b"RCPT TO:<b@y>", 550)), SessionStage.MAIL),
        ((EHLO, MAIL, RCPT), SessionStage.RCPT),
        ((EHLO, MAIL, RCPT, (b"RCPT TO:<c@y>", 450)), SessionStage.RCPT),
        ((EHLO, MAIL, RCPT, (b"RSET", 250)), SessionStage.READY),
        ((EHLO, MAIL, RCPT, (b"RSET", 500)), SessionStage.RCPT),
        ((EHLO, MAIL, RCPT, (b"EHLO again", 250)), SessionStage.READY),
        ((EHLO, (b"AUTH PLAIN AGEAYg==", 535)), SessionStage.READY),
    ],
)
def test_command_ordering(exchange: tuple[tuple[bytes, int], ...], stage: SessionStage) -> None:
    server = server_after(*exchange)
    assert server.stage is stage
    for verb in ("EHLO", "HELO", "MAIL", "RCPT", "DATA", "BDAT", "AUTH", "RSET", "NOOP", "XYZ"):
        expected = REFUSED[stage].get(verb)
        assert server.out_of_sequence(verb) == expected, verb
        assert server.out_of_sequence(ReplyTo.of_verb(verb)) == expected


def test_a_second_auth_is_out_of_sequence() -> None:
    server = server_after(EHLO, AUTH_OK)
    assert server.authenticated and server.stage is SessionStage.READY
    assert server.out_of_sequence("AUTH") == "AUTH not allowed now"
    assert server.out_of_sequence("MAIL") is None


def test_ordering_after_a_message_and_after_starttls() -> None:
    wire = connect()
    for command in (commands.mail("a@x"), commands.rcpt("b@y"), commands.data()):
        wire.send(command)
        wire.reply(354 if command.verb == "DATA" else 250, "ok")
    assert wire.server.out_of_sequence(R.END_OF_DATA) is None
    wire.client_sends(wire.client.send_message(b"hi"))
    wire.reply(250, "queued")
    assert wire.server.stage is SessionStage.READY
    assert wire.server.out_of_sequence("RCPT") == "need MAIL command"
    wire.send(commands.starttls())
    wire.reply(220, "go")
    wire.server.start_tls()
    wire.client.start_tls()
    assert wire.server.stage is SessionStage.NO_HELLO
    assert wire.server.out_of_sequence("MAIL") == "send HELO/EHLO first"


def test_lmtp_ordering_is_the_same_after_lhlo() -> None:
    server = server_after((b"LHLO c", 250), MAIL, lmtp=True)
    assert server.stage is SessionStage.MAIL
    assert server.out_of_sequence("DATA") == "no valid recipients"
    server.receive_data(b"RCPT TO:<b@y>\r\n")
    server.next_event()
    server.send(Reply.build(250, "ok"))
    assert server.out_of_sequence("DATA") is None
