"""The server role: client bytes in, `ClientCommand` / message events out; replies out.

The server's own replies drive its mode (`states.SERVER_REPLY`): after it sends 354 the
bytes are message content until `<CRLF>.<CRLF>`; after 334 the next line is an
`AuthResponse`; after 220 to STARTTLS the caller must call `start_tls()`. BDAT chunks are
read by octet count straight after their command line (RFC 3030), whatever the reply.

While a DATA, AUTH or STARTTLS command waits for its reply, `next_event` returns
`NEED_DATA` without reading further: what follows can only be interpreted once the
reply is known. Over-long command lines are never buffered: the server emits
`LineTooLong` (answer `500 5.5.6 Line too long`) and skips to the next LF. A message
over `max_message_size` is not returned: its content is discarded as it arrives (a BDAT
chunk whose declared size exceeds the bound is never read into memory) and its end says
`oversized`. Client misbehaviour (early talking, pipelining without PIPELINING, bare LF,
8-bit data without BODY=8BITMIME, end-of-data look-alikes) is recorded as anomalies.

Which commands are in sequence is the table `states.SERVER_SEQUENCE`; the server asks
`out_of_sequence(...)` before accepting one and answers 503 with the reason.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from smtpcheck.protocol.commandline import (
    check_line,
    parse_bdat,
    parse_path,
    split_command,
    strip_line_ending,
)
from smtpcheck.protocol.data import DotReader, LineEndingStats
from smtpcheck.protocol.errors import LocalProtocolError, quote_bytes
from smtpcheck.protocol.events import (
    CONNECTION_CLOSED,
    NEED_DATA,
    Anomaly,
    AnomalyKind,
    Reply,
    ReplyTo,
    Sentinel,
    format_reply,
)
from smtpcheck.protocol.replies import DEFAULT_MAX_LINE_LENGTH
from smtpcheck.protocol.server_events import (
    AuthResponse,
    ChunkEnd,
    ClientCommand,
    LineTooLong,
    MessageData,
    MessageEnd,
)
from smtpcheck.protocol.states import (
    BATCH_END,
    HELLO,
    SERVER_REPLY,
    SERVER_SEQUENCE,
    Outcome,
    ServerState,
    SessionStage,
    outcome_of,
)

ServerEvent = (
    ClientCommand | AuthResponse | LineTooLong | MessageData | ChunkEnd | MessageEnd | Sentinel
)

_EIGHT_BIT_BODIES = frozenset({"8BITMIME", "BINARYMIME"})
#: after these, what the client sends next depends on the reply: read nothing until then
_PAUSING = frozenset({ReplyTo.DATA, ReplyTo.AUTH, ReplyTo.AUTH_RESPONSE, ReplyTo.STARTTLS})


@dataclass(slots=True)
class _Awaited:
    """Something the server has not answered yet."""

    to: ReplyTo
    argument: str = ""
    params: dict[str, str | None] = field(default_factory=dict)
    word: str = ""  # the verb as received, for messages (`to` may be OTHER)

    def shown(self) -> str:
        return self.word or str(self.to)


@dataclass(slots=True)
class _Transaction:
    """What the server accepted so far in the current mail transaction."""

    params: dict[str, str | None] | None = None  # MAIL parameters, once MAIL got 2xx
    recipients: int = 0  # RCPT commands answered 2xx
    stats: LineEndingStats | None = None  # content seen so far (BDAT spans chunks)
    anomalies: list[Anomaly] = field(default_factory=list)  # of the message being read
    octets: int = 0  # message content so far (BDAT: as declared), against max_message_size
    oversized: bool = False  # over max_message_size: the content is being discarded


class ServerConnection:
    """Sans-IO SMTP/LMTP server (see the module docstring and docs/protocol-contract.md)."""

    def __init__(
        self,
        advertised: Iterable[str] = frozenset(),
        lmtp: bool = False,
        max_line_length: int = DEFAULT_MAX_LINE_LENGTH,
        max_message_size: int | None = None,
    ) -> None:
        if max_line_length < 64:
            raise ValueError("max_line_length must be at least 64")
        #: EHLO keywords the server offers (upper-case); may be changed, e.g. after TLS
        self.advertised = frozenset(keyword.upper() for keyword in advertised)
        self.lmtp = lmtp
        self.max_line_length = max_line_length
        #: the largest message whose content is returned (None: no bound)
        self.max_message_size = max_message_size
        self.helo_name: str | None = None
        self.authenticated = False
        self.tls_active = False
        self._hello_accepted = False
        self._state = ServerState.GREETING
        self._buffer = bytearray()
        self._awaiting: deque[_Awaited] = deque([_Awaited(ReplyTo.GREETING)])
        self._anomalies: list[Anomaly] = []
        self._transaction = _Transaction()
        self._dot: DotReader | None = None
        self._bdat_left = 0
        self._bdat_size = 0
        self._bdat_last = False
        self._message_done = False  # content read; MessageEnd/ChunkEnd not yet returned
        self._skipping = False  # discarding the rest of an over-long line
        self._followed: _Awaited | None = None  # answered while more bytes were waiting
        self._eof = False

    @property
    def state(self) -> ServerState:
        return self._state

    @property
    def anomalies(self) -> tuple[Anomaly, ...]:
        """Connection-level anomalies (`buffered-after-starttls`, `truncated`)."""
        return tuple(self._anomalies)

    @property
    def awaiting(self) -> tuple[ReplyTo, ...]:
        """What the replies still to be sent answer, oldest first."""
        return tuple(awaited.to for awaited in self._awaiting)

    @property
    def recipients(self) -> int:
        """RCPT commands answered 2xx in the current transaction."""
        return self._transaction.recipients

    @property
    def stage(self) -> SessionStage:
        """How far the session has come, by the replies sent so far."""
        if self._transaction.recipients:
            return SessionStage.RCPT
        if self._transaction.params is not None:
            return SessionStage.MAIL
        return SessionStage.READY if self._hello_accepted else SessionStage.NO_HELLO

    def out_of_sequence(self, what: ReplyTo | str) -> str | None:
        """Why `what` (a `ReplyTo` or a verb) may not be accepted now, or None if it may.

        Answer 503 with the reason. Asked when the reply is about to be sent, so that the
        replies to earlier commands count: RCPT before an accepted MAIL, DATA or BDAT
        without an accepted recipient, a second MAIL, AUTH during a transaction or once
        authenticated (RFC 4954 4).
        """
        to = what if isinstance(what, ReplyTo) else ReplyTo.of_verb(what)
        if to is ReplyTo.AUTH and self.authenticated:
            return "AUTH not allowed now"
        return SERVER_SEQUENCE.get((self.stage, to))

    @property
    def buffered_bytes(self) -> int:
        return len(self._buffer)

    # ---- bytes in ------------------------------------------------------------------

    def receive_data(self, data: bytes) -> None:
        """Feed bytes read from the socket; `b""` means the client closed."""
        if data:
            if self._state is not ServerState.CLOSED:
                self._buffer += data
        else:
            self._eof = True

    def next_event(self) -> ServerEvent:
        state = self._state
        if state is ServerState.CLOSED:
            return CONNECTION_CLOSED
        if state is ServerState.TLS:
            raise LocalProtocolError("call start_tls() after the 220 to STARTTLS")
        if state is ServerState.DATA:
            return self._next_data()
        if state is ServerState.BDAT:
            return self._next_chunk()
        if self._awaiting and self._awaiting[-1].to in _PAUSING:
            return NEED_DATA
        return self._next_line()

    def _closed(self, what: str) -> Sentinel:
        if self._buffer or self._state in (ServerState.DATA, ServerState.BDAT):
            self._anomalies.append(
                Anomaly(
                    AnomalyKind.TRUNCATED,
                    f"the client closed in the middle of {what}: "
                    + quote_bytes(bytes(self._buffer)),
                )
            )
        self._buffer.clear()
        self._state = ServerState.CLOSED
        return CONNECTION_CLOSED

    def _next_line(self) -> ServerEvent:
        buffer = self._buffer
        if self._skipping:
            end = buffer.find(b"\n")
            if end < 0:
                buffer.clear()
                return self._closed("a line") if self._eof else NEED_DATA
            del buffer[: end + 1]
            self._skipping = False
        limit = self.max_line_length
        end = buffer.find(b"\n", 0, limit)
        if end < 0:
            if len(buffer) >= limit:
                return self._too_long()
            if self._eof:
                return self._closed("a command line")
            return NEED_DATA
        line = bytes(buffer[: end + 1])
        del buffer[: end + 1]
        if self._state is ServerState.AUTH:
            return self._auth_line(line)
        return self._command(line)

    def _too_long(self) -> LineTooLong:
        head = bytes(self._buffer[:64])
        self._buffer.clear()
        self._skipping = True
        anomalies = [
            Anomaly(
                AnomalyKind.LONG_LINE,
                f"a line longer than {self.max_line_length} octets: {quote_bytes(head, 40)}",
            )
        ]
        self._pipelining(anomalies)
        self._awaiting.append(_Awaited(ReplyTo.LINE_TOO_LONG, word="a long line"))
        return LineTooLong(head, tuple(anomalies))

    def _auth_line(self, line: bytes) -> AuthResponse:
        anomalies: list[Anomaly] = []
        content = strip_line_ending(line, anomalies)
        self._awaiting.append(_Awaited(ReplyTo.AUTH_RESPONSE))
        return AuthResponse(content.decode("utf-8", "replace"), line, tuple(anomalies))

    def _command(self, line: bytes) -> ClientCommand:
        anomalies: list[Anomaly] = []
        content = strip_line_ending(line, anomalies)
        word, argument, syntax_error = split_command(content, anomalies)
        verb = word.upper()
        to = ReplyTo.of_verb(verb)
        self._pipelining(anomalies)
        check_line(line, verb, self.advertised, anomalies)
        address: str | None = None
        params: dict[str, str | None] = {}
        if to is ReplyTo.MAIL or to is ReplyTo.RCPT:
            address, params, path_error = parse_path(verb, argument, self.advertised, anomalies)
            syntax_error = syntax_error or path_error
        self._awaiting.append(_Awaited(to, argument, params, verb))
        if to is ReplyTo.BDAT:
            self._start_chunk(argument, anomalies)
        return ClientCommand(verb, argument, line, address, params, tuple(anomalies), syntax_error)

    def _pipelining(self, anomalies: list[Anomaly]) -> None:
        """Note when this command came before the reply to the previous one."""
        previous = self._awaiting[-1] if self._awaiting else self._followed
        self._followed = None
        if previous is None:
            return
        if previous.to is ReplyTo.GREETING:
            anomalies.append(
                Anomaly(AnomalyKind.COMMAND_BEFORE_GREETING, "sent before the server's greeting")
            )
        elif "PIPELINING" not in self.advertised:
            anomalies.append(
                Anomaly(
                    AnomalyKind.UNADVERTISED_PIPELINING,
                    f"sent before the reply to {previous.shown()}, PIPELINING not offered",
                )
            )
        elif previous.to in BATCH_END or previous.to is ReplyTo.LINE_TOO_LONG:
            anomalies.append(
                Anomaly(
                    AnomalyKind.IMPROPER_PIPELINING,
                    f"sent before the reply to {previous.shown()}, which must end "
                    "a pipelined group (RFC 2920)",
                )
            )

    # ---- message content -----------------------------------------------------------

    def _start_chunk(self, argument: str, anomalies: list[Anomaly]) -> None:
        parsed = parse_bdat(argument)
        if parsed is None:
            anomalies.append(Anomaly(AnomalyKind.BAD_ARGUMENT, "expected BDAT <size> [LAST]"))
            return
        self._bdat_size = self._bdat_left = parsed[0]
        self._bdat_last = parsed[1]
        self._awaiting.pop()  # answered after the chunk: re-queued by _end_message
        transaction = self._transaction
        if transaction.stats is None:
            transaction.stats = LineEndingStats()
        # decided on the declared size, before a byte of the chunk arrives
        transaction.octets += self._bdat_size
        self._check_size(transaction)
        self._state = ServerState.BDAT

    def _check_size(self, transaction: _Transaction) -> None:
        limit = self.max_message_size
        if limit is not None and transaction.octets > limit:
            transaction.oversized = True

    def _next_chunk(self) -> ServerEvent:
        left = self._bdat_left
        if left == 0:
            return self._end_message()
        buffer = self._buffer
        take = min(left, len(buffer))
        if take == 0:
            return self._closed("a BDAT chunk") if self._eof else NEED_DATA
        self._bdat_left = left - take
        if self._transaction.oversized:
            del buffer[:take]  # never returned, never kept
            return self._next_chunk()
        data = bytes(buffer[:take])
        del buffer[:take]
        assert self._transaction.stats is not None
        self._transaction.stats.feed(data)
        return MessageData(data)

    def _next_data(self) -> ServerEvent:
        if self._message_done:
            return self._end_message()
        assert self._dot is not None
        while True:
            content, consumed, ended = self._dot.process(self._buffer)
            if consumed:
                del self._buffer[:consumed]
            content = self._within_size(content)
            if ended:
                self._message_done = True
                return MessageData(content) if content else self._end_message()
            if content:
                return MessageData(content)
            if not consumed:
                return self._closed("the message") if self._eof else NEED_DATA

    def _within_size(self, content: bytes) -> bytes:
        """The part of DATA content that fits in `max_message_size` (the rest is dropped)."""
        transaction = self._transaction
        if transaction.oversized:
            return b""
        transaction.octets += len(content)
        self._check_size(transaction)
        if transaction.oversized:
            assert self.max_message_size is not None
            keep = len(content) - (transaction.octets - self.max_message_size)
            return content[: max(0, keep)]
        return content

    def _end_message(self) -> ChunkEnd | MessageEnd:
        transaction = self._transaction
        self._state = ServerState.COMMAND
        self._message_done = False
        if self._dot is None and not self._bdat_last:
            self._awaiting.append(_Awaited(ReplyTo.BDAT))
            return ChunkEnd(self._bdat_size, transaction.oversized)
        anomalies = transaction.anomalies
        if self._dot is not None:
            anomalies.extend(self._dot.finish())
            eight_bit = self._dot.stats.eight_bit
            self._dot = None
        else:
            assert transaction.stats is not None
            anomalies.extend(transaction.stats.finish())
            eight_bit = transaction.stats.eight_bit
        params = transaction.params or {}
        declared = (params.get("BODY") or "").upper() in _EIGHT_BIT_BODIES
        if eight_bit and not declared and "SMTPUTF8" not in params:
            anomalies.append(
                Anomaly(
                    AnomalyKind.EIGHT_BIT_WITHOUT_8BITMIME,
                    "8-bit bytes in the message, MAIL FROM had no BODY=8BITMIME or SMTPUTF8",
                )
            )
        count = max(1, transaction.recipients) if self.lmtp else 1
        end = ReplyTo.BDAT_LAST if self._bdat_last else ReplyTo.END_OF_DATA
        self._awaiting.extend(_Awaited(end) for _ in range(count))
        oversized = transaction.oversized
        transaction.stats = None
        transaction.anomalies = []
        transaction.octets = 0
        transaction.oversized = False
        self._bdat_last = False
        return MessageEnd(tuple(anomalies), oversized)

    # ---- bytes out -----------------------------------------------------------------

    def send(self, reply: Reply) -> bytes:
        """The wire bytes of `reply`; moves the server's state.

        `reply.raw` is sent when set (`Reply.build` fills it with the validated multi-line
        form), otherwise the reply is formatted from `code` and `lines`. Either way CR, LF
        or NUL inside a line's text is refused (`LocalProtocolError`): text echoed from
        the client (an EHLO name) can never add a reply line.
        """
        if self._state is ServerState.CLOSED:
            raise LocalProtocolError("cannot reply: the connection is closed")
        if not 100 <= reply.code <= 599:
            raise LocalProtocolError(f"reply code {reply.code} is not a 3-digit code 100-599")
        wire = reply.raw or format_reply(reply.code, reply.lines)
        _check_reply_wire(wire, len(reply.lines))
        if not self._awaiting:
            if reply.code != 421:
                raise LocalProtocolError(
                    f"no command is waiting for a reply ({self._state.value}); "
                    "only 421 may be sent unprompted"
                )
            self._state = ServerState.CLOSED
            return wire
        awaited = self._awaiting.popleft()
        outcome = outcome_of(reply.code)
        self._after_reply(awaited, outcome)
        if reply.code == 421:
            self._state = ServerState.CLOSED
            self._awaiting.clear()
        elif self._state not in (ServerState.DATA, ServerState.BDAT):
            self._state = SERVER_REPLY.get((awaited.to, outcome), ServerState.COMMAND)
            if self._state is ServerState.CLOSED:
                self._awaiting.clear()
            elif self._state is ServerState.DATA:
                self._start_data(awaited)
            elif self._buffer and self._state is ServerState.COMMAND:
                self._followed = awaited
        return wire

    def _start_data(self, awaited: _Awaited) -> None:
        self._dot = DotReader()
        if self._buffer:
            self._transaction.anomalies.append(
                Anomaly(
                    AnomalyKind.IMPROPER_PIPELINING,
                    "message content sent before the 354 reply to DATA",
                )
            )

    def _after_reply(self, awaited: _Awaited, outcome: Outcome) -> None:
        to = awaited.to
        success = outcome is Outcome.SUCCESS
        transaction = self._transaction
        if to in HELLO and success:
            self.helo_name = awaited.argument.strip() or None
            self._hello_accepted = True
            self._transaction = _Transaction()
        elif to is ReplyTo.MAIL and success:
            self._transaction = _Transaction(params=awaited.params)
        elif to is ReplyTo.RCPT and success:
            transaction.recipients += 1
        elif to is ReplyTo.RSET and success:
            self._transaction = _Transaction()
        elif to is ReplyTo.BDAT and not success:
            transaction.stats = None
        elif (to is ReplyTo.AUTH or to is ReplyTo.AUTH_RESPONSE) and success:
            self.authenticated = True
        elif to.ends_message and not any(a.to.ends_message for a in self._awaiting):
            self._transaction = _Transaction()

    def start_tls(self) -> bytes:
        """Call after sending 220 to STARTTLS, before the handshake.

        Returns (and records as `buffered-after-starttls`) the bytes the client sent
        after STARTTLS in clear text: they must be discarded, never executed under TLS
        (CVE-2011-0411). The session restarts: EHLO is needed again.
        """
        if self._state is not ServerState.TLS:
            raise LocalProtocolError(
                f"start_tls() needs a 220 reply to STARTTLS first ({self._state.value})"
            )
        leftover = bytes(self._buffer)
        self._buffer.clear()
        if leftover:
            self._anomalies.append(
                Anomaly(
                    AnomalyKind.BUFFERED_AFTER_STARTTLS,
                    f"{len(leftover)} bytes sent after STARTTLS before the TLS handshake "
                    f"(command injection attempt?): {quote_bytes(leftover)}",
                )
            )
        self._state = ServerState.COMMAND
        self._transaction = _Transaction()
        self.helo_name = None
        self._hello_accepted = False
        self.authenticated = False
        self.tls_active = True
        self._followed = None
        return leftover


def _check_reply_wire(wire: bytes, lines: int) -> None:
    """One CRLF per line and no other CR, LF or NUL: else `LocalProtocolError`."""
    crlf = wire.count(b"\r\n")
    if crlf != lines or wire.count(b"\n") != crlf or wire.count(b"\r") != crlf or b"\0" in wire:
        raise LocalProtocolError(
            f"reply to send contains CR, LF or NUL inside a line: {quote_bytes(wire)}"
        )
