"""The state tables of both roles, keyed by enums (`ReplyTo`, the states, `Outcome`).

Client: `CLIENT_SEND[state]` lists what may be sent in a state and the state that follows
if the server accepts it (the *projected* state, used while pipelining);
`CLIENT_REPLY[(state, reply_to, outcome)]` gives the state after a reply (absent:
unchanged). A 421 reply closes the connection from any state (handled by the connection).

Server: `SERVER_REPLY[(reply_to, outcome)]` gives the mode the server's own reply puts it
in; `SERVER_SEQUENCE[(stage, reply_to)]` says why a command is out of sequence in a stage
of the session (the server answers it 503), e.g. RCPT before MAIL.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from smtpcheck.protocol.events import ReplyTo


class Outcome(enum.Enum):
    SUCCESS = "2xx"
    INTERMEDIATE = "3xx"
    FAILURE = "4xx/5xx"


def outcome_of(code: int) -> Outcome:
    klass = code // 100
    if klass == 2:
        return Outcome.SUCCESS
    if klass == 3:
        return Outcome.INTERMEDIATE
    return Outcome.FAILURE


class ClientState(enum.Enum):
    BANNER = "waiting for the greeting"
    REFUSED = "greeting was not 2xx: only QUIT"
    GREETED = "greeted, no EHLO/HELO accepted yet"
    READY = "ready for a transaction"
    MAIL = "MAIL FROM accepted"
    RCPT = "a recipient accepted"
    DATA = "354 received: send the message"
    BDAT = "inside a BDAT transfer"
    AUTH = "AUTH exchange open: answer the 334"
    TLS = "220 to STARTTLS: call start_tls()"
    CLOSED = "closed"
    ERROR = "the server broke the protocol"


S = ClientState
R = ReplyTo
HELLO = frozenset({R.EHLO, R.HELO, R.LHLO})
#: what must end a pipelined batch (RFC 2920 3.1, RFC 3207, RFC 4954); nobody may talk
#: over the greeting either
BATCH_END = frozenset(
    {*HELLO, R.DATA, R.BDAT_LAST, R.STARTTLS, R.AUTH, R.AUTH_RESPONSE, R.QUIT}
    | {R.NOOP, R.VRFY, R.EXPN, R.HELP, R.GREETING}
)
_QUERIES = (R.NOOP, R.VRFY, R.EXPN, R.HELP)


def _stay(state: ClientState, sent: Iterable[ReplyTo]) -> dict[ReplyTo, ClientState]:
    return dict.fromkeys(sent, state)


CLIENT_SEND: dict[ClientState, dict[ReplyTo, ClientState]] = {
    S.BANNER: {},
    S.REFUSED: {R.QUIT: S.CLOSED},
    S.GREETED: {
        **dict.fromkeys(HELLO, S.READY),
        R.STARTTLS: S.TLS,
        R.RSET: S.GREETED,
        R.QUIT: S.CLOSED,
        **_stay(S.GREETED, _QUERIES),
    },
    S.READY: {
        **dict.fromkeys(HELLO, S.READY),
        R.MAIL: S.MAIL,
        R.STARTTLS: S.TLS,
        R.AUTH: S.AUTH,
        R.RSET: S.READY,
        R.QUIT: S.CLOSED,
        **_stay(S.READY, _QUERIES),
    },
    S.MAIL: {
        **dict.fromkeys(HELLO, S.READY),
        R.RCPT: S.RCPT,
        R.RSET: S.READY,
        R.QUIT: S.CLOSED,
        **_stay(S.MAIL, _QUERIES),
    },
    S.RCPT: {
        **dict.fromkeys(HELLO, S.READY),
        R.RCPT: S.RCPT,
        R.DATA: S.DATA,
        R.BDAT: S.BDAT,
        R.BDAT_LAST: S.READY,
        R.RSET: S.READY,
        R.QUIT: S.CLOSED,
        **_stay(S.RCPT, _QUERIES),
    },
    S.BDAT: {
        R.BDAT: S.BDAT,
        R.BDAT_LAST: S.READY,
        R.RSET: S.READY,
        R.QUIT: S.CLOSED,
        R.NOOP: S.BDAT,
    },
    S.DATA: {R.END_OF_DATA: S.READY},
    S.AUTH: {R.AUTH_RESPONSE: S.AUTH},
    S.TLS: {},
    S.CLOSED: {},
    S.ERROR: {},
}

_SESSION = (S.GREETED, S.READY, S.MAIL, S.RCPT, S.BDAT)
_TRANSACTION = (S.MAIL, S.RCPT, S.BDAT, S.DATA)
_ANY = tuple(ClientState)


def _client_replies() -> dict[tuple[ClientState, ReplyTo, Outcome], ClientState]:
    table: dict[tuple[ClientState, ReplyTo, Outcome], ClientState] = {}

    def add(
        states: Iterable[ClientState], to: ReplyTo, outcomes: Iterable[Outcome], after: S
    ) -> None:
        for state in states:
            for result in outcomes:
                table[(state, to, result)] = after

    failures = (Outcome.INTERMEDIATE, Outcome.FAILURE)
    add([S.BANNER], R.GREETING, [Outcome.SUCCESS], S.GREETED)
    add([S.BANNER], R.GREETING, failures, S.REFUSED)
    for hello in HELLO:
        add(_SESSION, hello, [Outcome.SUCCESS], S.READY)
    add([S.READY], R.MAIL, [Outcome.SUCCESS], S.MAIL)
    add([S.MAIL, S.RCPT], R.RCPT, [Outcome.SUCCESS], S.RCPT)
    add(_SESSION, R.DATA, [Outcome.INTERMEDIATE], S.DATA)
    for end in (R.END_OF_DATA, R.BDAT_LAST):
        add([S.DATA, S.MAIL, S.RCPT, S.BDAT], end, list(Outcome), S.READY)
    add([S.MAIL, S.RCPT, S.BDAT], R.BDAT, [Outcome.SUCCESS], S.BDAT)
    add([S.MAIL, S.RCPT, S.BDAT], R.BDAT, failures, S.READY)
    add(_TRANSACTION, R.RSET, [Outcome.SUCCESS], S.READY)
    add(_SESSION, R.STARTTLS, [Outcome.SUCCESS], S.TLS)
    add([S.READY, S.AUTH], R.AUTH, [Outcome.INTERMEDIATE], S.AUTH)
    add([S.AUTH], R.AUTH, [Outcome.SUCCESS, Outcome.FAILURE], S.READY)
    add([S.AUTH], R.AUTH_RESPONSE, [Outcome.INTERMEDIATE], S.AUTH)
    add([S.AUTH], R.AUTH_RESPONSE, [Outcome.SUCCESS, Outcome.FAILURE], S.READY)
    add(_ANY, R.QUIT, list(Outcome), S.CLOSED)
    return table


CLIENT_REPLY: dict[tuple[ClientState, ReplyTo, Outcome], ClientState] = _client_replies()


class ServerState(enum.Enum):
    """What the server reads next (its mode), moved by the replies it sends."""

    GREETING = "greeting not sent yet"
    COMMAND = "reading commands"
    DATA = "reading message content (after 354)"
    BDAT = "reading a BDAT chunk"
    AUTH = "reading an AUTH continuation line (after 334)"
    TLS = "220 sent to STARTTLS: call start_tls()"
    CLOSED = "closed"


#: the mode a reply puts the server in; absent: back to reading commands
SERVER_REPLY: dict[tuple[ReplyTo, Outcome], ServerState] = {
    (R.DATA, Outcome.INTERMEDIATE): ServerState.DATA,
    (R.AUTH, Outcome.INTERMEDIATE): ServerState.AUTH,
    (R.AUTH_RESPONSE, Outcome.INTERMEDIATE): ServerState.AUTH,
    (R.STARTTLS, Outcome.SUCCESS): ServerState.TLS,
    (R.QUIT, Outcome.SUCCESS): ServerState.CLOSED,
    (R.QUIT, Outcome.INTERMEDIATE): ServerState.CLOSED,
    (R.QUIT, Outcome.FAILURE): ServerState.CLOSED,
}


class SessionStage(enum.Enum):
    """How far the session has come, by the replies the server sent (server role)."""

    NO_HELLO = "no EHLO/HELO/LHLO accepted yet"
    READY = "greeted by the client, no mail transaction"
    MAIL = "MAIL FROM accepted, no recipient yet"
    RCPT = "a recipient accepted"


_NO_HELLO, _READY, _MAIL, _RCPT = SessionStage


def _server_sequence() -> dict[tuple[SessionStage, ReplyTo], str]:
    table: dict[tuple[SessionStage, ReplyTo], str] = {
        (_NO_HELLO, R.MAIL): "send HELO/EHLO first",
        (_MAIL, R.MAIL): "nested MAIL command",
        (_RCPT, R.MAIL): "nested MAIL command",
        (_NO_HELLO, R.RCPT): "need MAIL command",
        (_READY, R.RCPT): "need MAIL command",
        # RFC 4954 4: no AUTH during a mail transaction
        (_MAIL, R.AUTH): "AUTH not allowed now",
        (_RCPT, R.AUTH): "AUTH not allowed now",
    }
    for stage in (_NO_HELLO, _READY, _MAIL):
        for content in (R.DATA, R.BDAT, R.BDAT_LAST, R.END_OF_DATA):
            table[(stage, content)] = "no valid recipients"
    return table


#: why a command is out of sequence in a stage (answer 503 with it); absent: in sequence
SERVER_SEQUENCE: dict[tuple[SessionStage, ReplyTo], str] = _server_sequence()
