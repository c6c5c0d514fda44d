"""Verifying a server's certificate chain after the handshake, from the captured DER.

Why not let `ssl` verify during the handshake: a failed verification aborts the
handshake, so the certificates, protocol and cipher could not be shown (and a test tool
must show them, as swaks does), and reconnecting to look would be a second, different
session. So `send` handshakes with CERT_NONE, captures the chain, then verifies it here
with `cryptography.x509.verification` (RFC 5280 path building, validity dates) and our
own RFC 6125 name matching, each answer separately: the CA check (`--tls-verify-ca`)
and the host name check (`--tls-verify-host`). A failure then ends the step before any
command is sent under TLS, exactly as a verifying handshake would have.
"""

from __future__ import annotations

import ipaddress
import os
import ssl
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Verification:
    """The outcome of each check that was asked for (None: not asked)."""

    ca_ok: bool | None = None
    ca_error: str | None = None
    host_ok: bool | None = None
    host_error: str | None = None

    @property
    def ok(self) -> bool:
        return self.ca_ok is not False and self.host_ok is not False

    def summary(self) -> str:
        parts = []
        if self.ca_ok is not None:
            parts.append(
                "CA verification passed"
                if self.ca_ok
                else f"failed CA verification ({self.ca_error})"
            )
        if self.host_ok is not None:
            parts.append(
                "host verification passed"
                if self.host_ok
                else f"failed host verification ({self.host_error})"
            )
        return ", ".join(parts)


def _pem_certificates(path: str) -> list[Any]:
    from cryptography import x509

    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return []
    if b"-----BEGIN CERTIFICATE-----" not in data:
        try:
            return [x509.load_der_x509_certificate(data)]
        except ValueError:
            return []
    import warnings

    with warnings.catch_warnings():  # old system CAs with odd serials still load
        warnings.simplefilter("ignore")
        try:
            return list(x509.load_pem_x509_certificates(data))
        except ValueError:
            return []


def load_trust_store(ca_path: str | None) -> list[Any]:
    """Certificates from a PEM file or a directory of them; the system's by default."""
    paths: list[str] = []
    if ca_path:
        paths.append(ca_path)
    else:
        defaults = ssl.get_default_verify_paths()
        paths += [
            p
            for p in (
                defaults.cafile,
                defaults.openssl_cafile,
                "/etc/ssl/certs/ca-certificates.crt",
                defaults.capath,
                defaults.openssl_capath,
            )
            if p
        ]
    certs: list[Any] = []
    seen: set[bytes] = set()
    for path in paths:
        files = (
            [os.path.join(path, name) for name in sorted(os.listdir(path))]
            if os.path.isdir(path)
            else [path]
        )
        for file in files:
            for cert in _pem_certificates(file):
                fingerprint = cert.fingerprint(cert.signature_hash_algorithm or _sha256())
                if fingerprint not in seen:
                    seen.add(fingerprint)
                    certs.append(cert)
        if certs and not ca_path:
            break  # the first system location that had certificates is the store
    return certs


def _sha256() -> Any:
    from cryptography.hazmat.primitives import hashes

    return hashes.SHA256()


def verify_ca(chain_der: list[bytes], ca_path: str | None) -> tuple[bool, str | None]:
    """Does the chain lead to a trusted certificate, with every date valid?"""
    from cryptography import x509
    from cryptography.x509.verification import (
        PolicyBuilder,
        Store,
        VerificationError,
    )

    if not chain_der:
        return False, "the server sent no certificate"
    leaf = x509.load_der_x509_certificate(chain_der[0])
    rest = [x509.load_der_x509_certificate(der) for der in chain_der[1:]]
    anchors = load_trust_store(ca_path)
    if not anchors:
        where = ca_path or "the system store"
        return False, f"no CA certificates could be read from {where}"
    names = _dns_names(leaf)
    ips = _ip_names(leaf)
    subject: Any = x509.DNSName(names[0]) if names else x509.IPAddress(ips[0]) if ips else None
    # First the Web PKI profile (RFC 5280 + CA/B rules). Private and test CAs often
    # break its extension rules while OpenSSL -- and so Postfix and swaks -- accept
    # them; then a plain path check (issuer names, signatures, dates, up to a trusted
    # certificate) decides, and the profile's complaint is kept as a note.
    try:
        builder = PolicyBuilder().store(Store(anchors))
        if subject is not None:
            builder.build_server_verifier(subject).verify(leaf, rest)
        else:
            builder.build_client_verifier().verify(leaf, rest)
        return True, None
    except VerificationError as exc:
        strict_error = _plain_error(str(exc), leaf)
    except ValueError as exc:
        strict_error = str(exc)
    path_error = _path_check(leaf, rest, anchors)
    if path_error is None:
        return True, f"accepted by path check; Web PKI profile: {strict_error}"
    return False, path_error


