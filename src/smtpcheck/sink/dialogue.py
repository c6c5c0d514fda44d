"""The SMTP dialogue of the sink: what it answers to each client event.

`Dialogue.handle` takes the events of the protocol core. A command reaches its handler
through a table that lists exactly the verbs served (`SMTP_COMMANDS`, `LMTP_COMMANDS`):
no method name is ever built from what a client sent, and any other verb gets the
persona's `unknown` reply (`500 5.5.2`) while the session goes on. Whether a command
comes in sequence (MAIL after EHLO, RCPT after MAIL...) is the protocol core's to say
(`ServerConnection.out_of_sequence`, from protocol/states.py). The message
(DATA/BDAT and storing) is handled by sink/dialogue_message.py, AUTH by
sink/dialogue_auth.py; STARTTLS decides here and switches transports in the session.

The parts receive the session's state and the objects they act through in one
`SessionContext` (sink/context.py); the connection only through `Link`
(sink/interfaces.py). The sink never relays: an accepted message is only ever
written to the store.
"""

from __future__ import annotations

import re
from collections.abc import Callable

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
from smtpcheck.sink.context import SessionContext
from smtpcheck.sink.dialogue_auth import AuthDialogue
from smtpcheck.sink.dialogue_message import MessageDialogue
from smtpcheck.sink.interfaces import Pending

BODY_VALUES = frozenset({"7BIT", "8BITMIME"})
TLS_START_KEYWORDS = frozenset({"STARTTLS", "X-ANONYMOUSTLS"})  # Exchange's too
TLS_ALERT_HANDSHAKE_FAILURE = b"\x15\x03\x03\x00\x02\x02\x28"
_ADVERTISED: dict[str, frozenset[str]] = {}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def advertised_keywords(persona_name: str, keywords: tuple[str, ...]) -> frozenset[str]:
    """The EHLO keywords (first words, upper-case) a persona may offer, cached by name."""
    found = _ADVERTISED.get(persona_name)
    if found is None:
        found = _ADVERTISED[persona_name] = frozenset(k.split()[0].upper() for k in keywords)
    return found


def peer_text_ok(text: str) -> bool:
    """No control character (NUL, CR, TAB, ESC...) in a name or address from the client:
    it would be stored, echoed in replies and shown on terminals."""
    return text.isprintable() or _CONTROL.search(text) is None


