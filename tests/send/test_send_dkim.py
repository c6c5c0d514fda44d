"""`--dkim-key`: a message signed by `send`, delivered by Postfix, verifies with dkimpy.

The key is made in the test; the verifier's DNS lookup is replaced by a function that
returns the matching public key record, so no DNS is involved.
"""

from __future__ import annotations

import base64
import uuid

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from clirun import run_cli

SELECTOR = "sel2026"
DOMAIN = "example.test"


def _rsa_key(tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "dkim.key"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return path, b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)


def _dnsfunc(record: bytes):
    expected = f"{SELECTOR}._domainkey.{DOMAIN}.".encode()

    def lookup(name: bytes, timeout: int = 5) -> bytes | None:
        return record if name == expected else None

    return lookup


def _crlf(raw: bytes) -> bytes:
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def _deliver(postfix, key_path, marker: str, *extra: str):
    result = run_cli(
        "send",
        "--server",
        f"{postfix.host}:{postfix.ports['main']}",
        "--from",
        f"sender@{DOMAIN}",
        "--to",
        "alice@example.test",
        "--header",
        f"X-Test-Marker: {marker}",
        "--dkim-key",
        str(key_path),
        "--dkim-selector",
        SELECTOR,
        "--dkim-domain",
        DOMAIN,
        "--output",
        "json",
        "--timeout",
        "20s",
        *extra,
    )
    assert result.code == 0, result.stdout + result.stderr
    return result, postfix.wait_for_delivery("alice", marker)


def test_dkim_signature_verifies_after_delivery(postfix, tmp_path):
    key_path, record = _rsa_key(tmp_path)
    marker = uuid.uuid4().hex
    result, delivered = _deliver(postfix, key_path, marker, "--body", "Signed body.\nLine 2.")
    notes = [e["text"] for e in result.report["transcript"] if e["direction"] == "note"]
    assert any(f"d={DOMAIN} s={SELECTOR}" in n for n in notes)
    signature = delivered.message["DKIM-Signature"]
    assert f"d={DOMAIN}" in signature and f"s={SELECTOR}" in signature
    assert "a=rsa-sha256" in signature
    assert dkim.verify(_crlf(delivered.raw), dnsfunc=_dnsfunc(record))


def test_dkim_signature_fails_for_another_key_or_a_changed_body(postfix, tmp_path):
    """The check has teeth: the wrong key, or a body changed after signing, fail."""
    key_path, record = _rsa_key(tmp_path)
    other_dir = tmp_path / "other"
    other_dir.mkdir()
    _, other_record = _rsa_key(other_dir)
    marker = uuid.uuid4().hex
    _, delivered = _deliver(postfix, key_path, marker)
    raw = _crlf(delivered.raw)
    assert dkim.verify(raw, dnsfunc=_dnsfunc(record))
    assert not dkim.verify(raw, dnsfunc=_dnsfunc(other_record))
    assert not dkim.verify(raw + b"tampered\r\n", dnsfunc=_dnsfunc(record))


@pytest.mark.parametrize("problem", ["missing-selector", "bad-key"])
def test_dkim_usage_errors(tmp_path, problem):
    key_path = tmp_path / "bad.key"
    key_path.write_text("not a key")
    args = ["--dkim-key", str(key_path)]
    if problem == "bad-key":
        args += ["--dkim-selector", SELECTOR]
    result = run_cli(
        "send",
        "--server",
        "127.0.0.1:9",
        "--to",
        "a@example.test",
        "--from",
        "b@example.test",
        *args,
    )
    assert result.code == 1
