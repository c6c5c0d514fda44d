"""Verifying a server's certificate chain after the handshake, from the captured DER.

The one verifier of smtpcheck: `send`, `console` and `check` all use it.

Why not let `ssl` verify during the handshake: a failed verification aborts the
handshake, so the certificates, protocol and cipher could not be shown (and a test tool
must show them, as swaks does), and reconnecting to look would be a second, different
session. So every command handshakes with CERT_NONE, captures the chain, then verifies
it here, answering two questions separately:

- trust: does the chain lead to a trusted certificate (the system store, or a CA file or
  directory), every certificate valid at the moment asked? First with
  `cryptography.x509.verification`'s Web PKI profile. Private and test CAs (trustme,
  a self-signed Postfix certificate) often break that profile's extension rules while
  OpenSSL -- and so Postfix and swaks -- accept them; so a second pass judges the
  extensions as OpenSSL does (issuers must be CAs and may sign certificates; the leaf's
  extensions are not judged), and the profile's complaint is kept as a note. A leaf that
  is itself in the trust store ("pinned") is trusted when its dates are valid.
- name: is the host one of the leaf's names (RFC 6125: DNS names of the
  subjectAltName, the CN only when there is none; IP addresses only against IP SANs).
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cryptography.x509 import Certificate

#: the Web PKI profile's wording for "no path to a trusted certificate"
_NO_PATH = "candidates exhausted"
_SELF_SIGNED = "self-signed certificate, not among the trusted CAs"
_NO_ISSUER = "unable to get local issuer certificate (no trusted CA signed this chain)"


class TrustStoreError(ValueError):
    """The CA file or directory the user named cannot be read or holds no certificate."""


@dataclass(frozen=True)
class Verification:
    """What the verifier found; None where that question was not asked."""

    trusted: bool | None = None
    #: why the chain is not trusted, in one line; when trusted only thanks to the
    #: relaxed pass, what it was accepted by and the Web PKI profile's complaint
    reason: str | None = None
    host_match: bool | None = None
    host_error: str | None = None
    #: the Web PKI profile's complaint, when it refused the chain
    strict_error: str | None = None

    @property
    def ok(self) -> bool:
        return self.trusted is not False and self.host_match is not False

    def problem(self) -> str | None:
        """The first reason a verifying client would refuse the certificate, if any."""
        if self.trusted is False:
            return self.reason
        if self.host_match is False:
            return self.host_error
        return None

    def summary(self, lang: str = "en") -> str:
        from smtpcheck.knowledge.i18n import t

        parts = []
        if self.trusted is not None:
            parts.append(
                t("net.verify_ca_ok", lang)
                if self.trusted
                else t("net.verify_ca_failed", lang, reason=self.reason)
            )
        if self.host_match is not None:
            parts.append(
                t("net.verify_host_ok", lang)
                if self.host_match
                else t("net.verify_host_failed", lang, reason=self.host_error)
            )
        return ", ".join(parts)


# -- the trust store ------------------------------------------------------------------


def _read_certificates(path: str) -> list[Certificate]:
    """The certificates of a PEM (or single DER) file; OSError when unreadable."""
    from cryptography import x509

    with open(path, "rb") as handle:
        data = handle.read()
    if b"-----BEGIN CERTIFICATE-----" not in data:
        try:
            return [x509.load_der_x509_certificate(data)]
        except ValueError:
            return []
    with warnings.catch_warnings():  # old roots with odd serials are still roots
        warnings.simplefilter("ignore")
        try:
            return list(x509.load_pem_x509_certificates(data))
        except ValueError:
            return []


def _system_locations() -> list[str]:
    defaults = ssl.get_default_verify_paths()
    return [
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


def load_trust_store(ca_path: str | None = None) -> list[Certificate]:
    """The certificates of `ca_path` (a PEM file or a directory of them), else the system's.

    The system store may come back empty; a `ca_path` that cannot be read or holds no
    certificate raises TrustStoreError.
    """
    certs: list[Certificate] = []
    seen: set[bytes] = set()
    for path in [ca_path] if ca_path else _system_locations():
        if os.path.isdir(path):
            files = [os.path.join(path, name) for name in sorted(os.listdir(path))]
        else:
            files = [path]
        for file in files:
            try:
                found = _read_certificates(file)
            except OSError as exc:
                if ca_path and file == ca_path:
                    raise TrustStoreError(
                        f"cannot read CA file {ca_path}: {exc.strerror}"
                    ) from None
                continue
            for cert in found:
                if cert.tbs_certificate_bytes not in seen:
                    seen.add(cert.tbs_certificate_bytes)
                    certs.append(cert)
        if certs and not ca_path:
            break  # the first system location that had certificates is the store
    if ca_path and not certs:
        raise TrustStoreError(f"no PEM certificate in {ca_path}")
    return certs


# -- trust ----------------------------------------------------------------------------


def _one_line(message: str) -> str:
    return (message or "verification failed").split(" (encountered processing")[0].strip()


def _plain_error(message: str, leaf: Certificate) -> str:
    """The verifier's message in the words OpenSSL users know."""
    if _NO_PATH in message:
        return _SELF_SIGNED if leaf.issuer == leaf.subject else _NO_ISSUER
    if "expired" in message or "not valid" in message:
        return f"certificate outside its validity dates: {_one_line(message)}"
    return _one_line(message)


