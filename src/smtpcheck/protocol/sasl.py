"""SASL client mechanisms for SMTP AUTH (RFC 4954), as pure functions.

Each mechanism turns a username and password (and, for challenge-based mechanisms, the
server's challenges) into the base64 strings sent on the wire. No I/O here: the session
driver sends what these return and feeds back what the server says.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
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
    """Who authenticates: user, password and the optional authorisation identity."""

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


# ---- stateful clients for `send` (every mechanism, including multi-step ones) ----------

#: Order in which a bare `--auth` tries the mechanisms the server offers (each one in
#: turn until one succeeds): challenge-response first, cleartext last. The OAuth
#: mechanisms need a token, so they are only used when named.
TRY_ORDER = ("CRAM-SHA1", "CRAM-MD5", "DIGEST-MD5", "NTLM", "PLAIN", "LOGIN")
#: every mechanism `client_for` knows
SUPPORTED = (*TRY_ORDER, "LOGIN-INITIAL", "XOAUTH2", "OAUTHBEARER")
#: names the server may use for a mechanism we know under another (swaks' --auth-map)
DEFAULT_ALIASES = {"SPA": "NTLM", "MSN": "NTLM"}


@dataclass
class SaslContext:
    """What some mechanisms need beyond the credentials."""

    host: str = "localhost"
    port: int = 25
    service: str = "smtp"
    realm: str | None = None
    domain: str = ""  # NTLM domain
    workstation: str = ""
    digest_uri: str | None = None


class SaslClient:
    """One authentication attempt: `initial()`, then `respond()` to each 334."""

    name = ""

    def __init__(self, creds: Credentials, context: SaslContext) -> None:
        self.creds = creds
        self.context = context
        self.steps = 0

    def initial(self) -> str | None:
        """The initial response sent with the AUTH command (None: wait for a 334)."""
        return None

    def respond(self, challenge: str) -> str:
        """The line answering a 334 challenge (base64 text, without the 334)."""
        raise SaslError(f"{self.name} expects no challenge")


class PlainClient(SaslClient):
    name = "PLAIN"

    def initial(self) -> str | None:
        return plain_initial(self.creds)


class LoginClient(SaslClient):
    name = "LOGIN"

    def respond(self, challenge: str) -> str:
        self.steps += 1
        return login_answer(self.creds, challenge)


class LoginInitialClient(LoginClient):
    """LOGIN with the user name sent on the AUTH line (swaks' LOGIN-INITIAL)."""

    name = "LOGIN-INITIAL"

    def initial(self) -> str | None:
        return b64(self.creds.username.encode())


class CramClient(SaslClient):
    digest: Callable[[], object] = hashlib.md5

    def respond(self, challenge: str) -> str:
        return _cram(type(self).digest)(self.creds, challenge)


class CramMd5Client(CramClient):
    name = "CRAM-MD5"
    digest = hashlib.md5


class CramSha1Client(CramClient):
    name = "CRAM-SHA1"
    digest = hashlib.sha1


def parse_digest_challenge(text: str) -> dict[str, str]:
    """RFC 2831 directives: `key=value` or `key="quoted"`, comma separated."""
    out: dict[str, str] = {}
    pos = 0
    while pos < len(text):
        while pos < len(text) and text[pos] in " ,\t":
            pos += 1
        eq = text.find("=", pos)
        if eq < 0:
            break
        key = text[pos:eq].strip().lower()
        pos = eq + 1
        if pos < len(text) and text[pos] == '"':
            pos += 1
            value = []
            while pos < len(text) and text[pos] != '"':
                if text[pos] == "\\" and pos + 1 < len(text):
                    pos += 1
                value.append(text[pos])
                pos += 1
            pos += 1
            out.setdefault(key, "".join(value))
        else:
            end = text.find(",", pos)
            end = len(text) if end < 0 else end
            out.setdefault(key, text[pos:end].strip())
            pos = end
    return out


class DigestMd5Client(SaslClient):
    """RFC 2831 DIGEST-MD5 (qop=auth): answer the digest, then accept rspauth."""

    name = "DIGEST-MD5"

    def __init__(self, creds: Credentials, context: SaslContext, cnonce: str | None = None):
        super().__init__(creds, context)
        self.cnonce = cnonce or secrets.token_hex(16)

    def respond(self, challenge: str) -> str:
        self.steps += 1
        text = unb64(challenge).decode("utf-8", "replace")
        if self.steps > 1 or text.startswith("rspauth="):
            return ""  # the server proved it knows the password too
        directives = parse_digest_challenge(text)
        nonce = directives.get("nonce")
        if not nonce:
            raise SaslError("the DIGEST-MD5 challenge has no nonce")
        realm = (
            self.context.realm if self.context.realm is not None else directives.get("realm", "")
        )
        uri = self.context.digest_uri or f"{self.context.service}/{self.context.host}"
        user, password = self.creds.username, self.creds.password
        nc, qop = "00000001", "auth"

        def md5(data: bytes) -> bytes:
            return hashlib.md5(data).digest()

        def hexmd5(data: bytes) -> str:
            return hashlib.md5(data).hexdigest()

        a1 = md5(f"{user}:{realm}:{password}".encode()) + f":{nonce}:{self.cnonce}".encode()
        if self.creds.authzid:
            a1 += f":{self.creds.authzid}".encode()
        a2 = f"AUTHENTICATE:{uri}".encode()
        response = hexmd5(f"{hexmd5(a1)}:{nonce}:{nc}:{self.cnonce}:{qop}:{hexmd5(a2)}".encode())
        parts = [
            f'username="{user}"',
            f'realm="{realm}"',
            f'nonce="{nonce}"',
            f'cnonce="{self.cnonce}"',
            f"nc={nc}",
            f"qop={qop}",
            f'digest-uri="{uri}"',
            f"response={response}",
        ]
        if directives.get("charset", "").lower() == "utf-8":
            parts.append("charset=utf-8")
        if self.creds.authzid:
            parts.append(f'authzid="{self.creds.authzid}"')
        return b64(",".join(parts).encode())


class NtlmClient(SaslClient):
    """NTLMv2: NEGOTIATE, then AUTHENTICATE answering the server's CHALLENGE."""

    name = "NTLM"

    def respond(self, challenge: str) -> str:
        from smtpcheck.protocol import ntlm

        self.steps += 1
        if self.steps == 1 and not challenge.strip():
            return b64(ntlm.negotiate_message())
        user, domain = self.creds.username, self.context.domain
        if not domain and "\\" in user:
            domain, _, user = user.partition("\\")
        try:
            message = ntlm.authenticate_message(
                user, self.creds.password, domain, unb64(challenge), self.context.workstation
            )
        except ntlm.NtlmError as exc:
            raise SaslError(str(exc)) from None
        return b64(message)

    def initial(self) -> str | None:
        from smtpcheck.protocol import ntlm

        self.steps = 1
        return b64(ntlm.negotiate_message())


class XOAuth2Client(SaslClient):
    """Google/Microsoft XOAUTH2: the password is the OAuth 2.0 access token."""

    name = "XOAUTH2"

    def initial(self) -> str | None:
        return b64(f"user={self.creds.username}\1auth=Bearer {self.creds.password}\1\1".encode())

    def respond(self, challenge: str) -> str:
        return ""  # a 334 here carries the JSON error; an empty line ends the exchange


class OAuthBearerClient(SaslClient):
    """RFC 7628 OAUTHBEARER: GS2 header, host, port and the bearer token."""

    name = "OAUTHBEARER"

    def initial(self) -> str | None:
        user = self.creds.username.replace("=", "=3D").replace(",", "=2C")
        gs2 = f"n,a={user}," if user else "n,,"
        ctx = self.context
        text = f"{gs2}\1host={ctx.host}\1port={ctx.port}\1auth=Bearer {self.creds.password}\1\1"
        return b64(text.encode())

    def respond(self, challenge: str) -> str:
        return b64(b"\1")  # RFC 7628 3.2.3: after the error challenge, a dummy ^A


CLIENTS: dict[str, type[SaslClient]] = {
    cls.name: cls
    for cls in (
        PlainClient,
        LoginClient,
        LoginInitialClient,
        CramMd5Client,
        CramSha1Client,
        DigestMd5Client,
        NtlmClient,
        XOAuth2Client,
        OAuthBearerClient,
    )
}


def client_for(name: str, creds: Credentials, context: SaslContext | None = None) -> SaslClient:
    """A fresh client for mechanism `name` (one of SUPPORTED)."""
    try:
        cls = CLIENTS[name.upper()]
    except KeyError:
        raise SaslError(f"unsupported SASL mechanism {name!r}") from None
    return cls(creds, context or SaslContext())


def oauth_error(challenge: str) -> str | None:
    """The JSON error an OAuth mechanism's 334 carries, decoded, when it is one."""
    try:
        text = base64.b64decode(challenge.strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    return text if text.lstrip().startswith("{") else None


def decode_for_display(line: str) -> str:
    """`--auth-plaintext`: a base64 line shown decoded (NUL as \\0, ^A as \\1)."""
    try:
        raw = base64.b64decode(line.strip(), validate=True)
    except ValueError:
        return line
    text = raw.decode("utf-8", "replace")
    if raw.startswith(b"NTLMSSP"):
        return f"<NTLM message type {raw[8] if len(raw) > 8 else '?'}>"
    return text.replace("\0", "\\0").replace("\1", "\\1")
