"""AUTH for the sink: the server side of PLAIN, LOGIN and NTLM (RFC 4954).

A mixin of `SinkSession` (see sink/handlers.py). Credentials are checked by the
server's `Authenticator` (anyone, or a users file); the user name and mechanism are
recorded, never the password. The mechanisms accepted are those the persona advertises
(NTLM for the exchange persona: any credentials, see sink/ntlm.py). Every line
answering a 334 is a secret: the transcript redacts it (`auth_secret_pending`).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from smtpcheck.protocol.server_events import ClientCommand
from smtpcheck.sink import ntlm
from smtpcheck.sink.auth import MECHANISMS, b64decode, b64encode, decode_plain

Pending = Any


class AuthHandlers:
    """AUTH. Attributes used here are set by `SinkSession.__init__`."""

    server: Any
    config: Any
    persona: Any
    tls: dict[str, Any] | None
    auth: dict[str, Any] | None
    mail_from: str | None
    auth_mechanism: str | None
    auth_secret_pending: bool
    login_user: str | None
    bad_command: Any
    send_reply: Any
    say: Any

    def auth_offered(self) -> bool:
        return self.config.auth and (self.tls is not None or not self.config.auth_requires_tls)

    def on_auth(self, event: ClientCommand) -> Pending:
        # during a transaction AUTH was refused by `handle`; one AUTH per session here
        if not self.auth_offered() or self.auth is not None:
            self.bad_command("bad_sequence", detail="AUTH not allowed now")
            return None
        mechanism, _, initial = event.argument.partition(" ")
        mechanism = mechanism.upper()
        if mechanism not in self.auth_mechanisms():
            self.bad_command("auth_mechanism")
            return None
        self.auth_mechanism = mechanism
        initial = initial.strip()
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
            self.login_user = b64decode(initial)
            self.ask(b64encode("Password:"))
        else:
            self.ask(b64encode("Username:"))
        return None

    def auth_mechanisms(self) -> tuple[str, ...]:
        """What AUTH accepts: the persona's advertised mechanisms that the sink speaks."""
        for keyword in self.persona.keywords:
            words = keyword.upper().split()
            if words[0] == "AUTH":
                return tuple(word for word in words[1:] if word in MECHANISMS)
        return ("PLAIN", "LOGIN")

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
        elif self.auth_mechanism == "NTLM":
            self.ntlm_step(text)
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
        mechanism, self.auth_mechanism = self.auth_mechanism, None
        if names is None or self.server.authenticator.users is not None:
            self.bad_command("auth_failed")  # malformed, or a users file NTLM cannot check
            return
        domain, user = names
        self.auth = {"user": f"{domain}\\{user}" if domain else user, "mechanism": mechanism}
        self.say("auth_ok")
