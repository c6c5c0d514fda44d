"""How NCSC-NL's TLS guidelines rate each choice a server makes: pure lookups.

The levels live in `data/tls_ncsc.toml` (what internet.nl grades mail servers by);
these functions answer "how good is TLS 1.1 / this cipher suite / this DH prime / this
certificate key?" with a `Level`. Anything the guidelines do not list is
`Level.INSUFFICIENT`. No I/O beyond the data file, no TLS library.
"""

from __future__ import annotations

import hashlib
from enum import IntEnum
from functools import cache
from typing import Any

from smtpcheck.knowledge._data import neutral

__all__ = [
    "Level",
    "certificate_key_level",
    "dh_group",
    "group_level",
    "kex_hash_level",
    "prime_fingerprint",
    "signature_level",
    "suite_level",
    "version_level",
]


class Level(IntEnum):
    """NCSC-NL's rating; a higher value is worse, so `max()` gives the weakest."""

    GOOD = 0
    SUFFICIENT = 1
    PHASE_OUT = 2
    INSUFFICIENT = 3

    @property
    def label(self) -> str:
        """The name used in the data file and in JSON: "phase_out", "good", ..."""
        return self.name.lower()


@cache
def _table() -> dict[str, Any]:
    return neutral("tls_ncsc")


def _level_in(
    section: dict[str, Any],
    value: str,
    *,
    good: str,
    sufficient: str = "",
    phase_out: str = "phase_out",
) -> Level:
    if value in section.get(good, ()):
        return Level.GOOD
    if sufficient and value in section.get(sufficient, ()):
        return Level.SUFFICIENT
    if value in section.get(phase_out, ()):
        return Level.PHASE_OUT
    return Level.INSUFFICIENT


def version_level(version: str) -> Level:
    """'TLSv1.3' -> GOOD, 'TLSv1.2' -> SUFFICIENT, older -> INSUFFICIENT."""
    return _level_in(_table()["versions"], version, good="good", sufficient="sufficient")


def suite_level(iana_name: str) -> Level:
    """A cipher suite by its IANA name, e.g. 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'."""
    return _level_in(_table()["cipher_suites"], iana_name, good="good", sufficient="sufficient")


def group_level(group: str) -> Level:
    """A named (elliptic-curve) key-exchange group, e.g. 'X25519', 'secp224r1'."""
    section = _table()["key_exchange"]
    return _level_in(section, group, good="good_groups", phase_out="phase_out_groups")


def prime_fingerprint(prime: int) -> str:
    """SHA-256 (hex) of a DH prime as big-endian bytes without leading zeros."""
    return hashlib.sha256(prime.to_bytes((prime.bit_length() + 7) // 8, "big")).hexdigest()


def dh_group(fingerprint: str, generator: int = 2) -> tuple[str | None, Level]:
    """The RFC 7919 group a DH prime (by `prime_fingerprint`) belongs to, and its level.

    (None, INSUFFICIENT) for any prime that is not an RFC 7919 group, or a generator
    other than 2.
    """
    if generator == 2:
        for name, entry in _table()["key_exchange"]["ffdhe"].items():
            if entry["sha256"] == fingerprint.lower():
                return str(name), Level[str(entry["level"]).upper()]
    return None, Level.INSUFFICIENT


def kex_hash_level(hash_name: str) -> Level:
    """The hash a TLS 1.2 key exchange is signed with: 'sha1' -> INSUFFICIENT."""
    section = _table()["key_exchange_hash"]
    name = hash_name.lower()
    if name in section["insufficient"]:
        return Level.INSUFFICIENT
    if name in section["phase_out"]:
        return Level.PHASE_OUT
    return Level.GOOD


def certificate_key_level(key_type: str, bits: int, curve: str | None = None) -> Level:
    """A certificate's public key: ('RSA', 2048) -> PHASE_OUT, ('EC', 256, 'secp256r1') -> GOOD."""
    section = _table()["certificate"]
    if key_type in section["good_key_types"]:
        return Level.GOOD
    if key_type == "RSA":
        if bits >= section["rsa_good_bits"]:
            return Level.GOOD
        return Level.PHASE_OUT if bits >= section["rsa_phase_out_bits"] else Level.INSUFFICIENT
    if key_type == "EC" and curve is not None:
        return _level_in(section, curve, good="good_curves", phase_out="phase_out_curves")
    return Level.INSUFFICIENT


def signature_level(algorithm: str, hash_name: str | None) -> Level:
    """A certificate signature: its hash ('sha256' -> SUFFICIENT, 'sha1' -> INSUFFICIENT),
    or the algorithm itself when it has no separate hash (Ed25519, Ed448)."""
    section = _table()["certificate"]
    if hash_name is None:
        known = algorithm.lower() in section["sufficient_signature_algorithms"]
        return Level.SUFFICIENT if known else Level.INSUFFICIENT
    if hash_name.lower() in section["sufficient_signature_hashes"]:
        return Level.SUFFICIENT
    return Level.INSUFFICIENT
