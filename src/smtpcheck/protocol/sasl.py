"""SASL client mechanisms for SMTP AUTH (RFC 4954), as pure functions.

Each mechanism turns a username and password (and, for challenge-based mechanisms, the
server's challenges) into the base64 strings sent on the wire. No I/O here: the session
driver sends what these return and feeds back what the server says.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass

#: Order in which a bare `--auth` tries what the server offers: strongest first
#: among those we implement, the cleartext ones last.
PREFERENCE = ("CRAM-SHA1", "CRAM-MD5", "PLAIN", "LOGIN")


class SaslError(ValueError):
    """The server's challenge cannot be answered (bad base64, unknown mechanism)."""


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except ValueError:
        raise SaslError(f"the server's challenge is not base64: {text[:60]!r}") from None


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str
    authzid: str = ""


def plain_initial(creds: Credentials) -> str:
    """RFC 4616: authzid NUL authcid NUL password, sent with the AUTH command."""
    raw = f"{creds.authzid}\0{creds.username}\0{creds.password}".encode()
    return b64(raw)


def login_answer(creds: Credentials, challenge: str) -> str:
    """The LOGIN mechanism: the server asks "Username:" then "Password:" in base64."""
    prompt = unb64(challenge).decode("utf-8", errors="replace").lower()
    if "pass" in prompt:
        return b64(creds.password.encode())
    return b64(creds.username.encode())


def _cram(digest: Callable[[], object]) -> Callable[[Credentials, str], str]:
    def answer(creds: Credentials, challenge: str) -> str:
        mac = hmac.new(creds.password.encode(), unb64(challenge), digest).hexdigest()  # type: ignore[arg-type]
        return b64(f"{creds.username} {mac}".encode())

    return answer


cram_md5_answer = _cram(hashlib.md5)
cram_sha1_answer = _cram(hashlib.sha1)

#: mechanism -> (initial response builder or None, challenge answerer or None)
MECHANISMS: dict[
    str, tuple[Callable[[Credentials], str] | None, Callable[[Credentials, str], str] | None]
] = {
    "PLAIN": (plain_initial, None),
    "LOGIN": (None, login_answer),
    "CRAM-MD5": (None, cram_md5_answer),
    "CRAM-SHA1": (None, cram_sha1_answer),
}


def choose_mechanism(offered: tuple[str, ...], wanted: tuple[str, ...] = ()) -> str | None:
    """The mechanism to use: the first of `wanted` the server offers, else by PREFERENCE."""
    offered_upper = {m.upper() for m in offered}
    for name in wanted or PREFERENCE:
        if name.upper() in offered_upper and name.upper() in MECHANISMS:
            return name.upper()
    return None
