"""net.verify: the one chain verifier (trust, relaxed for private CAs, and names)."""

from __future__ import annotations

import datetime

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from smtpcheck.net.verify import TrustStoreError, load_trust_store, verify_chain


def _der(issued):
    return [
        x509.load_pem_x509_certificate(b.bytes()).public_bytes(Encoding.DER)
        for b in issued.cert_chain_pems
    ]


@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


def test_private_ca_is_trusted_by_the_relaxed_pass_with_the_profile_complaint(ca, tmp_path):
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    chain = _der(ca.create_child_ca().issue_cert("mx.example.test", "192.0.2.7"))
    result = verify_chain(chain, host="mx.example.test", ca_path=str(ca_file))
    assert result.ok and result.trusted and result.host_match
    assert result.strict_error and "Web PKI profile" in (result.reason or "")
    assert verify_chain(chain, host="192.0.2.7", ca_path=str(ca_file)).host_match
    wrong = verify_chain(chain, host="other.example.test", ca_path=str(ca_file))
    assert wrong.trusted and wrong.host_match is False
    assert wrong.problem() == (
        "other.example.test does not match the certificate's names (mx.example.test)"
    )


def test_untrusted_missing_and_pinned(ca, tmp_path):
    leaf = _der(ca.issue_cert("mx.example.test"))[:1]
    other = load_trust_store(_write(tmp_path / "other.pem", trustme.CA().cert_pem.bytes()))
    untrusted = verify_chain(leaf, roots=other)
    assert untrusted.trusted is False and "no trusted CA signed" in (untrusted.reason or "")
    assert untrusted.host_match is None
    pinned = load_trust_store(_write(tmp_path / "leaf.pem", _pem(leaf[0])))
    assert verify_chain(leaf, roots=pinned).trusted
    before = datetime.datetime(1990, 1, 1, tzinfo=datetime.UTC)
    assert verify_chain(leaf, roots=pinned, at=before).trusted is False
    assert verify_chain([], host="x").problem() == "the server sent no certificate"


def test_trust_store_errors(tmp_path):
    with pytest.raises(TrustStoreError, match="cannot read CA file"):
        load_trust_store(str(tmp_path / "missing.pem"))
    with pytest.raises(TrustStoreError, match="no PEM certificate"):
        load_trust_store(_write(tmp_path / "empty.pem", b"nothing"))
    result = verify_chain([b"x"], ca_path=str(tmp_path / "missing.pem"))
    assert result.trusted is False and "unreadable" in (result.reason or "")


def _pem(der: bytes) -> bytes:
    return x509.load_der_x509_certificate(der).public_bytes(Encoding.PEM)


def _write(path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)
