"""Client and server joined by an in-memory wire: whole SMTP/LMTP conversations."""

from __future__ import annotations

from smtpcheck.protocol import (
    ClientState,
    Reply,
    ReplyTo,
    ServerState,
    commands,
)
from smtpcheck.protocol.server_events import (
    AuthResponse,
    ChunkEnd,
    ClientCommand,
    MessageData,
    MessageEnd,
)

from .wire import Wire, connect, drain_client, drain_server


def content(events: list[object]) -> bytes:
    return b"".join(e.data for e in events if isinstance(e, MessageData))


def test_full_transaction() -> None:
    wire = connect()
    (mail,) = wire.send(commands.mail("alice@example.com", {"SIZE": 42}))
    assert isinstance(mail, ClientCommand)
    assert (mail.verb, mail.address, mail.params) == ("MAIL", "alice@example.com", {"SIZE": "42"})
    assert wire.reply(250, "2.1.0 Ok")[0].command is ReplyTo.MAIL
    (rcpt,) = wire.send(commands.rcpt("bob@example.org", {"NOTIFY": "NEVER"}))
    assert isinstance(rcpt, ClientCommand) and rcpt.address == "bob@example.org"
    assert rcpt.params == {"NOTIFY": "NEVER"}
    assert [str(a) for a in rcpt.anomalies] == ["unadvertised-extension: NOTIFY= without DSN"]
    wire.reply(250, "2.1.5 Ok")
    (data,) = wire.send(commands.data())
    assert isinstance(data, ClientCommand) and data.verb == "DATA"
    wire.reply(354, "End data with <CR><LF>.<CR><LF>")
    assert wire.client.state is ClientState.DATA and wire.server.state is ServerState.DATA
    body = b"Subject: hi\n\n.leading dot\n..two\n.\nlast line without newline"
    events = wire.client_sends(wire.client.send_message(body))
    assert content(events) == (
        b"Subject: hi\r\n\r\n.leading dot\r\n..two\r\n.\r\nlast line without newline\r\n"
    )
    assert isinstance(events[-1], MessageEnd) and events[-1].anomalies == ()
    (eod,) = wire.reply(250, "2.0.0 Ok: queued as 12345")
    assert eod.command is ReplyTo.END_OF_DATA and eod.enhanced_status is not None
    assert wire.client.state is ClientState.READY and wire.server.state is ServerState.COMMAND
    (quit_,) = wire.send(commands.quit())
    assert isinstance(quit_, ClientCommand) and quit_.verb == "QUIT"
    wire.reply(221, "2.0.0 Bye")
    assert wire.client.state is ClientState.CLOSED and wire.server.state is ServerState.CLOSED


def test_pipelined_transaction_in_one_segment() -> None:
    wire = connect()
    batch = b"".join(
        wire.client.send(c)
        for c in (
            commands.mail("a@x"),
            commands.rcpt("b@y"),
            commands.rcpt("c@y"),
            commands.data(),
        )
    )
    wire.server.receive_data(batch)
    verbs = []
    replies = []
    for code in (250, 250, 550, 354):
        (event,) = drain_server_one(wire)
        assert isinstance(event, ClientCommand) and event.anomalies == ()
        verbs.append(event.verb)
        replies.append(wire.server.send(Reply.build(code, "text")))
    assert verbs == ["MAIL", "RCPT", "RCPT", "DATA"]
    wire.client.receive_data(b"".join(replies))
    assert [r.command for r in drain_client(wire.client)] == ["MAIL", "RCPT", "RCPT", "DATA"]
    assert wire.client.accepted_recipients == ("b@y",)
    assert wire.server.recipients == 1
    events = wire.client_sends(wire.client.send_message(b"hi"))
    assert content(events) == b"hi\r\n"


def drain_server_one(wire: Wire) -> list[object]:
    """One event only: a server answers each command before reading the next."""
    return [wire.server.next_event()]


def until_chunk_end(wire: Wire) -> list[object]:
    events: list[object] = []
    while not isinstance(events[-1:] and events[-1], ChunkEnd | MessageEnd):
        events.append(wire.server.next_event())
    return events


def test_bdat_transaction_with_pipelined_chunks() -> None:
    wire = connect()
    for c in (commands.mail("a@x", {"BODY": "8BITMIME"}), commands.rcpt("b@y")):
        wire.send(c)
        wire.reply(250, "ok")
    chunks = wire.client.send_bdat(b"Subject: x\r\n\r\n.no stuffing\r\n") + wire.client.send_bdat(
        b"caf\xc3\xa9\r\n", last=True
    )
    wire.server.receive_data(chunks)
    first = until_chunk_end(wire)
    assert isinstance(first[0], ClientCommand) and first[0].verb == "BDAT"
    assert isinstance(first[-1], ChunkEnd) and first[-1].size == 28
    assert content(first) == b"Subject: x\r\n\r\n.no stuffing\r\n"
    assert wire.reply(250, "2.0.0 28 octets")[0].command is ReplyTo.BDAT
    second = drain_server(wire.server)
    assert isinstance(second[0], ClientCommand) and second[0].argument == "7 LAST"
    assert second[0].anomalies == ()  # pipelined BDAT with PIPELINING offered is fine
    assert content(second) == b"caf\xc3\xa9\r\n"
    assert isinstance(second[-1], MessageEnd) and second[-1].anomalies == ()
    (eod,) = wire.reply(250, "2.0.0 queued")
    assert eod.command is ReplyTo.BDAT_LAST
    assert wire.client.state is ClientState.READY and wire.server.awaiting == ()


