"""DANE for SMTP (RFC 7672, RFC 7671): the TLSA records at `_25._tcp.<mx>` and whether
the certificate chain the server presented matches them.

Matching is our own (RFC 6698 §2.1, small and exact): usage 3 (DANE-EE) against the
server's own certificate, usage 2 (DANE-TA) against an issuer in the presented chain,
which must then really have issued the chain down to a leaf that names the MX host;
selector 0 (the whole certificate) or 1 (its SubjectPublicKeyInfo); matching type 0
(exact), 1 (SHA-256) or 2 (SHA-512). Usages 0 and 1 (PKIX-TA/PKIX-EE) are unusable for
SMTP (RFC 7672 §3.1.3), as are unknown parameters; a digest of the wrong length is
malformed. Records only count when DNSSEC-secure: in an insecure zone senders ignore
them (§2.2), and that is said. Two or more usable records make a key rollover possible
without an outage (RFC 7671 §8.1, as internet.nl reports it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import dns.asyncresolver

from smtpcheck.checks.dnssec import DnssecStatus, dnssec_status
from smtpcheck.checks.posture_findings import PostureResult, posture_finding
from smtpcheck.dns.dnssec_chain import Anchors, DnssecState
from smtpcheck.dns.query import DnsAnswer, ask
from smtpcheck.dns.resolver import DEFAULT_TIMEOUT

if TYPE_CHECKING:
    from cryptography.x509 import Certificate

USAGE_NAMES = {0: "PKIX-TA", 1: "PKIX-EE", 2: "DANE-TA", 3: "DANE-EE"}
_DIGEST_LENGTHS = {1: 32, 2: 64}


@dataclass(frozen=True)
class Tlsa:
    """One TLSA record: usage, selector, matching type, association data."""

    usage: int
    selector: int
    matching_type: int
    data: bytes

    @property
    def text(self) -> str:
        return f"{self.usage} {self.selector} {self.matching_type} {self.data.hex()}"

    @property
    def problem(self) -> tuple[str, str] | None:
        """("dane-record-unusable" | "dane-record-malformed", why), or None if usable."""
        if self.usage in (0, 1):
            return "dane-record-unusable", f"usage {self.usage} ({USAGE_NAMES[self.usage]})"
        if self.usage not in (2, 3):
            return "dane-record-unusable", f"unknown usage {self.usage}"
        if self.selector not in (0, 1):
            return "dane-record-unusable", f"unknown selector {self.selector}"
        if self.matching_type not in (0, 1, 2):
            return "dane-record-unusable", f"unknown matching type {self.matching_type}"
        wanted = _DIGEST_LENGTHS.get(self.matching_type)
        if wanted is not None and len(self.data) != wanted:
            return "dane-record-malformed", f"{len(self.data)} bytes, expected {wanted}"
        if not self.data:
            return "dane-record-malformed", "no association data"
        return None


def tlsa_from_text(text: str) -> Tlsa | None:
    """Parse "usage selector mtype hex"; None when it is not that."""
    parts = text.split()
    if len(parts) < 4 or not all(part.isdigit() for part in parts[:3]):
        return None
    try:
        data = bytes.fromhex("".join(parts[3:]))
    except ValueError:
        return None
    usage, selector, matching = (int(part) for part in parts[:3])
    if max(usage, selector, matching) > 255:
        return None
    return Tlsa(usage, selector, matching, data)


def _selected(cert: Certificate, selector: int) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    if selector == 0:
        return cert.public_bytes(Encoding.DER)
    return cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def _associated(data: bytes, matching_type: int) -> bytes:
    if matching_type == 1:
        return hashlib.sha256(data).digest()
    if matching_type == 2:
        return hashlib.sha512(data).digest()
    return data


def _matches(record: Tlsa, cert: Certificate) -> bool:
    return _associated(_selected(cert, record.selector), record.matching_type) == record.data


def _issued_down_to(chain: Sequence[Certificate], top: int) -> bool:
    """True when chain[k] was signed by chain[k+1] for every k below `top`."""
    for index in range(top):
        try:
            chain[index].verify_directly_issued_by(chain[index + 1])
        except Exception:  # wrong issuer name, bad signature, unsupported key
            return False
    return True


@dataclass(frozen=True)
class TlsaMatch:
    """How one usable record fared against the chain: `matched`, and why not."""

    record: Tlsa
    matched: bool
    detail: str


def match_chain(records: Sequence[Tlsa], chain_der: Sequence[bytes], host: str) -> list[TlsaMatch]:
    """Match every usable record against the presented chain (leaf first), for the MX
    host name `host` (the reference identity for DANE-TA, RFC 7672 §3.2.3)."""
    from cryptography import x509

    from smtpcheck.net.verify import match_host

    chain: list[Certificate] = []
    for der in chain_der:
        try:
            chain.append(x509.load_der_x509_certificate(der))
        except ValueError:
            break
    out: list[TlsaMatch] = []
    for record in records:
        if record.problem is not None:
            continue
        if not chain:
            out.append(TlsaMatch(record, False, "no certificate"))
        elif record.usage == 3:
            matched = _matches(record, chain[0])
            out.append(TlsaMatch(record, matched, "" if matched else "the server's certificate"))
        else:
            position = next((i for i in range(1, len(chain)) if _matches(record, chain[i])), None)
            if position is None:
                out.append(TlsaMatch(record, False, "no issuer in the presented chain"))
            elif not _issued_down_to(chain, position):
                out.append(TlsaMatch(record, False, "the chain does not lead to that issuer"))
            else:
                named, why = match_host(chain[0], host)
                out.append(TlsaMatch(record, named, why or ""))
    return out


async def lookup_tlsa(
    resolver: dns.asyncresolver.Resolver,
    host: str,
    *,
    port: int = 25,
    anchors: Anchors | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> tuple[list[Tlsa], DnssecStatus, DnsAnswer]:
    """The TLSA records at `_<port>._tcp.<host>`, with their DNSSEC status and the
    answer itself (`.malformed` when a record could not even be parsed)."""
    name = f"_{port}._tcp.{host.rstrip('.')}."
    status = await dnssec_status(resolver, name, "TLSA", anchors=anchors, timeout=timeout)
    answer = await ask(resolver, name, "TLSA", checking_disabled=True, timeout=timeout)
    records = [
        Tlsa(
            int(getattr(rdata, "usage", 0)),
            int(getattr(rdata, "selector", 0)),
            int(getattr(rdata, "mtype", 0)),
            bytes(getattr(rdata, "cert", b"")),
        )
        for rdata in answer.records
    ]
    return records, status, answer


async def check_dane(
    resolver: dns.asyncresolver.Resolver,
    host: str,
    lang: str,
    *,
    chain_der: Sequence[bytes] | None = None,
    anchors: Anchors | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> PostureResult:
    """The DANE findings for one MX host; `chain_der` is the certificate chain the server
    presented (`net` captures it: `TlsInfo.chain[i].der`), None when TLS was not tested."""
    out = PostureResult()
    name = host.rstrip(".")
    records, status, answer = await lookup_tlsa(resolver, name, anchors=anchors, timeout=timeout)
    out.data = {
        "name": f"_25._tcp.{name}",
        "records": [record.text for record in records],
        "dnssec": str(status.state),
    }
    if answer.malformed:
        out.add(
            posture_finding(
                "dane-record-malformed",
                lang,
                subject=name,
                record=f"_25._tcp.{name} TLSA",
                why=answer.detail,
            )
        )
        return out
    if not records:
        if status.state is DnssecState.BOGUS:
            out.add(
                posture_finding("dane-bogus", lang, subject=name, host=name, detail=status.detail)
            )
        else:
            out.add(posture_finding("dane-missing", lang, subject=name, host=name))
        return out
    if status.state is not DnssecState.SECURE:
        code = "dane-bogus" if status.state is DnssecState.BOGUS else "dane-insecure-ignored"
        out.add(posture_finding(code, lang, subject=name, host=name, detail=status.detail))
        return out
    usable = [record for record in records if record.problem is None]
    for record in records:
        if record.problem is not None:
            code, why = record.problem
            out.add(posture_finding(code, lang, subject=name, record=record.text, why=why))
    if len(usable) >= 2:
        out.add(posture_finding("dane-rollover-ready", lang, subject=name, count=len(usable)))
    elif usable:
        out.add(posture_finding("dane-rollover-single", lang, subject=name))
    if chain_der is None:
        out.add(posture_finding("dane-no-certificate", lang, subject=name, host=name))
        return out
    matches = match_chain(usable, chain_der, name)
    out.data["matches"] = [
        {"record": m.record.text, "matched": m.matched, "detail": m.detail} for m in matches
    ]
    matched = [m for m in matches if m.matched]
    if matched:
        out.add(posture_finding("dane-match", lang, subject=name, record=matched[0].record.text))
    elif usable:
        out.add(posture_finding("dane-no-match", lang, subject=name, host=name, count=len(usable)))
    return out
