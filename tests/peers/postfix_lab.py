"""The TLS and smuggling lab listeners of the private Postfix (see peers/postfix.py).

Three more smtpd listeners on 127.0.0.1, each overriding main.cf with `-o`:

| listener     | preferred | what it is                                                  |
|--------------|-----------|-------------------------------------------------------------|
| `weak_tls`   | 25532     | TLS 1.0-1.2, every suite (@SECLEVEL=0), client's order,     |
|              |           | 1024-bit self-made DH group, RSA-1024 certificate signed    |
|              |           | with SHA-1, no Extended Master Secret, client renegotiation |
| `modern_tls` | 25533     | TLS 1.2-1.3, ECDHE with AES-GCM/ChaCha20 only, server's     |
|              |           | order, X25519/P-256/P-384, ECDSA P-256 certificate (SHA-256)|
| `bare_lf`    | 25534     | smtpd_forbid_bare_newline = no, even for mynetworks: ends   |
|              |           | DATA at <LF>.<LF> (an SMTP-smuggling target)                |

OpenSSL 3 refuses TLS 1.0/1.1 handshakes (their MD5/SHA-1 signatures), 1024-bit keys
and SHA-1 certificates above security level 0, so the weak listener's cipher list ends
with `@SECLEVEL=0`; SSL 3.0 cannot be offered at all (Debian builds OpenSSL without it).
The modern one ends with `@SECLEVEL=3`, which also refuses SHA-1 and SHA-224 signatures.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from peers.process import PeerError, find_program, make_certificate

PREFERRED_PORTS = {"weak_tls": 25532, "modern_tls": 25533, "bare_lf": 25534}
WEAK_HOSTNAME = "weak.example.test"
MODERN_HOSTNAME = "modern.example.test"

# RFC 2409 section 6.2 (Oakley group 2): a 1024-bit prime, not an RFC 7919 group
OAKLEY_GROUP_2 = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22"
    "514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6"
    "F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381"
    "FFFFFFFFFFFFFFFF",
    16,
)
#: OpenSSL 3.0's SSL_OP_NO_EXTENDED_MASTER_SECRET | SSL_OP_ALLOW_CLIENT_RENEGOTIATION
WEAK_SSL_OPTIONS = "0x00000101"


@dataclass(frozen=True)
class LabFiles:
    weak_cert: Path
    weak_key: Path
    modern_cert: Path
    modern_key: Path
    dh_1024: Path


def write_lab_files(folder: Path) -> LabFiles:
    """The lab's certificates and DH parameters, in `folder` (which exists)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import dh, ec

    files = LabFiles(
        weak_cert=folder / "weak.crt",
        weak_key=folder / "weak.key",
        modern_cert=folder / "modern.crt",
        modern_key=folder / "modern.key",
        dh_1024=folder / "dh1024.pem",
    )
    # cryptography refuses to sign with SHA-1: the openssl command still does
    proc = subprocess.run(
        [find_program("openssl"), "req", "-x509", "-sha1", "-newkey", "rsa:1024", "-nodes",
         "-keyout", str(files.weak_key), "-out", str(files.weak_cert), "-days", "30",
         "-subj", f"/CN={WEAK_HOSTNAME}", "-addext", f"subjectAltName=DNS:{WEAK_HOSTNAME}"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        raise PeerError(f"openssl could not make the weak lab certificate:\n{proc.stderr}")

    make_certificate(
        files.modern_cert,
        files.modern_key,
        MODERN_HOSTNAME,
        ec.generate_private_key(ec.SECP256R1()),
    )
    files.dh_1024.write_bytes(
        dh.DHParameterNumbers(OAKLEY_GROUP_2, 2)
        .parameters()
        .parameter_bytes(serialization.Encoding.PEM, serialization.ParameterFormat.PKCS3)
    )
    for path in (files.weak_key, files.modern_key):
        path.chmod(0o600)
    return files


def lab_master_lines(host: str, ports: dict[str, int], files: LabFiles, smtpd: str) -> list[str]:
    """master.cf lines of the lab listeners (values after -o may not contain spaces)."""
    return [
        f"{host}:{ports['weak_tls']} {smtpd}",
        f"  -o smtpd_tls_chain_files={files.weak_key},{files.weak_cert}",
        "  -o smtpd_tls_protocols=>=TLSv1,<=TLSv1.2",
        "  -o smtpd_tls_mandatory_protocols=>=TLSv1,<=TLSv1.2",
        "  -o smtpd_tls_ciphers=medium",
        "  -o tls_medium_cipherlist=ALL:!aNULL:!eNULL:@SECLEVEL=0",
        "  -o tls_preempt_cipherlist=no",
        f"  -o smtpd_tls_dh1024_param_file={files.dh_1024}",
        f"  -o tls_ssl_options={WEAK_SSL_OPTIONS}",
        f"{host}:{ports['modern_tls']} {smtpd}",
        f"  -o smtpd_tls_chain_files={files.modern_key},{files.modern_cert}",
        "  -o smtpd_tls_protocols=>=TLSv1.2",
        "  -o smtpd_tls_mandatory_protocols=>=TLSv1.2",
        "  -o smtpd_tls_ciphers=high",
        "  -o tls_high_cipherlist=ECDHE+AESGCM:ECDHE+CHACHA20:@SECLEVEL=3",
        "  -o tls_preempt_cipherlist=yes",
        "  -o tls_eecdh_auto_curves=X25519,prime256v1,secp384r1",
        f"{host}:{ports['bare_lf']} {smtpd}",
        "  -o smtpd_forbid_bare_newline=no",
        "  -o smtpd_forbid_bare_newline_exclusions=",
    ]
