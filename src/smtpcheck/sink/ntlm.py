"""The server side of AUTH NTLM (MS-NLMP), enough for a capture sink.

The client sends NEGOTIATE (type 1), the sink answers CHALLENGE (type 2: a random
8-byte nonce and its target information), the client sends AUTHENTICATE (type 3), from
which the sink reads the domain and user name. The response itself is not verified:
the sink accepts any NTLM credentials (with a `--users` file NTLM is refused, since
verifying it would need the password's MD4 hash). Nothing secret is kept.
"""

from __future__ import annotations

import os
import struct

SIGNATURE = b"NTLMSSP\0"
NEGOTIATE_UNICODE = 0x00000001
NEGOTIATE_OEM = 0x00000002
REQUEST_TARGET = 0x00000004
NEGOTIATE_NTLM = 0x00000200
NEGOTIATE_ALWAYS_SIGN = 0x00008000
TARGET_TYPE_DOMAIN = 0x00010000
NEGOTIATE_EXTENDED_SESSIONSECURITY = 0x00080000
NEGOTIATE_TARGET_INFO = 0x00800000
NEGOTIATE_VERSION = 0x02000000
CHALLENGE_FLAGS = (
    NEGOTIATE_UNICODE
    | REQUEST_TARGET
    | NEGOTIATE_NTLM
    | NEGOTIATE_ALWAYS_SIGN
    | TARGET_TYPE_DOMAIN
    | NEGOTIATE_EXTENDED_SESSIONSECURITY
    | NEGOTIATE_TARGET_INFO
    | NEGOTIATE_VERSION
)
# AV pair ids (MS-NLMP 2.2.2.1)
AV_EOL, AV_NB_COMPUTER, AV_NB_DOMAIN, AV_DNS_COMPUTER, AV_DNS_DOMAIN = 0, 1, 2, 3, 4


def message_type(data: bytes) -> int | None:
    """1, 2 or 3 for an NTLM message, None for anything else."""
    if len(data) < 12 or not data.startswith(SIGNATURE):
        return None
    kind: int = struct.unpack_from("<I", data, 8)[0]
    return kind if kind in (1, 2, 3) else None


def challenge_message(hostname: str, nonce: bytes | None = None) -> bytes:
    """A CHALLENGE (type 2) message for a server called `hostname`."""
    computer = hostname.split(".")[0].upper()[:15] or "SINK"
    domain = (hostname.split(".")[1] if "." in hostname else computer).upper()[:15]
    target = domain.encode("utf-16-le")
    info = b"".join(
        struct.pack("<HH", av_id, len(value)) + value
        for av_id, value in (
            (AV_NB_DOMAIN, target),
            (AV_NB_COMPUTER, computer.encode("utf-16-le")),
            (AV_DNS_DOMAIN, hostname.partition(".")[2].encode("utf-16-le") or target),
            (AV_DNS_COMPUTER, hostname.encode("utf-16-le")),
        )
    ) + struct.pack("<HH", AV_EOL, 0)
    header = 56
    return (
        SIGNATURE
        + struct.pack("<I", 2)
        + struct.pack("<HHI", len(target), len(target), header)
        + struct.pack("<I", CHALLENGE_FLAGS)
        + (nonce if nonce is not None else os.urandom(8))
        + bytes(8)
        + struct.pack("<HHI", len(info), len(info), header + len(target))
        + bytes((10, 0))
        + struct.pack("<H", 17763)
        + bytes((0, 0, 0, 15))  # Windows 10 version
        + target
        + info
    )


def _field(data: bytes, offset: int) -> bytes:
    length, _, start = struct.unpack_from("<HHI", data, offset)
    if start + length > len(data):
        raise ValueError("security buffer outside the message")
    return data[start : start + length]


def parse_authenticate(data: bytes) -> tuple[str, str] | None:
    """(domain, user) of an AUTHENTICATE (type 3) message, or None when malformed."""
    if message_type(data) != 3 or len(data) < 64:
        return None
    try:
        flags: int = struct.unpack_from("<I", data, 60)[0]
        encoding = "utf-16-le" if flags & NEGOTIATE_UNICODE else "latin-1"
        domain = _field(data, 28).decode(encoding, "replace")
        user = _field(data, 36).decode(encoding, "replace")
    except (struct.error, ValueError):
        return None
    return domain, user
