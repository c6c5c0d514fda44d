"""The message itself: DATA, BDAT, the end of data, and the durable store before the 250.

At the end of the data the message is handed to the group committer (sink/commit.py or
sink/writer.py); the final 250 is sent only once it is durable. A rule on EOD with a
4xx/5xx reply refuses the message: it is not stored. Content beyond the size limit is
counted, not kept.
"""

from __future__ import annotations

import time

from smtpcheck.protocol.events import ReplyTo
from smtpcheck.protocol.states import ServerState
from smtpcheck.sink.context import SessionContext
from smtpcheck.sink.interfaces import Pending
from smtpcheck.sink.rules import Rule
from smtpcheck.sink.state import new_id
from smtpcheck.sink.store import Envelope


class MessageDialogue:
    """DATA / BDAT / end of data, for one session."""

    __slots__ = ("config", "conn", "host", "link", "say", "state")

    def __init__(self, context: SessionContext) -> None:
        self.state, self.link, self.conn = context.state, context.link, context.conn
        self.host, self.config, self.say = context.host, context.config, context.say

    def data(self) -> Pending:
        # without an accepted recipient DATA is out of sequence: refused by the dialogue
        return self.say.respond("DATA", self.state.transaction.recipients, "data_go")

    def bdat(self) -> Pending:
        # A valid BDAT: the core reads the chunk by its octet count and we answer at
        # ChunkEnd/MessageEnd. An invalid one is still waiting for its reply.
        if self.conn.state is not ServerState.BDAT:
            self.say.bad_command("syntax", detail="BDAT size [LAST]")
        return None

    def content(self, data: bytes) -> None:
        transaction = self.state.transaction
        if transaction.content_started is None:  # the message's deadlines start
            transaction.content_started = time.monotonic()
        transaction.content_received += len(data)
        if not transaction.too_big:
            transaction.size += len(data)
            if transaction.size > self.config.max_message_size:
                transaction.too_big, transaction.chunks = True, []
            else:
                transaction.chunks.append(data)

    def refused(self, end: ReplyTo) -> bool:
        """The end of a chunk or message out of sequence (no recipient): 503, reset."""
        refusal = self.conn.out_of_sequence(end)
        if refusal is None:
            return False
        self.say.bad_command("bad_sequence", detail=refusal)
        self.state.reset_transaction()
        return True

    def chunk_end(self, oversized: bool) -> Pending:
        state = self.state
        if self.refused(ReplyTo.BDAT):
            return None
        if state.transaction.too_big or oversized:
            return self.say.respond("BDAT", None, "size_data", state.reset_transaction)
        return self.say.respond("BDAT", None, self.say.text("bdat_ok"))

    def end(self, oversized: bool) -> Pending:
        state = self.state
        transaction = state.transaction
        if self.refused(ReplyTo.END_OF_DATA):
            return None
        if transaction.too_big or oversized:
            return self.say.respond(
                "EOD", transaction.recipients, "size_data", state.reset_transaction
            )
        rules = self.config.rules
        rule = (
            rules.find("EOD", transaction.recipients, transaction.mail_from)
            if rules.rules
            else None
        )
        if rule is not None and rule.reply is not None and rule.reply[0] >= 400:
            return self.say.apply_rule(rule, "", state.reset_transaction)
        self.store(rule)
        return None

    def store(self, rule: Rule | None) -> None:
        """Hand the message to the group committer; answer once it is durable.

        No task per message (hot path): the session is held until the committer's
        callback runs on the loop, which sends the 250 and releases the session.
        """
        state = self.state
        transaction = state.transaction
        protocol = (
            ("LMTP" if self.config.lmtp else "ESMTP")
            + ("S" if state.tls else "")
            + ("A" if state.auth else "")
        )
        envelope = Envelope(
            id=new_id(),
            mail_from=transaction.mail_from or "",
            recipients=list(transaction.recipients),
            data=b"".join(transaction.chunks),
            mail_params=transaction.mail_params,
            rcpt_params=list(transaction.rcpt_params),
            client=state.client,
            helo=state.helo,
            protocol=protocol,
            tls=state.tls,
            auth=state.auth,
            session_id=state.id,
            anomalies=transaction.anomalies.as_list(),
            hostname=self.config.hostname,
        )
        committer = self.host.committer
        assert committer is not None, "the server starts its committer before listening"
        self.link.hold()
        committer.submit(envelope, lambda error: self.stored(envelope, rule, error))

    def stored(self, envelope: Envelope, rule: Rule | None, error: BaseException | None) -> None:
        """The committer's answer (on the loop): durable, or `error`."""
        if self.link.closed:
            return  # the client left: stored anyway, nobody to tell
        recipients = self.state.transaction.recipients
        self.state.reset_transaction()
        if error is not None:
            self.link.emit({"event": "error", "detail": f"cannot store message: {error}"})
            self.say.say("storage_failed")
        else:
            self.state.messages += 1
            self.answer_stored(envelope, recipients, rule)
        self.link.release()

    def answer_stored(self, envelope: Envelope, recipients: list[str], rule: Rule | None) -> None:
        size = len(envelope.data)
        if self.link.listening:
            self.link.emit(
                {
                    "event": "message",
                    "id": envelope.id,
                    "mail_from": envelope.mail_from,
                    "recipients": envelope.recipients,
                    "size": size,
                    "subject": _subject(envelope.data),
                    "anomalies": envelope.anomalies,
                }
            )
        fields = self.say.fields(id=envelope.id, size=size)
        persona = self.config.persona
        if self.config.lmtp:
            for rcpt in recipients:
                self.say.send_text(persona.reply("lmtp_rcpt_ok", fields, rcpt=rcpt), False)
        elif rule is not None:
            self.link.run_async(self.say.apply_rule(rule, persona.reply("eod_ok", fields), None))
        else:
            self.say.send_single_line(persona.reply("eod_ok", fields))


def _subject(data: bytes) -> str | None:
    from smtpcheck.sink.store import decode_mime_words, parse_headers

    head = data[:8192]
    value = next((v for k, v in parse_headers(head) if k.lower() == "subject"), None)
    return decode_mime_words(value)
