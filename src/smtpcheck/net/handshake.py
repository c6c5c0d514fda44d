"""What a completed TLS handshake produced: the negotiated parameters and the presented
certificates, as plain values (built by `net.tls.tls_info`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class CertificateInfo:
    """The facts of one certificate that a person checks first."""

    subject: str
    issuer: str
    names: tuple[str, ...]
    not_before: str
    not_after: str
    self_signed: bool
    key: str
    signature_algorithm: str
    der: bytes = field(repr=False, default=b"")

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "names": list(self.names),
            "not_before": self.not_before,
            "not_after": self.not_after,
            "self_signed": self.self_signed,
            "key": self.key,
            "signature_algorithm": self.signature_algorithm,
        }


@dataclass(frozen=True)
class TlsInfo:
    """The outcome of a handshake: what was negotiated and what was presented."""

    version: str
    cipher: str
    bits: int
    verified: bool
    chain: tuple[CertificateInfo, ...]

    def summary(self) -> str:
        return f"{self.version}:{self.cipher}:{self.bits}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "cipher": self.cipher,
            "bits": self.bits,
            "verified": self.verified,
            "chain": [cert.to_dict() for cert in self.chain],
        }
