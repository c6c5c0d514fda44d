"""AUTH for the sink: PLAIN, LOGIN (and NTLM: sink/ntlm.py), accepting anyone or a file's users.

The users file has one `user:password` per line; blank lines and `#` comments are
ignored. Without a file every credential is accepted (and recorded: the user name,
never the password).
"""

from __future__ import annotations

import base64
import binascii
import hmac
from pathlib import Path

MECHANISMS = ("PLAIN", "LOGIN", "NTLM")  # NTLM: sink/ntlm.py, any credentials


class UsersFileError(ValueError):
    """The users file cannot be read or has a malformed line."""


def load_users(path: Path) -> dict[str, str]:
    """Parse a users file into {user: password}."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsersFileError(f"cannot read users file {path}: {exc}") from None
    users: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        user, sep, password = stripped.partition(":")
        if not sep or not user:
            raise UsersFileError(f"{path}:{number}: expected user:password")
        users[user] = password
    return users


def b64decode(text: str) -> str | None:
    """Decode a SASL base64 line; None when it is not valid base64 / UTF-8."""
    try:
        return base64.b64decode(text.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def decode_plain(text: str) -> tuple[str, str] | None:
    """`authzid NUL authcid NUL password` (base64) -> (user, password)."""
    decoded = b64decode(text)
    if decoded is None or decoded.count("\0") != 2:
        return None
    _, user, password = decoded.split("\0")
    return user, password


def b64encode(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


class Authenticator:
    """Checks credentials: anyone (no users file) or the listed users."""

    def __init__(self, users: dict[str, str] | None = None) -> None:
        self.users = users

    def check(self, user: str, password: str) -> bool:
        if self.users is None:
            return True
        expected = self.users.get(user)
        return expected is not None and hmac.compare_digest(
            expected.encode("utf-8"), password.encode("utf-8")
        )