class Dialogue:
    """The dialogue of one session (see the module docstring)."""

    __slots__ = ("auth", "commands", "config", "conn", "host", "link", "message", "say", "state")

    def __init__(self, context: SessionContext) -> None:
        self.state, self.link, self.conn = context.state, context.link, context.conn
        self.host, self.config, self.say = context.host, context.config, context.say
        self.auth = AuthDialogue(context)
        self.message = MessageDialogue(context)
        self.commands = LMTP_COMMANDS if self.config.lmtp else SMTP_COMMANDS

    # -- events --------------------------------------------------------------------
    def handle(self, event: object) -> Pending:
        """Answer one event of the protocol core (a coroutine when the reply must wait)."""
        if isinstance(event, MessageData):
            self.message.content(event.data)
            return None
        if isinstance(event, ClientCommand):
            return self.command(event)
        if isinstance(event, MessageEnd):
            self.note_all(event.anomalies, False)
            return self.message.end(event.oversized)
        if isinstance(event, LineTooLong):
            return self.line_too_long(event)
        if isinstance(event, ChunkEnd):
            return self.message.chunk_end(event.oversized)
        if isinstance(event, AuthResponse):
            self.note_all(event.anomalies, True)
            self.auth.answer(event.text)
        return None

    def command(self, event: ClientCommand) -> Pending:
        handler = self.commands.get(event.verb)
        state = self.state
        secret = state.auth_secret
        if secret and handler is not None:
            state.auth_secret = secret = False  # a command again, not an early AUTH answer
        self.note_all(event.anomalies, secret)
        if handler is None:
            self.say.bad_command("unknown")
            return None
        # a BDAT chunk being read is answered at its end (ChunkEnd / MessageEnd); AUTH
        # refuses itself (its answer may follow unasked: see sink/dialogue_auth.py)
        if handler is not Dialogue.auth_command and self.conn.state is not ServerState.BDAT:
            refusal = self.conn.out_of_sequence(event.verb)
            if refusal is not None:
                self.say.bad_command("bad_sequence", detail=refusal)
                return None
        return handler(self, event)

    def line_too_long(self, event: LineTooLong) -> Pending:
        state = self.state
        self.note_all(event.anomalies, state.auth_exchange is not None)
        if state.auth_exchange is not None:  # an over-long answer to a 334: it ends there
            self.auth.abandon()
        self.say.bad_command("line_too_long")
        return None

    def note_all(self, anomalies: tuple[Anomaly, ...], secret: bool) -> None:
        for anomaly in anomalies:
            self.link.note(anomaly, secret)

    # -- what the server offers ----------------------------------------------------
    def tls_available(self) -> bool:
        return self.config.starttls and self.host.tls_context is not None

    def ehlo_keywords(self) -> list[str]:
        words = []
        persona = self.config.persona
        for keyword in persona.keywords:
            word = keyword.replace("{size}", str(self.config.max_message_size))
            name = word.split()[0].upper()
            if name in TLS_START_KEYWORDS and self.state.tls is not None:
                continue  # no server offers to start TLS again, not even a `fixed` one
            if not persona.fixed:
                if name == "STARTTLS" and not self.tls_available():
                    continue
                if name == "AUTH" and not self.auth.offered():
                    continue
            words.append(word)
        return words

    # -- commands ------------------------------------------------------------------
    def hello(self, event: ClientCommand) -> Pending:
        name = event.argument.strip()
        if not name or " " in name or event.syntax_error is not None or not peer_text_ok(name):
            self.say.bad_command("syntax", detail=f"{event.verb} hostname")
            return None
        self.state.helo = name
        self.state.reset_transaction()
        if event.verb == "HELO":
            text = self.say.text("helo")
        else:
            lines = [self.say.text(event.verb.lower()), *self.ehlo_keywords()]
            text = "250 " + "\n".join(lines)
        return self.say.respond(event.verb, [name], text)

    def mail(self, event: ClientCommand) -> Pending:
        state = self.state
        address = event.address
        if address is None or not _path_ok(event):
            self.say.bad_command("syntax", detail="MAIL FROM:<address>")
            return None
        body = (event.params.get("BODY") or "").upper()
        if (
            "BODY" in event.params
            and body not in BODY_VALUES
            and not (body == "BINARYMIME" and "BINARYMIME" in self.conn.advertised)
        ):
            self.say.bad_command("param", detail=f"BODY={body}")
            return None
        declared = event.params.get("SIZE")
        if declared and declared.isdigit() and int(declared) > self.config.max_message_size:
            return self.say.respond("MAIL", [address], "size_declared")
        params = dict(event.params)

        def accepted() -> None:
            transaction = state.transaction
            transaction.mail_from, transaction.mail_params = address, params

        return self.say.respond("MAIL", [address], "mail_ok", accepted)

    def rcpt(self, event: ClientCommand) -> Pending:
        state = self.state
        sender = state.transaction.mail_from or ""
        address = event.address
        if address is None or not _path_ok(event):
            # before anything is stored: in LMTP a recipient accepted here gets its own
            # reply after the data, which must never fail half-way (duplicate delivery)
            self.say.bad_command("syntax", detail="RCPT TO:<address>")
            return None
        if len(state.transaction.recipients) >= self.config.limits.max_recipients:
            return self.say.respond("RCPT", [address], "too_many_rcpts")
        greylist = self.config.rules.greylist
        if greylist is not None and greylist.check(state.client_ip, sender, address):
            text = (
                f"{greylist.reply[0]} " + "\n".join(greylist.reply[1])
                if greylist.reply
                else self.say.text("greylisted", rcpt=address)
            )
            return self.say.respond("RCPT", [address], text)
        params = dict(event.params)

        def accepted() -> None:
            state.transaction.recipients.append(address)
            state.transaction.rcpt_params.append(params)

        return self.say.respond("RCPT", [address], "rcpt_ok", accepted)

    def rset(self, event: ClientCommand) -> Pending:
        return self.say.respond("RSET", None, "rset", self.state.reset_transaction)

    def noop(self, event: ClientCommand) -> Pending:
        return self.say.respond("NOOP", None, "noop")

    def vrfy(self, event: ClientCommand) -> Pending:
        if event.syntax_error is not None:
            self.say.bad_command("syntax", detail="VRFY user")
            return None
        return self.say.respond("VRFY", [event.argument], "vrfy")

    def quit(self, event: ClientCommand) -> Pending:
        return self.say.respond("QUIT", None, "quit", self.link.close)

    def data(self, event: ClientCommand) -> Pending:
        return self.message.data()

    def bdat(self, event: ClientCommand) -> Pending:
        return self.message.bdat()

    def auth_command(self, event: ClientCommand) -> Pending:
        self.auth.start(event.argument, self.conn.out_of_sequence(ReplyTo.AUTH))
        return None

    # -- STARTTLS ------------------------------------------------------------------
    def starttls(self, event: ClientCommand) -> Pending:
        if self.state.tls is not None or not self.tls_available():
            self.say.bad_command(
                "bad_sequence" if self.state.tls else "tls_unavailable",
                detail="TLS already active",
            )
            return None
        if event.argument:
            self.say.bad_command("syntax", detail="STARTTLS takes no argument")
            return None
        self.link.hold_input()  # the ClientHello must reach the TLS layer, not the core
        return self.start_tls()

    async def start_tls(self) -> None:
        rules = self.config.rules
        rule = rules.find("STARTTLS", None, None) if rules.rules else None
        if rule is not None:
            await self.say.apply_rule(rule, self.say.text("starttls_go"), None)
            if self.link.closed or (rule.reply is not None and rule.reply[0] >= 400):
                if not self.link.closed:
                    self.link.resume_input()
                return
        else:
            self.say.say("starttls_go")
        self.conn.start_tls()  # discards what came in clear after STARTTLS (CVE-2011-0411)
        if rules.starttls_fail:
            self.link.write_raw(TLS_ALERT_HANDSHAKE_FAILURE)
            self.link.note(Anomaly("starttls-failed-on-purpose", "handshake failure sent (rule)"))
            self.link.close()
            return
        facts = await self.link.upgrade_to_tls()
        if facts is None:
            return
        self.state.tls = facts
        self.state.helo = ""
        self.state.reset_transaction()


def _path_ok(event: ClientCommand) -> bool:
    """A MAIL/RCPT path the sink may accept: understood by the core, no control in it."""
    if event.syntax_error is not None or event.address is None:
        return False
    return peer_text_ok(event.address) and all(
        peer_text_ok(key) and (value is None or peer_text_ok(value))
        for key, value in event.params.items()
    )


Handler = Callable[[Dialogue, ClientCommand], Pending]
_COMMON: dict[str, Handler] = {
    "MAIL": Dialogue.mail,
    "RCPT": Dialogue.rcpt,
    "DATA": Dialogue.data,
    "BDAT": Dialogue.bdat,
    "RSET": Dialogue.rset,
    "NOOP": Dialogue.noop,
    "VRFY": Dialogue.vrfy,
    "QUIT": Dialogue.quit,
    "AUTH": Dialogue.auth_command,
    "STARTTLS": Dialogue.starttls,
}
#: every verb the sink serves, and its handler (any other verb: `unknown`)
SMTP_COMMANDS: dict[str, Handler] = {"EHLO": Dialogue.hello, "HELO": Dialogue.hello, **_COMMON}
LMTP_COMMANDS: dict[str, Handler] = {"LHLO": Dialogue.hello, **_COMMON}
