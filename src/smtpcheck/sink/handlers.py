"""What the sink answers to each client event: the SMTP dialogue of `SinkSession`.

A mixin, so the I/O (sink/session.py) and the dialogue stay in separate short files.
Every reply text comes from the persona; every reply may be replaced, delayed, turned
into a disconnect or a tarpit by a rule (`respond`). The sink never relays: an accepted
message is only ever written to the store.
"""

from __future__ import annotations

import asyncio
import random
import ssl
import time
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from smtpcheck.protocol.events import (
    Anomaly,
    AuthResponse,
    ChunkEnd,
    ClientCommand,
    MessageData,
    MessageEnd,
)
from smtpcheck.protocol.states import ServerState
from smtpcheck.sink.auth import MECHANISMS, b64decode, b64encode, decode_plain
from smtpcheck.sink.personas import exchange_date
from smtpcheck.sink.rules import Rule, parse_reply
from smtpcheck.sink.store import Envelope

Pending = Coroutine[Any, Any, None] | None
TLS_ALERT_HANDSHAKE_FAILURE = b"\x15\x03\x03\x00\x02\x02\x28"
BODY_VALUES = {"7BIT", "8BITMIME"}


class CommandHandlers:
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
        base = {"hostname": self.config.hostname, "client_ip": self.client_ip,
                "helo": self.helo, "size": self.size}
        base.update(extra)
        return _LazyFields(base)

    def auth_offered(self) -> bool:
        return self.config.auth and (self.tls is not None or not self.config.auth_requires_tls)

    def tls_available(self) -> bool:
        return self.config.starttls and self.server.tls_context is not None

    def ehlo_keywords(self) -> list[str]:
        words = []
        for keyword in self.persona.keywords:
            word = keyword.replace("{size}", str(self.config.max_message_size))
            name = word.split()[0].upper()
            if not self.persona.fixed:
                if name == "STARTTLS" and (self.tls is not None or not self.tls_available()):
                    continue
                if name == "AUTH" and not self.auth_offered():
                    continue
            words.append(word)
        return words

    def advertised_keywords(self) -> frozenset[str]:
        return frozenset(k.split()[0].upper() for k in self.persona.keywords)

    @staticmethod
    def tls_facts(transport: asyncio.BaseTransport) -> dict[str, Any] | None:
        ssl_object: ssl.SSLObject | None = transport.get_extra_info("ssl_object")
        if ssl_object is None:
            return None
        cipher = ssl_object.cipher()
        return {"version": ssl_object.version(), "cipher": cipher[0] if cipher else None}

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
            handler = getattr(self, f"on_{event.verb.lower()}", None) if event.verb else None
            if not event.verb:
                self.bad_command("line_too_long")
                return None
            if handler is None:
                self.bad_command("unknown")
                return None
            result: Pending = handler(event)
            return result
        if isinstance(event, MessageEnd):
            for anomaly in event.anomalies:
                self.note(anomaly)
            return self.on_message_end()
        if isinstance(event, ChunkEnd):
            if not self.recipients:
                self.bad_command("bad_sequence", detail="no valid recipients")
                self.reset_transaction()
                return None
            if self.too_big:
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
    def respond(self, command: str, addresses: list[str] | None, normal: str,
                accepted: Callable[[], None] | None = None) -> Pending:
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

    async def apply_rule(self, rule: Rule, text: str,
                         accepted: Callable[[], None] | None) -> None:
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
            return
        if rule.action == "tarpit":
            wire = self.conn.send(self._reply_event(code, lines))
            for index in range(len(wire)):
                if self.closed or self.transport is None:
                    return
                self.transport.write(wire[index : index + 1])
                await asyncio.sleep(rule.interval)
        else:
            self.send_reply(code, lines)
        if code < 400 and accepted is not None:
            accepted()
        if code == 421:
            self.close()

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
        if not name or " " in name:
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
        if not self.helo:
            self.bad_command("bad_sequence", detail="send HELO/EHLO first")
            return None
        if self.mail_from is not None:
            self.bad_command("bad_sequence", detail="nested MAIL command")
            return None
        if event.address is None:
            self.bad_command("syntax", detail="MAIL FROM:<address>")
            return None
        body = (event.params.get("BODY") or "").upper()
        if "BODY" in event.params and body not in BODY_VALUES and not (
                body == "BINARYMIME" and "BINARYMIME" in self.advertised_keywords()):
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
        if self.mail_from is None:
            self.bad_command("bad_sequence", detail="need MAIL command")
            return None
        if event.address is None:
            self.bad_command("syntax", detail="RCPT TO:<address>")
            return None
        if len(self.recipients) >= self.config.limits.max_recipients:
            return self.respond("RCPT", [event.address], "too_many_rcpts")
        greylist = self.rules.greylist
        if greylist is not None and greylist.check(self.client_ip, self.mail_from, event.address):
            text = (f"{greylist.reply[0]} " + "\n".join(greylist.reply[1]) if greylist.reply
                    else self.persona.reply("greylisted", self.fields(rcpt=event.address)))
            return self.respond("RCPT", [event.address], text)
        address, params = event.address, dict(event.params)

        def accepted() -> None:
            self.recipients.append(address)
            self.rcpt_params.append(params)

        return self.respond("RCPT", [address], "rcpt_ok", accepted)

    def on_data(self, event: ClientCommand) -> Pending:
        if not self.recipients:
            self.bad_command("bad_sequence", detail="no valid recipients")
            return None

        return self.respond("DATA", self.recipients, "data_go")

    def on_bdat(self, event: ClientCommand) -> Pending:
        # A valid BDAT: the core reads the chunk by its octet count and we answer at
        # ChunkEnd/MessageEnd. An invalid one is still waiting for its reply.
        if self.conn.state is not ServerState.BDAT:
            self.bad_command("syntax", detail="BDAT size [LAST]")
        return None

    def on_message_end(self) -> Pending:
        if not self.recipients:
            self.bad_command("bad_sequence", detail="no valid recipients")
            self.reset_transaction()
            return None
        if self.too_big:
            return self.respond("EOD", self.recipients, "size_data", self.reset_transaction)
        rule = self.rules.find("EOD", self.recipients, self.mail_from) if self.rules.rules else None
        if rule is not None and rule.reply is not None and rule.reply[0] >= 400:
            return self.apply_rule(rule, "", self.reset_transaction)
        return self.store_message(rule)

    async def store_message(self, rule: Rule | None) -> None:
        data = b"".join(self.chunks)
        protocol = ("LMTP" if self.config.lmtp else "ESMTP") + ("S" if self.tls else "") + (
            "A" if self.auth else "")
        envelope = Envelope(
            id=_message_id(), mail_from=self.mail_from or "", recipients=list(self.recipients),
            data=data, mail_params=self.mail_params, rcpt_params=list(self.rcpt_params),
            client=self.client, helo=self.helo, protocol=protocol, tls=self.tls, auth=self.auth,
            session_id=self.id, anomalies=list(self.tx_anomalies),
            hostname=self.config.hostname,
        )
        try:
            await self.server.committer.submit(envelope)
        except Exception as exc:
            self.server.emit({"event": "error", "session": self.id, "client": self.client,
                              "detail": f"cannot store message: {exc}"})
            self.say("storage_failed")
            self.reset_transaction()
            return
        self.messages += 1
        self.server.emit({
            "event": "message", "session": self.id, "client": self.client, "id": envelope.id,
            "mail_from": envelope.mail_from, "recipients": envelope.recipients,
            "size": len(data), "subject": _subject(data), "anomalies": envelope.anomalies,
        })
        fields = self.fields(id=envelope.id, size=len(data))
        recipients = list(self.recipients)
        self.reset_transaction()
        if self.config.lmtp:
            for rcpt in recipients:
                self.send_text(self.persona.reply("lmtp_rcpt_ok", fields, rcpt=rcpt))
            return
        text = self.persona.reply("eod_ok", fields)
        if rule is not None:
            await self.apply_rule(rule, text, None)
        else:
            self.send_text(text)

    def on_rset(self, event: ClientCommand) -> Pending:
        return self.respond("RSET", None, "rset", self.reset_transaction)

    def on_noop(self, event: ClientCommand) -> Pending:
        return self.respond("NOOP", None, "noop")

    def on_vrfy(self, event: ClientCommand) -> Pending:
        return self.respond("VRFY", [event.argument], "vrfy")

    def on_quit(self, event: ClientCommand) -> Pending:
        pending = self.respond("QUIT", None, "quit", self.close)
        return pending

    def on_starttls(self, event: ClientCommand) -> Pending:
        if self.tls is not None or not self.tls_available():
            self.bad_command("bad_sequence" if self.tls else "tls_unavailable",
                             detail="TLS already active")
            return None
        if event.argument:
            self.bad_command("syntax", detail="STARTTLS takes no argument")
            return None
        if self.transport is not None:
            self.transport.pause_reading()  # the ClientHello must reach the TLS layer
        return self.start_tls()

    async def start_tls(self) -> None:
        rule = self.rules.find("STARTTLS", None, None) if self.rules.rules else None
        if rule is not None:
            await self.apply_rule(rule, self.persona.reply("starttls_go", self.fields()), None)
            if self.closed or (rule.reply is not None and rule.reply[0] >= 400):
                if self.transport is not None and not self.closed:
                    self.transport.resume_reading()
                return
        else:
            self.say("starttls_go")
        seen = len(self.conn.anomalies)
        self.conn.start_tls()  # discards what came in clear after STARTTLS (CVE-2011-0411)
        for anomaly in self.conn.anomalies[seen:]:
            self.note(anomaly)
        assert self.transport is not None
        if self.rules.starttls_fail:
            self.transport.write(TLS_ALERT_HANDSHAKE_FAILURE)
            self.note(Anomaly("starttls-failed-on-purpose", "handshake failure sent (rule)"))
            self.close()
            return
        try:
            new_transport = await self.loop.start_tls(
                self.transport, self, self.server.tls_context, server_side=True,  # type: ignore[arg-type]
                ssl_handshake_timeout=self.config.limits.command_timeout,
            )
        except (TimeoutError, OSError, ssl.SSLError, ConnectionError) as exc:
            self.note(Anomaly("tls-handshake-failed", str(exc)[:200]))
            self.close()
            return
        if new_transport is None:
            self.close()
            return
        self.transport = new_transport
        self.tls = self.tls_facts(new_transport)
        self.helo = ""
        self.reset_transaction()

    def on_auth(self, event: ClientCommand) -> Pending:
        if not self.auth_offered() or self.auth is not None or self.mail_from is not None:
            self.bad_command("bad_sequence", detail="AUTH not allowed now")
            return None
        mechanism, _, initial = event.argument.partition(" ")
        mechanism = mechanism.upper()
        if mechanism not in MECHANISMS:
            self.bad_command("auth_mechanism")
            return None
        self.auth_mechanism = mechanism
        initial = initial.strip()
        if mechanism == "PLAIN":
            if initial and initial != "=":
                self.finish_plain(initial)
            else:
                self.ask("")
        elif initial:
            self.login_user = b64decode(initial)
            self.ask(b64encode("Password:"))
        else:
            self.ask(b64encode("Username:"))
        return None

    def ask(self, challenge: str) -> None:
        self.auth_secret_pending = True
        self.send_reply(334, [challenge])

    def on_auth_response(self, text: str) -> None:
        self.auth_secret_pending = False
        if text.strip() == "*":
            self.auth_mechanism = None
            self.say("auth_cancelled")
        elif self.auth_mechanism == "PLAIN":
            self.finish_plain(text)
        elif self.login_user is None:
            self.login_user = b64decode(text) or ""
            self.ask(b64encode("Password:"))
        else:
            self.finish_auth(self.login_user, b64decode(text))

    def finish_plain(self, text: str) -> None:
        decoded = decode_plain(text)
        self.finish_auth(*(decoded or ("", None)))

    def finish_auth(self, user: str, password: str | None) -> None:
        mechanism, self.auth_mechanism, self.login_user = self.auth_mechanism, None, None
        if password is not None and self.server.authenticator.check(user, password):
            self.auth = {"user": user, "mechanism": mechanism}
            self.say("auth_ok")
        else:
            self.bad_command("auth_failed")


class _LazyFields(dict[str, Any]):
    """Template fields; the costly ones (date, uuid, internal_id) made only when used."""

    def __missing__(self, key: str) -> Any:
        if key == "date":
            value: Any = exchange_date(time.time())
        elif key == "uuid":
            value = str(uuid.uuid4())
        elif key == "internal_id":
            value = str(random.randrange(10**12, 10**13))
        else:
            raise KeyError(key)
        self[key] = value
        return value


def _message_id() -> str:
    from smtpcheck.sink.session import new_id

    return new_id()


def _subject(data: bytes) -> str | None:
    from smtpcheck.sink.store import decode_mime_words, parse_headers

    head = data[:8192]
    value = next((v for k, v in parse_headers(head) if k.lower() == "subject"), None)
    return decode_mime_words(value)
