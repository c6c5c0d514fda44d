"""The message itself: DATA, BDAT, the end of data, and the durable store before the 250.

A mixin of `SinkSession` (see sink/handlers.py). At the end of the data the message is
handed to the group committer (sink/commit.py); the final 250 is sent only once it is
durable. A rule on EOD with a 4xx/5xx reply refuses the message: it is not stored.
"""

from __future__ import annotations

from typing import Any

from smtpcheck.protocol.events import ReplyTo
from smtpcheck.protocol.server_events import ClientCommand, MessageEnd
from smtpcheck.protocol.states import ServerState
from smtpcheck.sink.rules import Rule
from smtpcheck.sink.store import Envelope

Pending = Any


class MessageHandlers:
    """DATA / BDAT / end of data. Attributes used here are set by `SinkSession.__init__`."""

    server: Any
    config: Any
    persona: Any
    rules: Any
    conn: Any
    id: str
    client: str
    helo: str
    tls: dict[str, Any] | None
    auth: dict[str, Any] | None
    messages: int
    mail_from: str | None
    mail_params: dict[str, str | None]
    recipients: list[str]
    rcpt_params: list[dict[str, str | None]]
    chunks: list[bytes]
    too_big: bool
    tx_anomalies: list[dict[str, str]]
    bad_command: Any
    respond: Any
    apply_rule: Any
    reset_transaction: Any
    say: Any
    send_text: Any
    fields: Any
    pump: Any
    fail_internal: Any
    new_id: Any
    send_single_line: Any
    run_async: Any
    loop: Any
    last_activity: float
    busy: bool
    closed: bool

    def on_data(self, event: ClientCommand) -> Pending:
        # without an accepted recipient DATA is out of sequence: refused by `handle`
        return self.respond("DATA", self.recipients, "data_go")

    def on_bdat(self, event: ClientCommand) -> Pending:
        # A valid BDAT: the core reads the chunk by its octet count and we answer at
        # ChunkEnd/MessageEnd. An invalid one is still waiting for its reply.
        if self.conn.state is not ServerState.BDAT:
            self.bad_command("syntax", detail="BDAT size [LAST]")
        return None

    def on_message_end(self, event: MessageEnd) -> Pending:
        refusal = self.conn.out_of_sequence(ReplyTo.END_OF_DATA)
        if refusal is not None:
            self.bad_command("bad_sequence", detail=refusal)
            self.reset_transaction()
            return None
        if self.too_big or event.oversized:
            return self.respond("EOD", self.recipients, "size_data", self.reset_transaction)
        rule = self.rules.find("EOD", self.recipients, self.mail_from) if self.rules.rules else None
        if rule is not None and rule.reply is not None and rule.reply[0] >= 400:
            return self.apply_rule(rule, "", self.reset_transaction)
        self.store_message(rule)
        return None

    def store_message(self, rule: Rule | None) -> None:
        """Hand the message to the group committer; answer once it is durable.

        No task per message (hot path): the session is `busy` until the committer's
        callback runs on the loop, which sends the 250 and resumes the session.
        """
        data = b"".join(self.chunks)
        protocol = (
            ("LMTP" if self.config.lmtp else "ESMTP")
            + ("S" if self.tls else "")
            + ("A" if self.auth else "")
        )
        envelope = Envelope(
            id=self.new_id(),
            mail_from=self.mail_from or "",
            recipients=list(self.recipients),
            data=data,
            mail_params=self.mail_params,
            rcpt_params=list(self.rcpt_params),
            client=self.client,
            helo=self.helo,
            protocol=protocol,
            tls=self.tls,
            auth=self.auth,
            session_id=self.id,
            anomalies=list(self.tx_anomalies),
            hostname=self.config.hostname,
        )
        self.busy = True
        self.server.committer.submit(envelope, lambda error: self._stored(envelope, rule, error))

    def _stored(self, envelope: Envelope, rule: Rule | None, error: BaseException | None) -> None:
        """The committer's answer (on the loop): durable, or `error`."""
        try:
            self._answer_stored(envelope, rule, error)
        except Exception as exc:  # a bug here must not leave the session hanging
            self.fail_internal(exc)

    def _answer_stored(
        self, envelope: Envelope, rule: Rule | None, error: BaseException | None
    ) -> None:
        if self.closed:
            return  # the client left: stored anyway, nobody to tell
        self.busy = False
        self.last_activity = self.loop.time()
        recipients = self.recipients
        self.reset_transaction()
        if error is not None:
            self.server.emit(
                {
                    "event": "error",
                    "session": self.id,
                    "client": self.client,
                    "detail": f"cannot store message: {error}",
                }
            )
            self.say("storage_failed")
            self.pump()
            return
        self.messages += 1
        size = len(envelope.data)
        if self.server.on_event is not None:
            self.server.emit(
                {
                    "event": "message",
                    "session": self.id,
                    "client": self.client,
                    "id": envelope.id,
                    "mail_from": envelope.mail_from,
                    "recipients": envelope.recipients,
                    "size": size,
                    "subject": _subject(envelope.data),
                    "anomalies": envelope.anomalies,
                }
            )
        fields = self.fields(id=envelope.id, size=size)
        if self.config.lmtp:
            for rcpt in recipients:
                self.send_text(self.persona.reply("lmtp_rcpt_ok", fields, rcpt=rcpt), False)
        elif rule is not None:
            self.run_async(self._apply_eod_rule(rule, self.persona.reply("eod_ok", fields)))
            return
        else:
            self.send_single_line(self.persona.reply("eod_ok", fields))
        self.pump()

    async def _apply_eod_rule(self, rule: Rule, text: str) -> None:
        await self.apply_rule(rule, text, None)


def _subject(data: bytes) -> str | None:
    from smtpcheck.sink.store import decode_mime_words, parse_headers

    head = data[:8192]
    value = next((v for k, v in parse_headers(head) if k.lower() == "subject"), None)
    return decode_mime_words(value)
