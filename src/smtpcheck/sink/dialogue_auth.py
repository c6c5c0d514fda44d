"""AUTH for the sink: the server side of PLAIN, LOGIN and NTLM (RFC 4954).

Credentials are checked by the server's `Authenticator` (anyone, or a users file); the
user name and mechanism are recorded, never the password. The mechanisms accepted are
those the persona advertises (NTLM for the exchange persona: any credentials, see
sink/ntlm.py).

Every byte of an exchange is secret: `SessionState.auth_secret` is set from the AUTH
command until the exchange ends, so the transcript redacts the answers and anomalies
quote none of them. When AUTH is refused before any 334 (not offered, already
authenticated, unknown mechanism) and had no initial response, a pipelining client may
already have sent its answer: the lines up to the next command the sink serves are
treated as secret too.
"""

from __future__ import annotations

import base64
import binascii

from smtpcheck.sink import ntlm
from smtpcheck.sink.auth import MECHANISMS, b64decode, b64encode, decode_plain
from smtpcheck.sink.context import SessionContext
from smtpcheck.sink.state import AuthExchange


class AuthDialogue:
    """The AUTH command and its exchange, for one session."""

    __slots__ = ("config", "host", "keywords", "say", "state")

    def __init__(self, context: SessionContext) -> None:
        self.state, self.say, self.host = context.state, context.say, context.host
        self.config = context.config
        self.keywords = self.config.persona.keywords

    def offered(self) -> bool:
        config = self.config
        return config.auth and (self.state.tls is not None or not config.auth_requires_tls)

    def mechanisms(self) -> tuple[str, ...]:
        """What AUTH accepts: the persona's advertised mechanisms that the sink speaks."""
        for keyword in self.keywords:
            words = keyword.upper().split()
            if words[0] == "AUTH":
                return tuple(word for word in words[1:] if word in MECHANISMS)
        return ("PLAIN", "LOGIN")

    def start(self, argument: str, refusal: str | None = None) -> None:
        """`AUTH mechanism [initial-response]`; `refusal`: why it is out of sequence
        (during a transaction, once authenticated: protocol/states.py)."""
        state = self.state
        state.auth_secret = True
        mechanism, _, initial = argument.partition(" ")
        mechanism = mechanism.upper()
        initial = initial.strip()
        if refusal is not None or not self.offered() or state.auth is not None:
            self.refuse(initial, "bad_sequence", detail=refusal or "AUTH not allowed now")
            return
        if mechanism not in self.mechanisms():
            self.refuse(initial, "auth_mechanism")
            return
        state.auth_exchange = exchange = AuthExchange(mechanism)
        if mechanism == "NTLM":
            if initial and initial != "=":
                self.ntlm_step(initial)
            else:
                self.ask("")
        elif mechanism == "PLAIN":
            if initial and initial != "=":
                self.finish_plain(initial)
            else:
                self.ask("")
        elif initial:
            exchange.login_user = b64decode(initial)
            self.ask(b64encode("Password:"))
        else:
            self.ask(b64encode("Username:"))

    def refuse(self, initial: str, key: str, detail: str = "") -> None:
        """AUTH refused before any 334; its answer may follow unasked (see the module)."""
        self.state.auth_secret = not initial
        self.say.bad_command(key, detail=detail)

    def ask(self, challenge: str) -> None:
        self.say.send_reply(334, [challenge])

    def answer(self, text: str) -> None:
        """A line answering our 334."""
        exchange = self.state.auth_exchange
        if exchange is None:  # the core reads answers only after a 334: cannot happen
            self.abandon()
            self.say.bad_command("bad_sequence", detail="no AUTH exchange")
            return
        if text.strip() == "*":
            self.end()
            self.say.say("auth_cancelled")
        elif exchange.mechanism == "PLAIN":
            self.finish_plain(text)
        elif exchange.mechanism == "NTLM":
            self.ntlm_step(text)
        elif exchange.login_user is None:
            exchange.login_user = b64decode(text) or ""
            self.ask(b64encode("Password:"))
        else:
            self.finish(exchange.login_user, b64decode(text))

    def abandon(self) -> None:
        """The exchange ends without a result (an over-long answer): nothing recorded."""
        self.end()

    def end(self) -> None:
        self.state.auth_exchange = None
        self.state.auth_secret = False

    def finish_plain(self, text: str) -> None:
        decoded = decode_plain(text)
        self.finish(*(decoded or ("", None)))

    def finish(self, user: str, password: str | None) -> None:
        exchange = self.state.auth_exchange
        mechanism = exchange.mechanism if exchange is not None else "?"
        self.end()
        if password is not None and self.host.authenticator.check(user, password):
            self.state.auth = {"user": user, "mechanism": mechanism}
            self.say.say("auth_ok")
        else:
            self.say.bad_command("auth_failed")

    def ntlm_step(self, text: str) -> None:
        """NEGOTIATE -> our CHALLENGE; AUTHENTICATE -> accepted (any credentials)."""
        try:
            message = base64.b64decode(text.strip(), validate=True)
        except (binascii.Error, ValueError):
            message = b""
        kind = ntlm.message_type(message)
        if kind == 1:
            challenge = ntlm.challenge_message(self.config.hostname)
            self.ask(base64.b64encode(challenge).decode("ascii"))
            return
        names = ntlm.parse_authenticate(message) if kind == 3 else None
        self.end()
        if names is None or self.host.authenticator.users is not None:
            self.say.bad_command("auth_failed")  # malformed, or a users file NTLM cannot check
            return
        domain, user = names
        self.state.auth = {"user": f"{domain}\\{user}" if domain else user, "mechanism": "NTLM"}
        self.say.say("auth_ok")
