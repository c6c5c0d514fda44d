"""Would this certificate chain pass verification? Checked offline, after the handshake.

The console shakes hands without verifying (a test tool must reach servers with
self-signed certificates), then checks the chain the server presented against the
system's trust store (or a CA file) and the name it connected to, so the TLS summary
always says whether a verifying client would have accepted it.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import warnings
from pathlib import Path

from smtpcheck.net.tls import CertificateInfo


def _trust_store_paths(ca_file: str | None) -> list[Path]:
    if ca_file:
        return [Path(ca_file)]
    paths = ssl.get_default_verify_paths()
    found = [Path(p) for p in (paths.cafile, paths.openssl_cafile) if p]
    return [p for p in found if p.is_file()][:1]


def verify_chain(chain: tuple[CertificateInfo, ...], name: str, ca_file: str | None) -> str:
    """'ok' or the reason a verifying client would refuse the chain."""
    if not chain or not chain[0].der:
        return "no certificate presented"
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives.serialization import Encoding
        from cryptography.x509 import verification
    except ImportError:  # pragma: no cover - cryptography is a dependency
        return "cannot check (cryptography.x509.verification unavailable)"
    roots: list[x509.Certificate] = []
    for path in _trust_store_paths(ca_file):
        try:
            with warnings.catch_warnings():  # old roots with odd serials are still roots
                warnings.simplefilter("ignore")
                roots += x509.load_pem_x509_certificates(path.read_bytes())
        except (OSError, ValueError) as exc:
            return f"cannot read the trust store {path}: {exc}"
    if not roots:
        return "no trust store found"
    leaf = x509.load_der_x509_certificate(chain[0].der)
    intermediates = [x509.load_der_x509_certificate(c.der) for c in chain[1:] if c.der]
    subject: x509.verification.Subject
    try:
        subject = x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        subject = x509.DNSName(name)
    try:
        verifier = (
            verification.PolicyBuilder()
            .store(verification.Store(roots))
            .time(datetime.datetime.now(datetime.UTC))
            .build_server_verifier(subject)
        )
        verifier.verify(leaf, intermediates)
    except (verification.VerificationError, ValueError) as exc:
        if any(root.public_bytes(Encoding.DER) == chain[0].der for root in roots):
            # A trusted self-signed leaf: OpenSSL accepts it if the name and dates fit.
            return _check_trusted_leaf(chain[0], name)
        return (str(exc) or "verification failed").split(" (encountered processing")[0]
    return "ok"


def _name_matches(pattern: str, name: str) -> bool:
    pattern, name = pattern.lower().rstrip("."), name.lower().rstrip(".")
    if pattern.startswith("*."):
        head, _, rest = name.partition(".")
        return bool(head) and rest == pattern[2:]
    return pattern == name


def _check_trusted_leaf(leaf: CertificateInfo, name: str) -> str:
    now = datetime.datetime.now(datetime.UTC)
    if not (
        datetime.datetime.fromisoformat(leaf.not_before)
        <= now
        <= datetime.datetime.fromisoformat(leaf.not_after)
    ):
        return "the certificate is outside its validity dates"
    if not any(_name_matches(pattern, name) for pattern in leaf.names):
        return f"the certificate does not name {name} (it names {', '.join(leaf.names)})"
    return "ok"
