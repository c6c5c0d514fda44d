"""The negotiated TLS session: protocol version and cipher strength.

NCSC-NL (as used by internet.nl): TLS 1.3 good, TLS 1.2 sufficient, older versions
insufficient. Ciphers with under 128-bit keys or from broken families are weak.
"""

from __future__ import annotations

from smtpcheck.checks import make_finding
from smtpcheck.report.model import Finding, Status

_GOOD_VERSIONS = ("TLSv1.3", "TLSv1.2")
_WEAK_CIPHER_PARTS = ("RC4", "DES-CBC3", "3DES", "NULL", "EXPORT", "MD5", "ANON", "ADH")


def check_tls_session(
    version: str, cipher: str, bits: int, lang: str, *, subject: str | None = None
) -> list[Finding]:
    """Findings about one completed handshake."""
    out: list[Finding] = []
    if version in _GOOD_VERSIONS:
        out.append(
            make_finding(Status.PASS, "tls-version-ok", lang, subject=subject, version=version)
        )
    else:
        out.append(
            make_finding(Status.WARN, "tls-version-old", lang, subject=subject, version=version)
        )
    weak = bits < 128 or any(part in cipher.upper() for part in _WEAK_CIPHER_PARTS)
    if weak:
        out.append(
            make_finding(
                Status.WARN, "tls-cipher-weak", lang, subject=subject, cipher=cipher, bits=bits
            )
        )
    else:
        out.append(
            make_finding(
                Status.PASS, "tls-cipher-ok", lang, subject=subject, cipher=cipher, bits=bits
            )
        )
    return out