def test_lmtp_reply_per_recipient() -> None:
    wire = connect(frozenset({"PIPELINING"}), lmtp=True)
    for address, code in (("one@x", 250), ("two@x", 550), ("three@x", 250)):
        if address == "one@x":
            wire.send(commands.mail("s@x"))
            wire.reply(250, "ok")
        wire.send(commands.rcpt(address))
        wire.reply(code, "r")
    wire.send(commands.data())
    wire.reply(354, "go")
    events = wire.client_sends(wire.client.send_message(b"hello\r\n"))
    assert isinstance(events[-1], MessageEnd)
    assert wire.server.awaiting == (ReplyTo.END_OF_DATA, ReplyTo.END_OF_DATA)
    assert wire.client.accepted_recipients == ("one@x", "three@x")
    (r1,) = wire.reply(250, "2.1.5 one@x ok")
    (r2,) = wire.reply(452, "4.2.2 three@x full")
    assert (r1.command, r2.command) == (ReplyTo.END_OF_DATA, ReplyTo.END_OF_DATA)
    assert wire.client.expected == () and wire.server.awaiting == ()
    assert wire.server.recipients == 0  # transaction over


def test_starttls_with_injected_commands_on_both_sides() -> None:
    wire = connect()
    # the client (an attacker) appends a command after STARTTLS in the same segment
    events = wire.client_sends(wire.client.send(commands.starttls()) + b"MAIL FROM:<evil>\r\n")
    assert [e.verb for e in events if isinstance(e, ClientCommand)] == ["STARTTLS"]
    # a vulnerable-looking server sends more after its 220
    data = wire.server.send(Reply.build(220, "2.0.0 Ready to start TLS"))
    wire.client.receive_data(data + b"250 spoofed\r\n")
    (reply,) = drain_client(wire.client)
    assert reply.command is ReplyTo.STARTTLS
    assert wire.server.start_tls() == b"MAIL FROM:<evil>\r\n"
    assert wire.client.start_tls() == b"250 spoofed\r\n"
    assert [a.kind for a in wire.server.anomalies] == ["buffered-after-starttls"]
    assert [a.kind for a in wire.client.anomalies] == ["buffered-after-starttls"]
    # the session restarts with EHLO under TLS; the injected command is gone
    (ehlo,) = wire.send(commands.ehlo("client"))
    assert isinstance(ehlo, ClientCommand) and ehlo.verb == "EHLO" and ehlo.anomalies == ()
    wire.reply(250, "mx")
    assert wire.client.state is ClientState.READY and wire.client.tls_active


def test_auth_login_exchange() -> None:
    wire = connect(frozenset({"AUTH", "PIPELINING"}))
    (auth,) = wire.send(commands.auth("LOGIN"))
    assert isinstance(auth, ClientCommand) and auth.argument == "LOGIN"
    assert wire.reply(334, "VXNlcm5hbWU6")[0].command is ReplyTo.AUTH
    assert wire.server.state is ServerState.AUTH
    (user,) = wire.send(commands.auth_response("dXNlcg=="))
    assert isinstance(user, AuthResponse) and user.text == "dXNlcg=="
    wire.reply(334, "UGFzc3dvcmQ6")
    (password,) = wire.send(commands.auth_response("cGFzcw=="))
    assert isinstance(password, AuthResponse) and password.raw == b"cGFzcw==\r\n"
    (ok,) = wire.reply(235, "2.7.0 Authentication successful")
    assert ok.command is ReplyTo.AUTH_RESPONSE
    assert wire.client.authenticated and wire.server.authenticated
    assert wire.client.state is ClientState.READY and wire.server.state is ServerState.COMMAND
    (mail,) = wire.send(commands.mail("a@x"))
    assert isinstance(mail, ClientCommand) and mail.verb == "MAIL"


def test_auth_plain_rejected() -> None:
    wire = connect(frozenset({"AUTH"}))
    wire.send(commands.auth("PLAIN", "AHUAcA=="))
    wire.reply(535, "5.7.8 bad credentials")
    assert not wire.client.authenticated and not wire.server.authenticated
    assert wire.client.state is ClientState.READY and wire.server.state is ServerState.COMMAND


def test_rset_and_second_message_on_the_same_connection() -> None:
    wire = connect()
    for _ in range(2):
        wire.send(commands.mail("a@x"))
        wire.reply(250, "ok")
        wire.send(commands.rcpt("b@y"))
        wire.reply(250, "ok")
        wire.send(commands.rset())
        wire.reply(250, "ok")
        assert wire.server.recipients == 0 and wire.client.state is ClientState.READY
    wire.send(commands.mail("a@x"))
    wire.reply(250, "ok")
    wire.send(commands.rcpt("b@y"))
    wire.reply(250, "ok")
    wire.send(commands.data())
    wire.reply(354, "go")
    events = wire.client_sends(wire.client.send_message(b""))
    assert content(events) == b"" and isinstance(events[-1], MessageEnd)
    assert wire.reply(250, "ok")[0].command is ReplyTo.END_OF_DATA