def _path_check(leaf: Any, rest: list[Any], anchors: list[Any]) -> str | None:
    """OpenSSL-like chain check; None when the path reaches a trusted certificate."""
    import datetime

    now = datetime.datetime.now(datetime.UTC)
    anchor_der = {a.tbs_certificate_bytes for a in anchors}
    cert, depth = leaf, 0
    while depth < 10:
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            return f"certificate {cert.subject.rfc4514_string()} is outside its validity dates"
        if cert.tbs_certificate_bytes in anchor_der:
            return None
        issuers = [c for c in (*rest, *anchors) if c.subject == cert.issuer and c is not cert]
        for issuer in issuers:
            try:
                cert.verify_directly_issued_by(issuer)
            except (ValueError, TypeError, Exception):  # InvalidSignature and friends
                continue
            if issuer.tbs_certificate_bytes in anchor_der:
                return None
            cert = issuer
            break
        else:
            if cert.issuer == cert.subject:
                return "self-signed certificate, not among the trusted CAs"
            return "unable to get local issuer certificate (no trusted CA signed this chain)"
        depth += 1
    return "certificate chain too long"


def _plain_error(message: str, leaf: Any) -> str:
    if leaf.issuer == leaf.subject and "candidates exhausted" in message:
        return "self-signed certificate, not among the trusted CAs"
    if "candidates exhausted" in message:
        return "unable to get local issuer certificate (no trusted CA signed this chain)"
    if "expired" in message or "not valid" in message:
        return f"certificate outside its validity dates: {message}"
    return message


def _dns_names(cert: Any) -> list[str]:
    from cryptography import x509

    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [str(n) for n in san.get_values_for_type(x509.DNSName)]


def _ip_names(cert: Any) -> list[Any]:
    from cryptography import x509

    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return list(san.get_values_for_type(x509.IPAddress))


def _name_matches(pattern: str, host: str) -> bool:
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if pattern == host:
        return True
    if pattern.startswith("*.") and "." in host:
        return host.split(".", 1)[1] == pattern[2:] and host.split(".", 1)[0] != ""
    return False


def verify_host(chain_der: list[bytes], host: str) -> tuple[bool, str | None]:
    """Is `host` one of the leaf certificate's names (SAN; CN when no DNS SAN)?"""
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    if not chain_der:
        return False, "the server sent no certificate"
    leaf = x509.load_der_x509_certificate(chain_der[0])
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        address = None
    if address is not None:
        if address in _ip_names(leaf):
            return True, None
        return False, f"{host} is not among the certificate's IP addresses"
    names = _dns_names(leaf)
    if not names:
        names = [str(a.value) for a in leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    if any(_name_matches(name, host) for name in names):
        return True, None
    shown = ", ".join(names[:6]) or "none"
    return False, f"{host} does not match the certificate's names ({shown})"


def verify_chain(
    chain_der: list[bytes],
    *,
    check_ca: bool,
    check_host: bool,
    host: str | None,
    ca_path: str | None,
) -> Verification:
    ca_ok = ca_error = host_ok = host_error = None
    if check_ca:
        ca_ok, ca_error = verify_ca(chain_der, ca_path)
    if check_host:
        if host:
            host_ok, host_error = verify_host(chain_der, host)
        else:
            host_ok, host_error = False, "no host name to check the certificate against"
    return Verification(ca_ok, ca_error, host_ok, host_error)
