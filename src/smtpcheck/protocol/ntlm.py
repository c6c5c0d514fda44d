"""NTLM (NTLMv2) client messages for SMTP AUTH NTLM, and MD4, in pure Python.

MS-NLMP: the client sends NEGOTIATE (type 1), the server answers CHALLENGE (type 2)
with an 8-byte nonce and its target information, the client sends AUTHENTICATE
(type 3) with an NTLMv2 response. MD4 is written out here because OpenSSL 3 moved it
to the legacy provider, so `hashlib.new("md4")` often fails.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
import time

SIGNATURE = b"NTLMSSP\0"
NEGOTIATE_UNICODE = 0x00000001
REQUEST_TARGET = 0x00000004
NEGOTIATE_NTLM = 0x00000200
NEGOTIATE_ALWAYS_SIGN = 0x00008000
NEGOTIATE_EXTENDED_SESSIONSECURITY = 0x00080000
NEGOTIATE_TARGET_INFO = 0x00800000
FLAGS = (
    NEGOTIATE_UNICODE
    | REQUEST_TARGET
    | NEGOTIATE_NTLM
    | NEGOTIATE_ALWAYS_SIGN
    | NEGOTIATE_EXTENDED_SESSIONSECURITY
)
MSV_AV_TIMESTAMP = 7
#: seconds between 1601-01-01 (FILETIME epoch) and 1970-01-01
EPOCH_DELTA = 11644473600


class NtlmError(ValueError):
    """The server's CHALLENGE message cannot be parsed."""


# ---- MD4 (RFC 1320) -------------------------------------------------------------------


def _rotl(value: int, shift: int) -> int:
    value &= 0xFFFFFFFF
    return ((value << shift) | (value >> (32 - shift))) & 0xFFFFFFFF


def md4(data: bytes) -> bytes:
    """MD4 digest of `data` (RFC 1320)."""
    length = len(data) * 8
    data += b"\x80" + b"\0" * ((55 - len(data)) % 64) + struct.pack("<Q", length)
    a, b, c, d = 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476
    for offset in range(0, len(data), 64):
        x = struct.unpack("<16I", data[offset : offset + 64])
        aa, bb, cc, dd = a, b, c, d
        for i in range(16):  # round 1
            k, s = i, (3, 7, 11, 19)[i % 4]
            f = (b & c) | (~b & d)
            a, b, c, d = d, _rotl(a + f + x[k], s), b, c
        for i in range(16):  # round 2
            k, s = (i % 4) * 4 + i // 4, (3, 5, 9, 13)[i % 4]
            g = (b & c) | (b & d) | (c & d)
            a, b, c, d = d, _rotl(a + g + x[k] + 0x5A827999, s), b, c
        for i in range(16):  # round 3
            k = (0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15)[i]
            s = (3, 9, 11, 15)[i % 4]
            h = b ^ c ^ d
            a, b, c, d = d, _rotl(a + h + x[k] + 0x6ED9EBA1, s), b, c
        a, b, c, d = (
            (a + aa) & 0xFFFFFFFF,
            (b + bb) & 0xFFFFFFFF,
            (c + cc) & 0xFFFFFFFF,
            (d + dd) & 0xFFFFFFFF,
        )
    return struct.pack("<4I", a, b, c, d)


# ---- messages ---------------------------------------------------------------------------


def negotiate_message() -> bytes:
    """Type 1: what the client can do; no domain or workstation sent."""
    return SIGNATURE + struct.pack("<II", 1, FLAGS) + b"\0" * 16


def parse_challenge(message: bytes) -> tuple[bytes, bytes, int]:
    """Type 2 -> (server challenge, target info, flags)."""
    if len(message) < 32 or not message.startswith(SIGNATURE):
        raise NtlmError("the server's NTLM challenge is not an NTLMSSP message")
    (kind,) = struct.unpack_from("<I", message, 8)
    if kind != 2:
        raise NtlmError(f"expected an NTLM CHALLENGE (type 2), got type {kind}")
    (flags,) = struct.unpack_from("<I", message, 20)
    challenge = message[24:32]
    info = b""
    if len(message) >= 48:
        length, _, offset = struct.unpack_from("<HHI", message, 40)
        info = message[offset : offset + length]
    return challenge, info, flags


def _timestamp(target_info: bytes) -> bytes | None:
    """MsvAvTimestamp from the target information, when the server gave one."""
    pos = 0
    while pos + 4 <= len(target_info):
        av_id, av_len = struct.unpack_from("<HH", target_info, pos)
        if av_id == 0:
            break
        if av_id == MSV_AV_TIMESTAMP and av_len == 8:
            return target_info[pos + 4 : pos + 12]
        pos += 4 + av_len
    return None


def nt_hash_v2(user: str, password: str, domain: str) -> bytes:
    """NTOWFv2: HMAC-MD5 keyed by MD4(password) over upper(user) + domain, UTF-16LE."""
    key = md4(password.encode("utf-16-le"))
    return hmac.new(key, (user.upper() + domain).encode("utf-16-le"), hashlib.md5).digest()


def ntlmv2_responses(
    user: str,
    password: str,
    domain: str,
    server_challenge: bytes,
    target_info: bytes,
    client_challenge: bytes,
    timestamp: bytes,
) -> tuple[bytes, bytes]:
    """(LMv2 response, NTLMv2 response) as MS-NLMP 3.3.2 computes them."""
    key = nt_hash_v2(user, password, domain)
    temp = b"\x01\x01" + b"\0" * 6 + timestamp + client_challenge + b"\0" * 4 + target_info
    temp += b"\0" * 4
    proof = hmac.new(key, server_challenge + temp, hashlib.md5).digest()
    lm = hmac.new(key, server_challenge + client_challenge, hashlib.md5).digest()
    return lm + client_challenge, proof + temp


def authenticate_message(
    user: str,
    password: str,
    domain: str,
    challenge_message: bytes,
    workstation: str = "",
    client_challenge: bytes | None = None,
    now: float | None = None,
) -> bytes:
    """Type 3 answering the server's type 2."""
    server_challenge, target_info, server_flags = parse_challenge(challenge_message)
    stamp = _timestamp(target_info)
    if stamp is None:
        filetime = int(((time.time() if now is None else now) + EPOCH_DELTA) * 10_000_000)
        stamp = struct.pack("<Q", filetime)
    lm, nt = ntlmv2_responses(
        user,
        password,
        domain,
        server_challenge,
        target_info,
        client_challenge or os.urandom(8),
        stamp,
    )
    fields = [
        lm,
        nt,
        domain.encode("utf-16-le"),
        user.encode("utf-16-le"),
        workstation.encode("utf-16-le"),
        b"",  # no session key exchange
    ]
    offset = 64
    header = SIGNATURE + struct.pack("<I", 3)
    payload = b""
    for value in fields:
        header += struct.pack("<HHI", len(value), len(value), offset)
        payload += value
        offset += len(value)
    flags = FLAGS | (server_flags & NEGOTIATE_TARGET_INFO)
    return header + struct.pack("<I", flags) + payload