def _valid_at(cert: Certificate, at: datetime.datetime) -> bool:
    return cert.not_valid_before_utc <= at <= cert.not_valid_after_utc


def _strict_check(
    leaf: Certificate, rest: list[Certificate], roots: Sequence[Certificate], at: datetime.datetime
) -> str | None:
    """The Web PKI profile, for the leaf's own first name; None when it accepts."""
    from cryptography import x509
    from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

    dns, ips = san_names(leaf)
    if not dns and not ips:
        return "the certificate has no subjectAltName"
    subject: Any = x509.DNSName(dns[0]) if dns else x509.IPAddress(ipaddress.ip_address(ips[0]))
    try:
        builder = PolicyBuilder().store(Store(list(roots))).time(at)
        builder.build_server_verifier(subject).verify(leaf, rest)
    except VerificationError as exc:
        return _plain_error(str(exc), leaf)
    except ValueError as exc:  # e.g. a name the verifier cannot parse
        return _one_line(str(exc))
    return None


def _must_be_ca(_policy: Any, _cert: Any, constraints: Any) -> None:
    if constraints is None or not constraints.ca:
        raise ValueError("an issuer that is not a CA (basicConstraints CA:FALSE)")


def _may_sign(_policy: Any, _cert: Any, usage: Any) -> None:
    if usage is not None and not usage.key_cert_sign:
        raise ValueError("an issuer whose key usage does not allow signing certificates")


def _relaxed_check(
    leaf: Certificate, rest: list[Certificate], roots: Sequence[Certificate], at: datetime.datetime
) -> str | None:
    """Paths, signatures and dates, extensions judged as OpenSSL does; None if trusted."""
    from cryptography import x509
    from cryptography.x509.verification import (
        Criticality,
        ExtensionPolicy,
        PolicyBuilder,
        Store,
        VerificationError,
    )

    ca_policy = (
        ExtensionPolicy.permit_all()
        .require_present(x509.BasicConstraints, Criticality.AGNOSTIC, _must_be_ca)
        .may_be_present(x509.KeyUsage, Criticality.AGNOSTIC, _may_sign)
    )
    try:
        verifier = (
            PolicyBuilder()
            .store(Store(list(roots)))
            .time(at)
            .extension_policies(ca_policy=ca_policy, ee_policy=ExtensionPolicy.permit_all())
            .build_client_verifier()  # the name is checked on its own, below
        )
        verifier.verify(leaf, rest)
    except VerificationError as exc:
        return _plain_error(str(exc), leaf)
    except ValueError as exc:
        return _one_line(str(exc))
    return None


