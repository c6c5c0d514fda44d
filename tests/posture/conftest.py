"""The posture lab, started once per session (all on loopback, all real servers):

- `posture_keys`  the keys the zones quote: the real Postfix certificate's SPKI digest
                  (TLSA), a standby key, DKIM keys of 2048, 1024 and 512 bits, Ed25519.
- `posture_knot`  knot serving `peers.posture_zones` (signed test., good.test,
                  faults.test; unsigned.test insecure; bogus.test with a wrong DS).
- `posture_unbound` unbound validating in front of it (anchor: the test. zone's DS).
- `posture_web`   nginx on 127.0.8.1:443 serving the MTA-STS policies (test CA).
- `postfix_chain` the DER chain the real Postfix presents, captured by net/.
- `lab`           all of it: `.resolver()` asks unbound, `.authoritative()` asks knot
                  directly (a server that never validates), `.anchors`, `.ca_file`.

A missing knot, unbound or nginx FAILS these tests with the install hint (never skips).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dns.asyncresolver
import dns.name
import dns.rdata
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from peers import posture_zones
from peers.knot import KnotPeer, UnboundPeer
from peers.nginx import MtaStsWeb
from peers.postfix import PostfixPeer
from peers.process import running
from smtpcheck.dns.dnssec_chain import parse_anchors
from smtpcheck.dns.resolver import DnsServer, make_resolver
from smtpcheck.net.session import SmtpSession
from smtpcheck.net.tls import TlsOptions, build_context
from smtpcheck.net.transcript import Transcript

SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)

GOOD_POLICY = "version: STSv1\nmode: enforce\nmx: mx.good.test\nmax_age: 604800\n"


def _spki_sha256(public_key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey) -> str:
    return hashlib.sha256(public_key.public_bytes(*SPKI)).hexdigest()


def _b64(public_key: rsa.RSAPublicKey) -> str:
    return base64.b64encode(public_key.public_bytes(*SPKI)).decode()


@pytest.fixture(scope="session")
def posture_keys(postfix: PostfixPeer) -> posture_zones.LabKeys:
    cert = x509.load_pem_x509_certificate(Path(postfix.cert_path).read_bytes())
    postfix_key = cert.public_key()
    assert isinstance(postfix_key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey)
    standby = ec.generate_private_key(ec.SECP256R1()).public_key()
    tiny = rsa.RSAPublicNumbers(65537, (1 << 511) | 0xB5E3_77A1_0C4F_9D21).public_key()
    ed_raw = (
        ed25519.Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    return posture_zones.LabKeys(
        postfix_spki_sha256=_spki_sha256(postfix_key),
        standby_spki_sha256=_spki_sha256(standby),
        dkim_2048=_b64(rsa.generate_private_key(65537, 2048).public_key()),
        dkim_1024=_b64(rsa.generate_private_key(65537, 1024).public_key()),
        dkim_512=_b64(tiny),
        dkim_ed25519=base64.b64encode(ed_raw).decode(),
    )


@pytest.fixture(scope="session")
def posture_knot(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    posture_keys: posture_zones.LabKeys,
) -> Iterator[KnotPeer]:
    def make() -> KnotPeer:
        return KnotPeer(
            tmp_path_factory.mktemp("knot"),
            posture_zones.zones(posture_keys),
            signed=[posture_zones.ANCHOR, "good.test", "faults.test"],
            bogus={"bogus.test": posture_zones.BOGUS_DS_FROM},
        )

    yield from running(request, "knot", make)


@pytest.fixture(scope="session")
def posture_unbound(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    posture_knot: KnotPeer,
) -> Iterator[UnboundPeer]:
    anchors = posture_knot.anchors(posture_zones.ANCHOR)
    yield from running(
        request,
        "unbound",
        lambda: UnboundPeer(tmp_path_factory.mktemp("unbound"), posture_knot, anchors),
    )


POLICIES: dict[str, str | None] = {
    "mta-sts.good.test": GOOD_POLICY,
    "mta-sts.ststesting.faults.test": (
        "version: STSv1\nmode: testing\nmx: mx.ststesting.faults.test\nmax_age: 604800\n"
    ),
    "mta-sts.stsmiss.faults.test": (
        "version: STSv1\nmode: enforce\nmx: *.elsewhere.test\nmax_age: 604800\n"
    ),
    "mta-sts.stsuntrusted.faults.test": GOOD_POLICY,
    "mta-sts.stsnofile.faults.test": None,
    "mta-sts.stsbadpolicy.faults.test": "version: STSv1\nmode: strict\nmax_age: 86400\n",
    "mta-sts.stsbig.faults.test": "version: STSv1\n" + "# padding\n" * 8000,
    "mta-sts.stsshort.faults.test": (
        "version: STSv1\nmode: enforce\nmx: *.stsshort.faults.test\nmax_age: 3600\n"
    ),
}


@pytest.fixture(scope="session")
def posture_web(request: pytest.FixtureRequest) -> Iterator[MtaStsWeb]:
    def make() -> MtaStsWeb:
        return MtaStsWeb(
            posture_zones.HTTPS_IP,
            POLICIES,
            untrusted={"mta-sts.stsuntrusted.faults.test"},
            redirects={"mta-sts.stsredirect.faults.test": "https://elsewhere.test/policy.txt"},
        )

    yield from running(request, "nginx", make)


@dataclass
class Lab:
    unbound: UnboundPeer
    knot: KnotPeer
    web: MtaStsWeb
    postfix: PostfixPeer
    keys: posture_zones.LabKeys

    def resolver(self) -> dns.asyncresolver.Resolver:
        """Asks the validating resolver (unbound)."""
        return make_resolver(DnsServer.parse(self.unbound.server), timeout=3.0)

    def authoritative(self) -> dns.asyncresolver.Resolver:
        """Asks knot directly: answers carry RRSIGs but never the AD flag."""
        return make_resolver(DnsServer.parse(self.knot.server), timeout=3.0)

    @property
    def anchors(self) -> dict[dns.name.Name, list[dns.rdata.Rdata]]:
        """The lab's trust anchor: the DS of the test. zone, as unbound has it."""
        return parse_anchors(self.knot.anchors(posture_zones.ANCHOR))

    @property
    def ca_file(self) -> str:
        return str(self.web.ca_file)


@pytest.fixture(scope="session")
def lab(
    posture_unbound: UnboundPeer,
    posture_knot: KnotPeer,
    posture_web: MtaStsWeb,
    postfix: PostfixPeer,
    posture_keys: posture_zones.LabKeys,
) -> Lab:
    return Lab(posture_unbound, posture_knot, posture_web, postfix, posture_keys)


@pytest.fixture(scope="session")
def postfix_chain(postfix: PostfixPeer) -> list[bytes]:
    """The DER chain the real Postfix presents (implicit-TLS port), captured by net/ as
    `check` captures it."""

    async def capture() -> list[bytes]:
        session = SmtpSession(Transcript(), timeout=10)
        await session.connect(
            postfix.host,
            postfix.implicit_tls_port,
            tls_context=build_context(TlsOptions()),
            server_hostname="mx.good.test",
        )
        assert session.tls is not None
        chain = [cert.der for cert in session.tls.chain]
        await session.close()
        return chain

    return asyncio.run(capture())
