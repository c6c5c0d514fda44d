"""What a TLS-quality scan of one mail server address found, as plain data.

The scan itself (`net.tls_scan`, running SSLyze in a worker process) produces these
facts; `checks.tls_quality` grades them. They cross the process boundary as JSON
(`to_dict` / `facts_from_dict`), so nothing here knows SSLyze or nassl.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

#: every protocol version a scan tries, oldest first (the names OpenSSL prints)
TLS_VERSIONS = ("SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3")


class ScanOutcome(StrEnum):
    """How far the scan of one address got."""

    SCANNED = "scanned"  # every planned test ran (some may have failed: `errors`)
    INCOMPLETE = "incomplete"  # the time limit struck after part of the tests
    NO_STARTTLS = "no-starttls"  # the server does not offer STARTTLS (or refused it)
    NO_TLS = "no-tls"  # STARTTLS offered, but no TLS handshake succeeded with any version
    UNREACHABLE = "unreachable"  # no TCP connection, or no usable SMTP greeting
    TIMEOUT = "timeout"  # the time limit struck before anything was learnt
    ERROR = "error"  # the scanner itself failed (not installed, crashed)


@dataclass(frozen=True)
class ScanTarget:
    """One address of one mail host; `host` is sent as SNI and shown in reports."""

    host: str
    ip: str
    port: int = 25
    implicit_tls: bool = False  # TLS from the first byte (port 465), no STARTTLS

    @property
    def label(self) -> str:
        """ "mx1.example.test [192.0.2.1]" as `check` names an address; the port if not 25."""
        shown = f"{self.host} [{self.ip}]" if self.host != self.ip else self.ip
        return shown if self.port == 25 else f"{shown} port {self.port}"


@dataclass(frozen=True)
class EphemeralKey:
    """The (EC)DH key a server chose for forward secrecy."""

    kind: str  # "ECDH" or "DH"
    bits: int
    group: str | None = None  # curve name for ECDH ("X25519", "secp256r1")
    prime_sha256: str | None = None  # DH: fingerprint of the prime (see tls_grades)
    generator: int | None = None  # DH: the generator (RFC 7919 groups use 2)


@dataclass(frozen=True)
class AcceptedSuite:
    """A cipher suite the server accepted with one protocol version."""

    version: str  # one of TLS_VERSIONS
    name: str  # IANA name, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
    openssl_name: str  # e.g. ECDHE-RSA-AES128-GCM-SHA256
    bits: int
    key: EphemeralKey | None = None


@dataclass(frozen=True)
class CertificateFacts:
    """One certificate of the chain the server sent (leaf first)."""

    subject: str  # common name, else the first DNS name, else the whole subject
    key_type: str  # "RSA", "EC", "DSA", "Ed25519", "Ed448", or another name
    key_bits: int
    curve: str | None  # EC keys: the curve ("secp256r1")
    signature_algorithm: str  # e.g. "sha256WithRSAEncryption", "ed25519"
    signature_hash: str | None  # "sha256", "sha1", ...; None for EdDSA
    self_signed: bool  # subject == issuer: a root, skipped when grading (not the leaf)


@dataclass(frozen=True)
class CipherOrder:
    """Whether the server picks the cipher suite, and picks a strong one first.

    `violation` is (the suite the server chose, a stronger suite it passed over) when
    it preferred a weaker class; `enforced` False means it follows the client's order.
    """

    version: str
    enforced: bool
    violation: tuple[str, str] | None = None


@dataclass(frozen=True)
class TlsScanFacts:
    """Everything one scan learnt about one address; None means "not tested"."""

    target: ScanTarget
    outcome: ScanOutcome
    quick: bool = False
    detail: str | None = None  # why the scan stopped (outcome other than SCANNED)
    #: version -> accepted, for each version tried
    versions: dict[str, bool] = field(default_factory=dict)
    #: accepted suites: every one (full scan) or those negotiated by the version probes
    suites: tuple[AcceptedSuite, ...] = ()
    #: every suite of TLS 1.3 and of the newest version below it was tried (full scan)
    suites_complete: bool = False
    #: named groups the server accepts (full scan), else None
    groups: tuple[str, ...] | None = None
    cipher_order: CipherOrder | None = None
    #: weakest hash the server signs a TLS 1.2 key exchange with when only that is offered
    #: ("sha1", "sha224"), "sha256" when it refuses both, None when not tested
    kex_hash: str | None = None
    certificates: tuple[CertificateFacts, ...] = ()
    secure_renegotiation: bool | None = None
    client_renegotiation: bool | None = None  # the server accepts client-initiated ones
    compression: bool | None = None
    extended_master_secret: bool | None = None
    early_data: bool | None = None  # TLS 1.3 0-RTT accepted
    heartbleed: bool | None = None
    ccs_injection: bool | None = None
    robot: str | None = None  # "vulnerable-strong", "vulnerable-weak", "not-vulnerable", ...
    fallback_scsv: bool | None = None
    #: tests that could not run, each "test: reason"
    errors: tuple[str, ...] = ()
    elapsed_ms: float = 0.0

    @property
    def accepted_versions(self) -> tuple[str, ...]:
        return tuple(v for v in TLS_VERSIONS if self.versions.get(v))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _key(data: dict[str, Any] | None) -> EphemeralKey | None:
    return None if data is None else EphemeralKey(**data)


def facts_from_dict(data: dict[str, Any]) -> TlsScanFacts:
    """The inverse of `TlsScanFacts.to_dict()` (the worker's JSON)."""
    order = data.get("cipher_order")
    return TlsScanFacts(
        target=ScanTarget(**data["target"]),
        outcome=ScanOutcome(data["outcome"]),
        quick=bool(data.get("quick", False)),
        detail=data.get("detail"),
        versions={str(k): bool(v) for k, v in data.get("versions", {}).items()},
        suites=tuple(
            AcceptedSuite(**{**suite, "key": _key(suite.get("key"))})
            for suite in data.get("suites", ())
        ),
        suites_complete=bool(data.get("suites_complete", False)),
        groups=None if data.get("groups") is None else tuple(data["groups"]),
        cipher_order=None
        if order is None
        else CipherOrder(
            version=order["version"],
            enforced=order["enforced"],
            violation=None
            if order.get("violation") is None
            else (str(order["violation"][0]), str(order["violation"][1])),
        ),
        kex_hash=data.get("kex_hash"),
        certificates=tuple(CertificateFacts(**cert) for cert in data.get("certificates", ())),
        secure_renegotiation=data.get("secure_renegotiation"),
        client_renegotiation=data.get("client_renegotiation"),
        compression=data.get("compression"),
        extended_master_secret=data.get("extended_master_secret"),
        early_data=data.get("early_data"),
        heartbleed=data.get("heartbleed"),
        ccs_injection=data.get("ccs_injection"),
        robot=data.get("robot"),
        fallback_scsv=data.get("fallback_scsv"),
        errors=tuple(data.get("errors", ())),
        elapsed_ms=float(data.get("elapsed_ms", 0.0)),
    )