def _trust(
    leaf: Certificate, rest: list[Certificate], roots: Sequence[Certificate], at: datetime.datetime
) -> tuple[bool, str | None, str | None]:
    """(trusted, reason, strict_error) for the chain `leaf` + `rest`."""
    if not roots:
        return False, "no trusted root certificates available", None
    if any(leaf == root for root in roots):  # pinned: the user trusts this very certificate
        if not _valid_at(leaf, at):
            return False, "the certificate is outside its validity dates", None
        return True, None, None
    strict_error = _strict_check(leaf, rest, roots, at)
    if strict_error is None:
        return True, None, None
    relaxed_error = _relaxed_check(leaf, rest, roots, at)
    if relaxed_error is None:
        return True, f"accepted by OpenSSL's rules; Web PKI profile: {strict_error}", strict_error
    return False, relaxed_error, strict_error


# -- names ----------------------------------------------------------------------------


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def name_matches(pattern: str, host: str) -> bool:
    """RFC 6125 §6.4: exact match, or a wildcard that is the whole leftmost label.

    `*.example.com` matches `mx.example.com` but not `example.com`, `a.b.example.com`
    or anything when the wildcard would cover a public suffix of one label (`*.com`).
    Partial-label wildcards (`m*.example.com`) are not honoured, as most MTAs do not.
    IP addresses match only the same address.
    """
    pattern, host = pattern.strip().rstrip(".").lower(), host.strip().rstrip(".").lower()
    if not pattern or not host:
        return False
    if _ip(pattern) is not None or _ip(host) is not None:
        return _ip(pattern) is not None and _ip(pattern) == _ip(host)
    if not pattern.startswith("*."):
        return pattern == host
    suffix = pattern[2:]
    if "*" in suffix or suffix.count(".") < 1:
        return False
    first, _, rest = host.partition(".")
    return bool(first) and rest == suffix


def san_names(cert: Certificate) -> tuple[list[str], list[str]]:
    """The subjectAltName's DNS names and IP addresses (as text)."""
    from cryptography import x509

    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return [], []
    dns = [str(n) for n in san.get_values_for_type(x509.DNSName)]
    return dns, [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]


def common_names(cert: Certificate) -> list[str]:
    from cryptography.x509.oid import NameOID

    return [str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]


def match_host(cert: Certificate, host: str) -> tuple[bool, str | None]:
    """Is `host` one of the certificate's names? (matched, why not)"""
    if not host:
        return False, "no host name to check the certificate against"
    dns, ips = san_names(cert)
    if _ip(host) is not None:
        if any(name_matches(ip, host) for ip in ips):
            return True, None
        return False, f"{host} is not among the certificate's IP addresses"
    names = dns or common_names(cert)
    if any(name_matches(name, host) for name in names):
        return True, None
    shown = ", ".join(names[:6]) or "none"
    return False, f"{host} does not match the certificate's names ({shown})"


# -- the verifier ---------------------------------------------------------------------


def verify_chain(
    chain_der: Sequence[bytes],
    *,
    host: str | None = None,
    roots: Sequence[Certificate] | None = None,
    ca_path: str | None = None,
    check_trust: bool = True,
    at: datetime.datetime | None = None,
) -> Verification:
    """Verify the presented chain (leaf first): trust unless `check_trust` is false,
    against `roots` or else the store `load_trust_store(ca_path)` reads, at `at` (now);
    the name when `host` is given (an empty host fails).
    """
    from cryptography import x509

    trusted = reason = host_match = host_error = strict_error = None
    try:
        chain = [x509.load_der_x509_certificate(der) for der in chain_der if der]
    except ValueError as exc:
        chain, problem = [], f"unreadable certificate: {exc}"
    else:
        problem = "the server sent no certificate"
    if not chain:
        return Verification(
            trusted=False if check_trust else None,
            reason=problem if check_trust else None,
            host_match=False if host is not None else None,
            host_error=problem if host is not None else None,
        )
    if check_trust:
        if roots is None:
            try:
                roots = load_trust_store(ca_path)
            except TrustStoreError as exc:
                roots, reason = [], str(exc)
        trusted, trust_reason, strict_error = _trust(
            chain[0], chain[1:], roots, at or datetime.datetime.now(datetime.UTC)
        )
        reason = reason or trust_reason
    if host is not None:
        host_match, host_error = match_host(chain[0], host)
    return Verification(trusted, reason, host_match, host_error, strict_error)
