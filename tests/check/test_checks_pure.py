"""The pure checks, from plain facts: names, banner, reverse DNS, probes, certificates."""

from __future__ import annotations

import datetime

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from smtpcheck.checks.banner import check_banner
from smtpcheck.checks.certificate import check_certificate
from smtpcheck.checks.names import is_fqdn
from smtpcheck.checks.probes import check_random_recipient, check_relay
from smtpcheck.checks.rdns import RdnsFacts, check_rdns
from smtpcheck.knowledge.i18n import message_keys
from smtpcheck.net.verify import name_matches


@pytest.mark.parametrize(
    ("pattern", "host", "ok"),
    [
        ("mx.example.com", "MX.Example.com.", True),
        ("*.example.com", "mx.example.com", True),
        ("*.example.com", "example.com", False),
        ("*.example.com", "a.b.example.com", False),
        ("*.com", "example.com", False),
        ("m*.example.com", "mx.example.com", False),
        ("127.0.0.1", "127.0.0.1", True),
    ],
)
def test_rfc6125_matching(pattern, host, ok):
    assert name_matches(pattern, host) is ok


def test_fqdn():
    assert is_fqdn("mail1.fabrikam.com") and not is_fqdn("vm") and not is_fqdn("bad..host")


def codes(findings):
    return {f.code: str(f.status) for f in findings}


def test_banner_tarpit_is_info_not_error():
    found = codes(check_banner(220, ["mx.example.com ESMTP"], 12.0, "en"))
    assert found == {"banner-ok": "pass", "banner-slow": "info"}
    assert codes(check_banner(554, ["go away"], 0.1, "en")) == {"banner-refused": "fail"}


def test_rdns():
    ok = RdnsFacts("192.0.2.1", "ok", ("mx.example.com",), {"mx.example.com": ["192.0.2.1"]})
    assert codes(check_rdns(ok, "en", banner_name="mx.example.com")) == {"fcrdns-ok": "pass"}
    bad = RdnsFacts("192.0.2.1", "ok", ("x.example.net",), {"x.example.net": ["192.0.2.9"]})
    found = codes(check_rdns(bad, "en", banner_name="mx.example.com"))
    assert found == {"fcrdns-mismatch": "warn", "ptr-name-differs": "info"}
    assert codes(check_rdns(RdnsFacts("192.0.2.1", "nxdomain"), "en")) == {"ptr-missing": "warn"}


def test_probes_wording():
    relay = check_relay(250, "x@example.com", "en")
    assert relay.code == "maybe-open-relay" and "may be an open relay" in relay.message
    assert check_relay(554, "x@example.com", "en").code == "relay-refused"
    assert check_random_recipient(250, "r@x", "en").code == "catch-all"


def _der(leaf):
    return [
        x509.load_pem_x509_certificate(b.bytes()).public_bytes(Encoding.DER)
        for b in leaf.cert_chain_pems
    ]


def test_certificate_findings_are_separate():
    ca = trustme.CA()
    inter = ca.create_child_ca()
    roots = [x509.load_pem_x509_certificate(ca.cert_pem.bytes())]
    chain = _der(inter.issue_cert("mx.example.test"))
    assert codes(check_certificate(chain, "mx.example.test", roots, "en")) == {
        "cert-trusted": "pass",
        "cert-dates-ok": "pass",
        "cert-name-ok": "pass",
        "cert-key-ok": "pass",
    }
    missing = codes(check_certificate(chain[:1], "mx.example.test", roots, "en"))
    assert missing["cert-missing-intermediate"] == "warn"
    expired = ca.issue_cert(
        "old.example.test",
        not_before=datetime.datetime(2020, 1, 1),
        not_after=datetime.datetime(2021, 1, 1),
    )
    found = codes(check_certificate(_der(expired), "old.example.test", roots, "en"))
    assert found["cert-expired"] == "fail" and found["cert-trusted"] == "pass"
    assert codes(check_certificate(chain, "mx.example.test", [], "en"))["cert-untrusted"] == "warn"


def test_every_check_message_in_both_languages():
    en = {k for k in message_keys("en") if k.startswith("check.")}
    it = {k for k in message_keys("it") if k.startswith("check.")}
    assert en == it and len(en) > 150
