"""What the sink answers to each client event: the SMTP dialogue of `SinkSession`.

A mixin, so the I/O (sink/session.py) and the dialogue stay in separate short files;
the message (DATA/BDAT, storing) is in sink/handle_message.py, STARTTLS in
sink/handle_tls.py and AUTH in sink/handle_auth.py.
Every reply text comes from the persona; every reply may be replaced, delayed, turned
into a disconnect or a tarpit by a rule (`respond`). The sink never relays: an accepted
message is only ever written to the store.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from smtpcheck.protocol.events import Anomaly, ReplyTo
from smtpcheck.protocol.server_events import (
    AuthResponse,
    ChunkEnd,
    ClientCommand,
    LineTooLong,
    MessageData,
    MessageEnd,
)
from smtpcheck.protocol.states import ServerState
from smtpcheck.sink.handle_auth import AuthHandlers
from smtpcheck.sink.handle_message import MessageHandlers
from smtpcheck.sink.handle_tls import TlsHandlers
from smtpcheck.sink.personas import exchange_date
from smtpcheck.sink.rules import Rule, parse_reply

Pending = Coroutine[Any, Any, object] | None  # a coroutine to run, or nothing
_HANDLER_NAMES: dict[str, str] = {}
_ADVERTISED: dict[str, frozenset[str]] = {}
BODY_VALUES = {"7BIT", "8BITMIME"}
TLS_START_KEYWORDS = frozenset({"STARTTLS", "X-ANONYMOUSTLS"})  # Exchange's too


class CommandHandlers(AuthHandlers, TlsHandlers, MessageHandlers):
    """The dialogue. Attributes used here are set by `SinkSession.__init__`."""

    server: Any
    config: Any
    persona: Any
    rules: Any
    conn: Any
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport | None
    client_ip: str
    client: str
    helo: str
    tls: dict[str, Any] | None
    auth: dict[str, Any] | None
    id: str
    messages: int
    errors: int
    closed: bool
    busy: bool
    send_reply: Callable[[int, list[str]], bytes]
    send_text: Callable[[str], int]
    say: Callable[..., int]
    note: Callable[[Anomaly], None]
    close: Callable[[], None]
    run_async: Callable[[Coroutine[Any, Any, None]], None]

    # -- state ---------------------------------------------------------------------
    def reset_transaction(self) -> None:
        self.mail_from: str | None = None
        self.mail_params: dict[str, str | None] = {}
        self.recipients: list[str] = []
        self.rcpt_params: list[dict[str, str | None]] = []
        self.chunks: list[bytes] = []
        self.size = 0
        self.too_big = False
        self.tx_anomalies: list[dict[str, str]] = []
        self.auth_mechanism: str | None = None
        self.auth_secret_pending = False
        self.login_user: str | None = None

    def in_transaction(self) -> bool:
        return self.mail_from is not None

    def conn_in_data(self) -> bool:
        return self.conn.state in (ServerState.DATA, ServerState.BDAT)

    def fields(self, **extra: Any) -> dict[str, Any]:
        """Template fields, each computed only when a template uses it (hot path)."""
        return _LazyFields(self, extra)

    def ehlo_keywords(self) -> list[str]:
        words = []
        for keyword in self.persona.keywords:
            word = keyword.replace("{size}", str(self.config.max_message_size))
            name = word.split()[0].upper()
            if name in TLS_START_KEYWORDS and self.tls is not None:
                continue  # no server offers to start TLS again, not even a `fixed` one
            if not self.persona.fixed:
                if name == "STARTTLS" and not self.tls_available():
                    continue
                if name == "AUTH" and not self.auth_offered():
                    continue
            words.append(word)
        return words

    def advertised_keywords(self) -> frozenset[str]:
        keywords: frozenset[str] | None = _ADVERTISED.get(self.persona.name)
        if keywords is None:
            keywords = frozenset(k.split()[0].upper() for k in self.persona.keywords)
            _ADVERTISED[self.persona.name] = keywords
        return keywords

    # -- dispatch ------------------------------------------------------------------
    def handle(self, event: object) -> Pending:
        if isinstance(event, MessageData):
            if not self.too_big:
                self.size += len(event.data)
                if self.size > self.config.max_message_size:
                    self.too_big, self.chunks = True, []
                else:
                    self.chunks.append(event.data)
            return None
        if isinstance(event, ClientCommand):
            for anomaly in event.anomalies:
                self.note(anomaly)
            verb = event.verb
            # a BDAT chunk being read is answered at its end (ChunkEnd / MessageEnd)
            refusal = None if self.conn_in_data() else self.conn.out_of_sequence(verb)
            if refusal is not None:
                self.bad_command("bad_sequence", detail=refusal)
                return None
            name = _HANDLER_NAMES.get(verb)
            if name is None:
                name = _HANDLER_NAMES[verb] = f"on_{verb.lower()}"
                if len(_HANDLER_NAMES) > 256:  # verbs come from clients: stay bounded
                    _HANDLER_NAMES.clear()
            handler = getattr(self, name, None)
            if handler is None:
                self.bad_command("unknown")
                return None
            result: Pending = handler(event)
            return result
        if isinstance(event, MessageEnd):
            for anomaly in event.anomalies:
                self.note(anomaly)
            ended: Pending = self.on_message_end(event)
            return ended
        if isinstance(event, LineTooLong):
            for anomaly in event.anomalies:
                self.note(anomaly)
            self.bad_command("line_too_long")
            return None
        if isinstance(event, ChunkEnd):
            refusal = self.conn.out_of_sequence(ReplyTo.BDAT)
            if refusal is not None:
                self.bad_command("bad_sequence", detail=refusal)
                self.reset_transaction()
                return None
            if self.too_big or event.oversized:
                return self.respond("BDAT", None, "size_data", self.reset_transaction)
            return self.respond("BDAT", None, self.persona.reply("bdat_ok", self.fields()))
        if isinstance(event, AuthResponse):
            for anomaly in event.anomalies:
                self.note(anomaly)
            self.on_auth_response(event.text)
        return None

    def bad_command(self, key: str, **extra: Any) -> None:
        self.errors += 1
        if self.errors > self.config.limits.max_errors:
            self.say("too_many_errors")
            self.close()
        else:
            self.say(key, **extra)

    # -- rules ---------------------------------------------------------------------
    def respond(
        self,
        command: str,
        addresses: list[str] | None,
        normal: str,
        accepted: Callable[[], None] | None = None,
    ) -> Pending:
        """Send `normal` (a persona key or a "CODE text"), unless a rule says otherwise.

        `accepted` runs when the reply finally sent is 2xx/3xx (the command took effect).
        """
        text = self.persona.reply(normal, self.fields()) if " " not in normal else normal
        rule = self.rules.find(command, addresses, self.mail_from) if self.rules.rules else None
        if rule is None:
            if self.send_text(text) < 400 and accepted is not None:
                accepted()
            return None
        return self.apply_rule(rule, text, accepted)

    async def apply_rule(
        self, rule: Rule, text: str, accepted: Callable[[], None] | None
    ) -> int | None:
        """Carry out `rule` instead of sending `text`; the code sent (None: hung up)."""
        if rule.delay:
            await asyncio.sleep(rule.delay)
        if rule.reply is not None:
            code, lines = rule.reply
        else:
            code, lines = parse_reply(text)
        if rule.action == "disconnect":
            if rule.reply is not None:
                self.send_reply(code, lines)
            self.close()
            return None
        if rule.action == "tarpit":
            wire = self.conn.send(self._reply_event(code, lines))
            for index in range(len(wire)):
                if self.closed or self.transport is None:
                    return None
                self.transport.write(wire[index : index + 1])
                await asyncio.sleep(rule.interval)
        else:
            self.send_reply(code, lines)
        if code < 400 and accepted is not None:
            accepted()
        if code == 421:
            self.close()
        return code

    @staticmethod
    def _reply_event(code: int, lines: list[str]) -> Any:
        from smtpcheck.protocol.events import Reply

        return Reply.build(code, *lines)

    # -- commands ------------------------------------------------------------------
    def on_ehlo(self, event: ClientCommand) -> Pending:
        if self.config.lmtp:
            self.bad_command("unknown")
            return None
        return self._hello(event, "ehlo")

    def on_lhlo(self, event: ClientCommand) -> Pending:
        if not self.config.lmtp:
            self.bad_command("unknown")
            return None
        return self._hello(event, "lhlo")

    def on_helo(self, event: ClientCommand) -> Pending:
        if self.config.lmtp:
            self.bad_command("unknown")
            return None
        return self._hello(event, "helo")

    def _hello(self, event: ClientCommand, kind: str) -> Pending:
        name = event.argument.strip()
        if not name or " " in name or event.syntax_error is not None:
            self.bad_command("syntax", detail=f"{event.verb} hostname")
            return None
        self.helo = name
        self.reset_transaction()
        if kind == "helo":
            text = self.persona.reply("helo", self.fields())
        else:
            lines = [self.persona.reply(kind, self.fields()), *self.ehlo_keywords()]
            text = "250 " + "\n".join(lines)
        return self.respond(event.verb, [name], text)

    def on_mail(self, event: ClientCommand) -> Pending:
        # out of sequence (no HELO, nested MAIL) was refused by `handle`
        if event.address is None:
            self.bad_command("syntax", detail="MAIL FROM:<address>")
            return None
        body = (event.params.get("BODY") or "").upper()
        if (
            "BODY" in event.params
            and body not in BODY_VALUES
            and not (body == "BINARYMIME" and "BINARYMIME" in self.advertised_keywords())
        ):
            self.bad_command("param", detail=f"BODY={body}")
            return None
        declared = event.params.get("SIZE")
        if declared and declared.isdigit() and int(declared) > self.config.max_message_size:
            return self.respond("MAIL", [event.address], "size_declared")
        address, params = event.address, dict(event.params)

        def accepted() -> None:
            self.mail_from, self.mail_params = address, params

        return self.respond("MAIL", [address], "mail_ok", accepted)

    def on_rcpt(self, event: ClientCommand) -> Pending:
        if event.address is None:
            self.bad_command("syntax", detail="RCPT TO:<address>")
            return None
        if len(self.recipients) >= self.config.limits.max_recipients:
            return self.respond("RCPT", [event.address], "too_many_rcpts")
        greylist = self.rules.greylist
        if greylist is not None and greylist.check(self.client_ip, self.mail_from, event.address):
            text = (
                f"{greylist.reply[0]} " + "\n".join(greylist.reply[1])
                if greylist.reply
                else self.persona.reply("greylisted", self.fields(rcpt=event.address))
            )
            return self.respond("RCPT", [event.address], text)
        address, params = event.address, dict(event.params)

        def accepted() -> None:
            self.recipients.append(address)
            self.rcpt_params.append(params)

        return self.respond("RCPT", [address], "rcpt_ok", accepted)

    def on_rset(self, event: ClientCommand) -> Pending:
        return self.respond("RSET", None, "rset", self.reset_transaction)

    def on_noop(self, event: ClientCommand) -> Pending:
        return self.respond("NOOP", None, "noop")

    def on_vrfy(self, event: ClientCommand) -> Pending:
        return self.respond("VRFY", [event.argument], "vrfy")

    def on_quit(self, event: ClientCommand) -> Pending:
        pending = self.respond("QUIT", None, "quit", self.close)
        return pending


class _LazyFields(dict[str, Any]):
    """Template fields of a session, made only when a template uses them (date, uuid...)."""

    def __init__(self, session: Any, extra: dict[str, Any]) -> None:
        super().__init__(extra)
        self.session = session

    def __missing__(self, key: str) -> Any:
        session = self.session
        value: Any
        if key == "hostname":
            value = session.config.hostname
        elif key == "client_ip":
            value = session.client_ip
        elif key == "helo":
            value = session.helo
        elif key == "size":
            value = session.size
        elif key == "date":
            value = exchange_date(time.time())
        elif key == "uuid":
            value = str(uuid.uuid4())
        elif key == "internal_id":
            value = str(random.randrange(10**12, 10**13))
        else:
            raise KeyError(key)
        self[key] = value
        return value
