"""An in-memory wire joining a ClientConnection and a ServerConnection (as h11's tests do)."""

from __future__ import annotations

from dataclasses import dataclass, field

from smtpcheck.protocol import (
    CONNECTION_CLOSED,
    NEED_DATA,
    ClientConnection,
    Command,
    Reply,
    ReplyTo,
    commands,
)
from smtpcheck.protocol.server import ServerConnection, ServerEvent
from smtpcheck.protocol.server_events import ClientCommand


def drain_server(server: ServerConnection) -> list[ServerEvent]:
    """Every event the server can produce from what it holds (up to NEED_DATA)."""
    events: list[ServerEvent] = []
    while True:
        event = server.next_event()
        if event is NEED_DATA:
            return events
        events.append(event)
        if event is CONNECTION_CLOSED:
            return events


def greeted_server(
    advertised: frozenset[str], lmtp: bool = False, max_message_size: int | None = None
) -> ServerConnection:
    """A server that has sent its greeting."""
    server = ServerConnection(advertised=advertised, lmtp=lmtp, max_message_size=max_message_size)
    server.send(Reply.build(220, "mx ESMTP"))
    return server


def one_command(server: ServerConnection, line: bytes) -> ClientCommand:
    """Feed one command line (b"" for one already buffered) and return its event."""
    server.receive_data(line)
    event = server.next_event()
    assert isinstance(event, ClientCommand), event
    return event


def drain_client(client: ClientConnection) -> list[Reply]:
    replies: list[Reply] = []
    while True:
        event = client.next_event()
        if event is NEED_DATA or event is CONNECTION_CLOSED:
            return replies
        assert isinstance(event, Reply)
        replies.append(event)


@dataclass
class Wire:
    client: ClientConnection
    server: ServerConnection
    to_server: bytearray = field(default_factory=bytearray)  # everything the client sent
    to_client: bytearray = field(default_factory=bytearray)  # everything the server sent

    def client_sends(self, data: bytes) -> list[ServerEvent]:
        self.to_server += data
        self.server.receive_data(data)
        return drain_server(self.server)

    def send(self, command: Command) -> list[ServerEvent]:
        return self.client_sends(self.client.send(command))

    def reply(self, code: int, *lines: str) -> list[Reply]:
        data = self.server.send(Reply.build(code, *lines))
        self.to_client += data
        self.client.receive_data(data)
        return drain_client(self.client)


def connect(
    advertised: frozenset[str] = frozenset({"PIPELINING", "8BITMIME", "CHUNKING", "STARTTLS"}),
    lmtp: bool = False,
) -> Wire:
    """A wire where the server has greeted and accepted EHLO/LHLO advertising `advertised`."""
    wire = Wire(ClientConnection(lmtp=lmtp), ServerConnection(advertised=advertised, lmtp=lmtp))
    (banner,) = wire.reply(220, "mx.example.com ESMTP")
    assert banner.command is ReplyTo.GREETING
    (hello,) = wire.send(commands.lhlo("client") if lmtp else commands.ehlo("client"))
    (reply,) = wire.reply(250, "mx.example.com", *sorted(advertised))
    assert reply.is_success and hello is not None
    return wire
