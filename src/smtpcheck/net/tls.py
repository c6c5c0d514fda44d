"""TLS for SMTP: building the client context and describing what the server presented.

Verification is on when the user asks for it (`--tls-verify`, as in swaks): a test tool
must be able to talk to servers with self-signed certificates. Whatever the setting, the
certificate chain the server sent is captured, so it can be shown and checked later.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import Any

from smtpcheck.net.handshake import CertificateInfo, TlsInfo

_VERSIONS = {
    "tlsv1": ssl.TLSVersion.TLSv1,
    "tlsv1.0": ssl.TLSVersion.TLSv1,
    "tlsv1_1": ssl.TLSVersion.TLSv1_1,
    "tlsv1.1": ssl.TLSVersion.TLSv1_1,
    "tlsv1_2": ssl.TLSVersion.TLSv1_2,
    "tlsv1.2": ssl.TLSVersion.TLSv1_2,
    "tlsv1_3": ssl.TLSVersion.TLSv1_3,
    "tlsv1.3": ssl.TLSVersion.TLSv1_3,
}


class TlsConfigError(ValueError):
    """The TLS options cannot be turned into a context (bad file, bad version name)."""


def parse_tls_version(name: str) -> ssl.TLSVersion:
    try:
        return _VERSIONS[name.strip().lower().replace(" ", "")]
    except KeyError:
        names = ", ".join(sorted({k for k in _VERSIONS if "_" in k}))
        raise TlsConfigError(f"unknown TLS version {name!r} (use one of {names})") from None


@dataclass(frozen=True)
class TlsOptions:
    """What the user asked of TLS."""

    verify: bool = False
    ca_file: str | None = None
    sni: str | None = None
    min_version: str | None = None
    max_version: str | None = None
    client_cert: str | None = None
    client_key: str | None = None
    ciphers: str | None = None


def build_context(options: TlsOptions) -> ssl.SSLContext:
    """An `SSLContext` for a client, following `options`. Raises TlsConfigError."""
    try:
        context = ssl.create_default_context(cafile=options.ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise TlsConfigError(f"cannot read CA file {options.ca_file}: {exc}") from None
    if not options.verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    # Old servers still exist; a test tool must be able to reach them when asked.
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if options.min_version:
        context.minimum_version = parse_tls_version(options.min_version)
        if context.minimum_version < ssl.TLSVersion.TLSv1_2:
            context.set_ciphers("DEFAULT:@SECLEVEL=0")
    if options.max_version:
        context.maximum_version = parse_tls_version(options.max_version)
    if options.ciphers:
        try:
            context.set_ciphers(options.ciphers)
        except ssl.SSLError:
            raise TlsConfigError(f"no usable cipher in {options.ciphers!r}") from None
    if options.client_cert:
        try:
            context.load_cert_chain(options.client_cert, options.client_key)
        except (OSError, ssl.SSLError) as exc:
            raise TlsConfigError(f"cannot load client certificate: {exc}") from None
    return context


def peer_chain_der(ssl_object: Any) -> list[bytes]:
    """The DER certificates the server sent, leaf first (unverified, as presented)."""
    getter = getattr(ssl_object, "get_unverified_chain", None)
    if getter is not None:  # Python 3.13+
        return [bytes(cert) for cert in (getter() or [])]
    inner = getattr(ssl_object, "_sslobj", None)
    getter = getattr(inner, "get_unverified_chain", None)
    if getter is not None:  # 3.11 and 3.12 have it on the private object
        return [
            cert.public_bytes(ssl._ssl.ENCODING_DER)  # type: ignore[attr-defined]
            for cert in (getter() or [])
        ]
    leaf = ssl_object.getpeercert(binary_form=True)
    return [leaf] if leaf else []


def describe_certificate(der: bytes) -> CertificateInfo:
    """Parse a DER certificate into the facts shown to the user."""
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

    cert = x509.load_der_x509_certificate(der)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = tuple(str(n) for n in san.get_values_for_type(x509.DNSName)) + tuple(
            str(ip) for ip in san.get_values_for_type(x509.IPAddress)
        )
    except x509.ExtensionNotFound:
        names = ()
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        key_text = f"RSA {key.key_size}"
    elif isinstance(key, ec.EllipticCurvePublicKey):
        key_text = f"EC {key.curve.name}"
    elif isinstance(key, ed25519.Ed25519PublicKey):
        key_text = "Ed25519"
    elif isinstance(key, ed448.Ed448PublicKey):
        key_text = "Ed448"
    elif isinstance(key, dsa.DSAPublicKey):
        key_text = f"DSA {key.key_size}"
    else:
        key_text = type(key).__name__
    sig = cert.signature_algorithm_oid
    return CertificateInfo(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        names=names,
        not_before=cert.not_valid_before_utc.isoformat(),
        not_after=cert.not_valid_after_utc.isoformat(),
        self_signed=cert.issuer == cert.subject,
        key=key_text,
        signature_algorithm=getattr(sig, "_name", None) or sig.dotted_string,
        der=der,
    )


def tls_info(ssl_object: Any, *, verified: bool) -> TlsInfo:
    """Summarise a completed handshake from asyncio's `ssl_object`."""
    name, _protocol, bits = ssl_object.cipher() or ("unknown", "", 0)
    chain = tuple(describe_certificate(der) for der in peer_chain_der(ssl_object))
    return TlsInfo(
        version=ssl_object.version() or "unknown",
        cipher=name,
        bits=int(bits or 0),
        verified=verified,
        chain=chain,
    )
