"""The state tables of both roles.

Client: `CLIENT_SEND[state]` lists what may be sent in a state and the state that follows
if the server accepts it (the *projected* state, used while pipelining);
`CLIENT_REPLY[(state, verb, outcome)]` gives the state after a reply (absent: unchanged).
A 421 reply closes the connection from any state (handled by the connection).

Server: `SERVER_REPLY[(verb, outcome)]` gives the mode the server's own reply puts it in.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable


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
HELLO = ("EHLO", "HELO", "LHLO")
#: commands that must end a pipelined batch (RFC 2920 3.1, RFC 3207, RFC 4954); "" is an
#: AUTH continuation line, "BANNER" the greeting nobody may talk over
BATCH_END = frozenset(
    {*HELLO, "DATA", "BDAT LAST", "STARTTLS", "AUTH", "", "QUIT", "NOOP", "VRFY", "EXPN"}
    | {"HELP", "BANNER"}
)
_QUERIES = ("NOOP", "VRFY", "EXPN", "HELP")


def _stay(state: ClientState, verbs: Iterable[str]) -> dict[str, ClientState]:
    return dict.fromkeys(verbs, state)


CLIENT_SEND: dict[ClientState, dict[str, ClientState]] = {
    S.BANNER: {},
    S.REFUSED: {"QUIT": S.CLOSED},
    S.GREETED: {
        **dict.fromkeys(HELLO, S.READY),
        "STARTTLS": S.TLS,
        "RSET": S.GREETED,
        "QUIT": S.CLOSED,
        **_stay(S.GREETED, _QUERIES),
    },
    S.READY: {
        **dict.fromkeys(HELLO, S.READY),
        "MAIL": S.MAIL,
        "STARTTLS": S.TLS,
        "AUTH": S.AUTH,
        "RSET": S.READY,
        "QUIT": S.CLOSED,
        **_stay(S.READY, _QUERIES),
    },
    S.MAIL: {
        **dict.fromkeys(HELLO, S.READY),
        "RCPT": S.RCPT,
        "RSET": S.READY,
        "QUIT": S.CLOSED,
        **_stay(S.MAIL, _QUERIES),
    },
    S.RCPT: {
        **dict.fromkeys(HELLO, S.READY),
        "RCPT": S.RCPT,
        "DATA": S.DATA,
        "BDAT": S.BDAT,
        "BDAT LAST": S.READY,
        "RSET": S.READY,
        "QUIT": S.CLOSED,
        **_stay(S.RCPT, _QUERIES),
    },
    S.BDAT: {
        "BDAT": S.BDAT,
        "BDAT LAST": S.READY,
        "RSET": S.READY,
        "QUIT": S.CLOSED,
        "NOOP": S.BDAT,
    },
    S.DATA: {"EOD": S.READY},
    S.AUTH: {"": S.AUTH},
    S.TLS: {},
    S.CLOSED: {},
    S.ERROR: {},
}

_SESSION = (S.GREETED, S.READY, S.MAIL, S.RCPT, S.BDAT)
_TRANSACTION = (S.MAIL, S.RCPT, S.BDAT, S.DATA)
_ANY = tuple(ClientState)


def _rules() -> dict[tuple[ClientState, str, Outcome], ClientState]:
    table: dict[tuple[ClientState, str, Outcome], ClientState] = {}

    def add(states: Iterable[ClientState], verb: str, outcomes: Iterable[Outcome], to: S) -> None:
        for state in states:
            for result in outcomes:
                table[(state, verb, result)] = to

    failures = (Outcome.INTERMEDIATE, Outcome.FAILURE)
    add([S.BANNER], "BANNER", [Outcome.SUCCESS], S.GREETED)
    add([S.BANNER], "BANNER", failures, S.REFUSED)
    for hello in HELLO:
        add(_SESSION, hello, [Outcome.SUCCESS], S.READY)
    add([S.READY], "MAIL", [Outcome.SUCCESS], S.MAIL)
    add([S.MAIL, S.RCPT], "RCPT", [Outcome.SUCCESS], S.RCPT)
    add(_SESSION, "DATA", [Outcome.INTERMEDIATE], S.DATA)
    add([S.DATA, S.MAIL, S.RCPT, S.BDAT], "EOD", list(Outcome), S.READY)
    add([S.MAIL, S.RCPT, S.BDAT], "BDAT", [Outcome.SUCCESS], S.BDAT)
    add([S.MAIL, S.RCPT, S.BDAT], "BDAT", failures, S.READY)
    add(_TRANSACTION, "RSET", [Outcome.SUCCESS], S.READY)
    add(_SESSION, "STARTTLS", [Outcome.SUCCESS], S.TLS)
    add([S.READY, S.AUTH], "AUTH", [Outcome.INTERMEDIATE], S.AUTH)
    add([S.AUTH], "AUTH", [Outcome.SUCCESS, Outcome.FAILURE], S.READY)
    add(_ANY, "QUIT", list(Outcome), S.CLOSED)
    return table


CLIENT_REPLY: dict[tuple[ClientState, str, Outcome], ClientState] = _rules()


class ServerState(enum.Enum):
    GREETING = "greeting not sent yet"
    COMMAND = "reading commands"
    DATA = "reading message content (after 354)"
    BDAT = "reading a BDAT chunk"
    AUTH = "reading an AUTH continuation line (after 334)"
    TLS = "220 sent to STARTTLS: call start_tls()"
    CLOSED = "closed"


#: the mode a reply puts the server in; absent: back to reading commands
SERVER_REPLY: dict[tuple[str, Outcome], ServerState] = {
    ("DATA", Outcome.INTERMEDIATE): ServerState.DATA,
    ("AUTH", Outcome.INTERMEDIATE): ServerState.AUTH,
    ("STARTTLS", Outcome.SUCCESS): ServerState.TLS,
    ("QUIT", Outcome.SUCCESS): ServerState.CLOSED,
    ("QUIT", Outcome.INTERMEDIATE): ServerState.CLOSED,
    ("QUIT", Outcome.FAILURE): ServerState.CLOSED,
}
