"""The client role: commands in, wire bytes out; wire bytes in, `Reply` events out.

Every command sent queues the reply it expects, so PIPELINING is "send several, then
read" and each `Reply.command` says what it answers (a `ReplyTo`). Whether a command may
be sent is checked against the *projected* state (the state once every queued command has
been accepted); replies then move the confirmed `state` by the table in `states.py`.

A reply that began to arrive before the command it would answer was sent cannot be that
command's reply: it is returned as `unsolicited` (e.g. a second reply sent together with
the greeting) and the command still awaits its own, so the dialogue stays in step.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace

from smtpcheck.protocol.commands import bdat
from smtpcheck.protocol.data import encode_message
from smtpcheck.protocol.ehlo import EhloInfo, parse_ehlo
from smtpcheck.protocol.errors import LocalProtocolError, RemoteProtocolError, quote_bytes
from smtpcheck.protocol.events import (
    CONNECTION_CLOSED,
    NEED_DATA,
    Anomaly,
    AnomalyKind,
    Command,
    Reply,
    ReplyTo,
    Sentinel,
)
from smtpcheck.protocol.replies import (
    DEFAULT_MAX_EHLO_REPLY_SIZE,
    DEFAULT_MAX_LINE_LENGTH,
    DEFAULT_MAX_REPLY_LINES,
    DEFAULT_MAX_REPLY_SIZE,
    ReplyReader,
)
from smtpcheck.protocol.states import (
    BATCH_END,
    CLIENT_REPLY,
    CLIENT_SEND,
    HELLO,
    ClientState,
    Outcome,
    outcome_of,
)


@dataclass(slots=True)
class _Expect:
    """One awaited reply."""

    to: ReplyTo  # what `Reply.command` will say; the key in the tables
    sent_at: int  # octets received when it was sent: an earlier reply cannot answer it
    address: str | None = None  # RCPT: the recipient
    per_recipient: bool = False  # LMTP end of message: one reply per accepted recipient


def _reply_to(command: Command) -> ReplyTo:
    """What the reply to `command` answers (its key in the tables)."""
    verb = command.verb
    if verb == "":
        return ReplyTo.AUTH_RESPONSE
    if verb == "BDAT" and command.argument.upper().split()[1:2] == ["LAST"]:
        return ReplyTo.BDAT_LAST
    return ReplyTo.of_verb(verb)


def _rcpt_address(argument: str) -> str | None:
    start, end = argument.find("<"), argument.find(">")
    return argument[start + 1 : end] if 0 <= start < end else None


class ClientConnection:
    """Sans-IO SMTP/LMTP client (see the module docstring and docs/protocol-contract.md)."""

    def __init__(
        self,
        lmtp: bool = False,
        max_line_length: int = DEFAULT_MAX_LINE_LENGTH,
        max_reply_lines: int = DEFAULT_MAX_REPLY_LINES,
        max_reply_size: int = DEFAULT_MAX_REPLY_SIZE,
        max_ehlo_reply_size: int = DEFAULT_MAX_EHLO_REPLY_SIZE,
    ) -> None:
        self.lmtp = lmtp
        self._reader = ReplyReader(max_line_length, max_reply_lines, max_reply_size)
        self.max_ehlo_reply_size = max(max_ehlo_reply_size, max_reply_size)
        self._received = 0  # octets fed so far (the offset `_Expect.sent_at` refers to)
        self._state = ClientState.BANNER
        self._pending: deque[_Expect] = deque([_Expect(ReplyTo.GREETING, 0)])
        self._anomalies: list[Anomaly] = []
        self._accepted: list[str] = []
        self._eof = False
        self._error: RemoteProtocolError | None = None
        #: the server's EHLO/LHLO reply, parsed (None before it, after HELO or STARTTLS)
        self.ehlo: EhloInfo | None = None
        self.authenticated = False
        self.tls_active = False

    # ---- what the caller can look at --------------------------------------------------

    @property
    def state(self) -> ClientState:
        """The state confirmed by the replies received so far."""
        return self._state

    @property
    def send_state(self) -> ClientState:
        """The state once every queued command has been accepted (what `send` checks)."""
        state = self._state
        for expect in self._pending:
            state = CLIENT_SEND.get(state, {}).get(expect.to, state)
        return state

    @property
    def expected(self) -> tuple[ReplyTo, ...]:
        """What the replies still awaited answer, oldest first."""
        return tuple(expect.to for expect in self._pending)

    @property
    def anomalies(self) -> tuple[Anomaly, ...]:
        """Connection-level anomalies (e.g. `buffered-after-starttls`)."""
        return tuple(self._anomalies)

    @property
    def accepted_recipients(self) -> tuple[str, ...]:
        """Recipients accepted (2xx to RCPT) in the current or last transaction.

        In LMTP the replies after end of data come in this order.
        """
        return tuple(self._accepted)

    @property
    def buffered_bytes(self) -> int:
        return self._reader.buffered_bytes

    # ---- bytes in ------------------------------------------------------------------

    def receive_data(self, data: bytes) -> None:
        """Feed bytes read from the socket; `b""` means the server closed."""
        if data:
            self._received += len(data)
            self._reader.receive_data(data)
        else:
            self._eof = True

    def next_event(self) -> Reply | Sentinel:
        """The next complete `Reply`, `NEED_DATA`, or `CONNECTION_CLOSED`."""
        if self._error is not None:
            raise self._error
        if self._state is ClientState.TLS:
            # whatever follows the 220 is not for us: start_tls() hands it over
            return NEED_DATA
        head = self._pending[0].to if self._pending else None
        ehlo = head is ReplyTo.EHLO or head is ReplyTo.LHLO
        try:
            reply = self._reader.next_reply(
                self.max_ehlo_reply_size if ehlo else None, head.value if head else ""
            )
        except RemoteProtocolError as exc:
            self._error = exc
            self._state = ClientState.ERROR
            raise
        if reply is not None:
            return self._on_reply(reply)
        if not self._eof:
            return NEED_DATA
        if self._reader.in_reply:
            partial = self._reader.take_buffered()
            self._anomalies.append(
                Anomaly(
                    AnomalyKind.TRUNCATED,
                    f"the server closed in the middle of a reply: {quote_bytes(partial)}",
                )
            )
        self._state = ClientState.CLOSED
        self._pending.clear()
        return CONNECTION_CLOSED

    def _on_reply(self, reply: Reply) -> Reply:
        if not self._pending or self._reader.reply_start < self._pending[0].sent_at:
            return self._unsolicited(reply)
        head = self._pending[0]
        if head.per_recipient:
            self._pending.popleft()
            count = max(1, len(self._accepted))
            self._pending.extendleft(_Expect(head.to, head.sent_at) for _ in range(count))
        expect = self._pending.popleft()
        reply = replace(reply, command=expect.to)
        outcome = outcome_of(reply.code)
        self._side_effects(expect, reply, outcome)
        if reply.code == 421:
            self._close()
        elif self._state is not ClientState.CLOSED:
            key = (self._state, expect.to, outcome)
            self._state = CLIENT_REPLY.get(key, self._state)
            if self._state is ClientState.CLOSED:
                self._pending.clear()
        return reply

    def _unsolicited(self, reply: Reply) -> Reply:
        """A reply nothing awaited: flagged, and it answers nothing (421 still closes)."""
        if self._pending:
            detail = (
                f"it arrived before {self._pending[0].to} was sent, so it cannot answer it "
                "(sent together with an earlier reply?)"
            )
        else:
            detail = "no command was awaiting a reply"
        anomaly = Anomaly(AnomalyKind.UNSOLICITED_REPLY, detail)
        reply = replace(reply, anomalies=(*reply.anomalies, anomaly))
        if reply.code == 421:
            self._close()
        return reply

    def _side_effects(self, expect: _Expect, reply: Reply, outcome: Outcome) -> None:
        to = expect.to
        success = outcome is Outcome.SUCCESS
        if to in HELLO and success:
            self.ehlo = parse_ehlo(reply) if to is not ReplyTo.HELO else None
            self._accepted.clear()
        elif to is ReplyTo.MAIL or (to is ReplyTo.RSET and success):
            self._accepted.clear()
        elif to is ReplyTo.RCPT and success and expect.address is not None:
            self._accepted.append(expect.address)
        elif (to is ReplyTo.AUTH or to is ReplyTo.AUTH_RESPONSE) and success:
            self.authenticated = True

    def _close(self) -> None:
        self._state = ClientState.CLOSED
        self._pending.clear()

    # ---- bytes out -----------------------------------------------------------------

    def send(self, command: Command) -> bytes:
        """The wire bytes of `command`, after checking it may be sent now."""
        if self._state in (ClientState.CLOSED, ClientState.ERROR):
            raise LocalProtocolError(f"cannot send {command.verb or 'a line'}: connection closed")
        if command.line is not None:
            self._queue_raw(command.line)
            return command.to_bytes()
        to = _reply_to(command)
        shown = command.verb or "an AUTH response"
        projected = self.send_state
        if projected is ClientState.BANNER:
            raise LocalProtocolError(f"wait for the server's greeting before sending {shown}")
        if self._pending:
            self._check_pipelining(shown)
        if to not in CLIENT_SEND[projected]:
            raise LocalProtocolError(f"{shown} is not allowed now ({projected.value})")
        self._expect(to, command.argument)
        return command.to_bytes()

    def _expect(self, to: ReplyTo, argument: str = "") -> None:
        address = _rcpt_address(argument) if to is ReplyTo.RCPT else None
        per_recipient = self.lmtp and to.ends_message
        self._pending.append(_Expect(to, self._received, address, per_recipient))

    def _check_pipelining(self, shown: str) -> None:
        last = self._pending[-1].to
        if last in BATCH_END:
            what = "the greeting" if last is ReplyTo.GREETING else f"the reply to {last}"
            after = "an AUTH response" if last is ReplyTo.AUTH_RESPONSE else last
            raise LocalProtocolError(
                f"{shown} cannot be pipelined after {after}: read {what} first (RFC 2920)"
            )
        if self.ehlo is None or not self.ehlo.has("PIPELINING"):
            raise LocalProtocolError(
                f"the server did not advertise PIPELINING: read the reply to {last} "
                f"before sending {shown}"
            )

    def _queue_raw(self, text: str) -> None:
        """Track the replies a raw line will get: no checks, the user asked for it."""
        for line in text.replace("\r", "\n").split("\n"):
            if not line.strip():
                continue
            state = self.send_state
            if state is ClientState.DATA:
                if line == ".":
                    self._expect(ReplyTo.END_OF_DATA)
                continue
            if state is ClientState.AUTH:
                self._expect(ReplyTo.AUTH_RESPONSE)
                continue
            word, _, argument = line.strip().partition(" ")
            self._expect(_reply_to(Command(word.upper(), argument)), argument)

    def expect_replies(self, to: ReplyTo, count: int = 1) -> None:
        """Await `count` more replies the protocol announces without a command.

        PRDR (after its 353 to the final dot, one reply per recipient and a last one)
        needs this; the replies then carry `to` instead of an unsolicited anomaly. They
        may already be buffered: any reply not yet returned can answer them.
        """
        for _ in range(count):
            self._pending.append(_Expect(to, self._reader.reply_start))

    def send_message(self, body: bytes) -> bytes:
        """After the 354: the body CRLF-normalised, dot-stuffed and ended by `.` CRLF."""
        if self._state is not ClientState.DATA or self._pending:
            raise LocalProtocolError(
                f"send_message() needs the 354 reply to DATA first ({self.send_state.value})"
            )
        self._expect(ReplyTo.END_OF_DATA)
        return encode_message(body)

    def send_bdat(self, chunk: bytes, last: bool = False) -> bytes:
        """`BDAT n [LAST]` CRLF and the chunk as is (no stuffing, no normalisation)."""
        return self.send(bdat(len(chunk), last)) + chunk

    def start_tls(self) -> bytes:
        """Call after the 220 to STARTTLS, before the handshake.

        Returns the bytes the server sent after its 220 (they must be discarded: trusting
        them is the STARTTLS command-injection bug, CVE-2011-0411) and records an
        anomaly if there were any. The session goes back to "greeted, no EHLO".
        """
        if self._state is not ClientState.TLS or self._pending:
            raise LocalProtocolError(
                f"start_tls() needs the 220 reply to STARTTLS first ({self._state.value})"
            )
        leftover = self._reader.take_buffered()
        if leftover:
            self._anomalies.append(
                Anomaly(
                    AnomalyKind.BUFFERED_AFTER_STARTTLS,
                    f"{len(leftover)} bytes arrived after the 220 to STARTTLS, before the "
                    f"TLS handshake: {quote_bytes(leftover)}",
                )
            )
        self._state = ClientState.GREETED
        self.ehlo = None
        self.authenticated = False
        self._accepted.clear()
        self.tls_active = True
        return leftover
