"""DNSSEC validation done by smtpcheck itself, for when the resolver does not validate.

From a trust anchor (the IANA root keys, or the anchors given, as in unbound's
trust-anchor-file) down to the name, one label at a time: the DS set at each name is
checked against the parent zone's keys; a signed DS leads to the child's DNSKEY set
(one key must match a DS and sign the set); a signed denial of the DS (NSEC or NSEC3)
at a delegation (NS in the type bitmap) makes everything below insecure. Last, the
answer itself is checked against the closest zone's keys. Signatures are verified by
dnspython's `dns.dnssec` (with `cryptography`). All queries set CD, so a validating
resolver hands over what it would refuse, and DO, so RRSIGs come along.

Simplifications, on purpose: a signed NXDOMAIN or NODATA is accepted when every NSEC or
NSEC3 set in the response verifies (the closest-encloser proof is not rebuilt), and
wildcard expansion is not checked.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

import dns.asyncresolver

with warnings.catch_warnings():
    # dnspython's DSA support (algorithm 3, long obsolete) touches cryptography's
    # deprecated DSA classes at import; the warning would reach the user's terminal.
    warnings.filterwarnings("ignore", message="DSA is deprecated")
    import dns.dnssec
import dns.dnssectypes
import dns.exception
import dns.message
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from smtpcheck.dns.query import DnsAnswer, ask
from smtpcheck.dns.resolver import DEFAULT_TIMEOUT, LookupStatus

#: IANA's root zone key-signing keys (root-anchors.xml): KSK-2017 and KSK-2024
ROOT_ANCHORS = (
    ". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D",
    ". IN DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16",
)

Anchors = Mapping[dns.name.Name, list[dns.rdata.Rdata]]


class DnssecState(StrEnum):
    SECURE = "secure"  # signed, and the chain of trust holds
    INSECURE = "insecure"  # provably unsigned: a delegation without DS
    BOGUS = "bogus"  # signed, but something in the chain does not verify
    INDETERMINATE = "indeterminate"  # could not tell: DNS failed, or no anchor applies


@dataclass(frozen=True)
class ChainResult:
    """How the name's answer validated; `zone` is the last secure zone (or the insecure
    delegation), `detail` says why in one line."""

    state: DnssecState
    zone: str
    detail: str


def parse_anchors(lines: Iterable[str]) -> dict[dns.name.Name, list[dns.rdata.Rdata]]:
    """Trust anchors from DS lines ("owner [ttl] [IN] DS tag alg type digest"), as
    `keymgr ZONE ds` or unbound's trust-anchor-file write them. Other lines are skipped."""
    anchors: dict[dns.name.Name, list[dns.rdata.Rdata]] = {}
    for line in lines:
        tokens = line.split(";", 1)[0].split()
        upper = [token.upper() for token in tokens]
        if "DS" not in upper or not tokens:
            continue
        where = upper.index("DS")
        try:
            owner = dns.name.from_text(tokens[0])
            rdata = dns.rdata.from_text(
                dns.rdataclass.IN, dns.rdatatype.DS, " ".join(tokens[where + 1 :])
            )
        except (dns.exception.DNSException, ValueError):
            continue
        anchors.setdefault(owner, []).append(rdata)
    return anchors


def root_anchors() -> dict[dns.name.Name, list[dns.rdata.Rdata]]:
    return parse_anchors(ROOT_ANCHORS)


class _Bogus(Exception):
    pass


class _Indeterminate(Exception):
    pass


def _rrsets(
    response: dns.message.Message, section: list[dns.rrset.RRset], name: dns.name.Name, rdtype: int
) -> tuple[dns.rrset.RRset | None, dns.rrset.RRset | None]:
    kind = dns.rdatatype.RdataType.make(rdtype)
    found = response.get_rrset(section, name, dns.rdataclass.IN, kind)
    signatures = response.get_rrset(section, name, dns.rdataclass.IN, dns.rdatatype.RRSIG, kind)
    return found, signatures


def _verify(
    rrset: dns.rrset.RRset,
    signatures: dns.rrset.RRset | None,
    zone: dns.name.Name,
    keys: dns.rrset.RRset,
) -> None:
    if signatures is None or not len(signatures):
        raise _Bogus(f"{rrset.name} {dns.rdatatype.to_text(rrset.rdtype)} is not signed")
    try:
        dns.dnssec.validate(rrset, signatures, {zone: keys})
    except dns.exception.DNSException as error:  # ValidationFailure, UnsupportedAlgorithm
        raise _Bogus(
            f"{rrset.name} {dns.rdatatype.to_text(rrset.rdtype)}: signature does not verify"
            f" with the keys of {zone} ({error})"
        ) from None


def _ds_matches(
    zone: dns.name.Name, key: dns.rdata.Rdata, ds_set: Iterable[dns.rdata.Rdata]
) -> bool:
    for ds in ds_set:
        try:
            made = dns.dnssec.make_ds(
                zone, key, dns.dnssectypes.DSDigest(getattr(ds, "digest_type", 2))
            )
        except (dns.exception.DNSException, ValueError):
            continue
        if made == ds:
            return True
    return False


def _check(answer: DnsAnswer) -> dns.message.Message:
    if answer.status.is_failure or answer.response is None:
        raise _Indeterminate(f"{answer.name} {answer.rdtype}: {answer.detail or answer.status}")
    return answer.response


class _Validator:
    def __init__(self, resolver: dns.asyncresolver.Resolver, timeout: float) -> None:
        self.resolver = resolver
        self.timeout = timeout

    async def ask(self, name: dns.name.Name, rdtype: str) -> DnsAnswer:
        return await ask(self.resolver, name, rdtype, checking_disabled=True, timeout=self.timeout)

    async def zone_keys(
        self, zone: dns.name.Name, ds_set: Iterable[dns.rdata.Rdata]
    ) -> dns.rrset.RRset:
        """The zone's DNSKEY set, once a key matching `ds_set` has signed it."""
        response = _check(await self.ask(zone, "DNSKEY"))
        keys, signatures = _rrsets(response, response.answer, zone, dns.rdatatype.DNSKEY)
        if keys is None:
            raise _Bogus(f"{zone} has a DS in its parent but no DNSKEY")
        trusted = [key for key in keys if _ds_matches(zone, key, ds_set)]
        if not trusted:
            raise _Bogus(f"no DNSKEY of {zone} matches its DS")
        _verify(keys, signatures, zone, dns.rrset.from_rdata_list(zone, keys.ttl, trusted))
        return keys

    def denial(
        self, response: dns.message.Message, zone: dns.name.Name, keys: dns.rrset.RRset
    ) -> list[dns.rrset.RRset]:
        """The NSEC/NSEC3 sets of a negative answer, each verified; Bogus without any."""
        proofs = [
            rrset
            for rrset in response.authority
            if rrset.rdtype in (dns.rdatatype.NSEC, dns.rdatatype.NSEC3)
        ]
        if not proofs:
            raise _Bogus(f"the negative answer from {zone} carries no NSEC/NSEC3 proof")
        for proof in proofs:
            _, signatures = _rrsets(response, response.authority, proof.name, proof.rdtype)
            _verify(proof, signatures, zone, keys)
        return proofs

    async def step(
        self, child: dns.name.Name, zone: dns.name.Name, keys: dns.rrset.RRset
    ) -> tuple[dns.name.Name, dns.rrset.RRset] | ChainResult:
        """One label down: the new (zone, keys), or a final result."""
        answer = await self.ask(child, "DS")
        response = _check(answer)
        if answer.status is LookupStatus.OK and not answer.cname_chain:
            ds_set, signatures = _rrsets(response, response.answer, child, dns.rdatatype.DS)
            if ds_set is None:
                raise _Bogus(f"{child} DS vanished")
            _verify(ds_set, signatures, zone, keys)
            return child, await self.zone_keys(child, ds_set)
        if answer.status is LookupStatus.NXDOMAIN:
            self.denial(response, zone, keys)
            return ChainResult(DnssecState.SECURE, zone.to_text(), f"{child} does not exist")
        proofs = self.denial(response, zone, keys)
        if _is_unsigned_delegation(child, proofs):
            return ChainResult(
                DnssecState.INSECURE, child.to_text(), f"{child} is delegated without DS"
            )
        return zone, keys


def _types(rdata: dns.rdata.Rdata) -> set[int]:
    windows = getattr(rdata, "windows", ())
    out: set[int] = set()
    for window, bitmap in windows:
        for index, byte in enumerate(bitmap):
            for bit in range(8):
                if byte & (0x80 >> bit):
                    out.add(window * 256 + index * 8 + bit)
    return out


def _nsec3_label(name: dns.name.Name, rdata: dns.rdata.Rdata) -> str:
    salt = getattr(rdata, "salt", b"")
    iterations = int(getattr(rdata, "iterations", 0))
    return dns.dnssec.nsec3_hash(name, salt, iterations, getattr(rdata, "algorithm", 1)).lower()


def _is_unsigned_delegation(child: dns.name.Name, proofs: list[dns.rrset.RRset]) -> bool:
    """True when a proof shows `child` has NS but neither DS nor SOA (an insecure cut),
    or an NSEC3 opt-out span covers it."""
    for proof in proofs:
        for rdata in proof:
            if proof.rdtype == dns.rdatatype.NSEC:
                matches = proof.name == child
            else:
                matches = proof.name.labels[0].decode().lower() == _nsec3_label(child, rdata)
                if not matches and int(getattr(rdata, "flags", 0)) & 1:
                    return True  # opt-out: unsigned delegations may hide in this span
            if matches:
                types = _types(rdata)
                return (
                    dns.rdatatype.NS in types
                    and dns.rdatatype.DS not in types
                    and dns.rdatatype.SOA not in types
                )
    return False


def _closest_anchor(name: dns.name.Name, anchors: Anchors) -> dns.name.Name | None:
    candidates = [zone for zone in anchors if name.is_subdomain(zone)]
    return max(candidates, key=lambda zone: len(zone.labels), default=None)


async def validate_chain(
    resolver: dns.asyncresolver.Resolver,
    name: str | dns.name.Name,
    rdtype: str,
    *,
    anchors: Anchors | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> ChainResult:
    """Validate the answer to (`name`, `rdtype`) from the closest trust anchor down."""
    qname = name if isinstance(name, dns.name.Name) else dns.name.from_text(name)
    anchor_set = anchors if anchors is not None else root_anchors()
    anchor = _closest_anchor(qname, anchor_set)
    if anchor is None:
        return ChainResult(DnssecState.INDETERMINATE, "", f"no trust anchor above {qname}")
    validator = _Validator(resolver, timeout)
    try:
        keys = await validator.zone_keys(anchor, anchor_set[anchor])
        zone = anchor
        depth = len(anchor.labels)
        while depth < len(qname.labels):
            depth += 1
            child = qname.split(depth)[1]
            stepped = await validator.step(child, zone, keys)
            if isinstance(stepped, ChainResult):
                return stepped
            zone, keys = stepped
        return await _final(validator, qname, rdtype, zone, keys)
    except _Bogus as error:
        return ChainResult(DnssecState.BOGUS, "", str(error))
    except _Indeterminate as error:
        return ChainResult(DnssecState.INDETERMINATE, "", str(error))


async def _final(
    validator: _Validator,
    qname: dns.name.Name,
    rdtype: str,
    zone: dns.name.Name,
    keys: dns.rrset.RRset,
) -> ChainResult:
    answer = await validator.ask(qname, rdtype)
    response = _check(answer)
    kind = dns.rdatatype.from_text(rdtype)
    if answer.cname_chain:
        alias, signatures = _rrsets(response, response.answer, qname, dns.rdatatype.CNAME)
        if alias is None:
            raise _Bogus(f"{qname} CNAME missing")
        _verify(alias, signatures, zone, keys)
        return ChainResult(DnssecState.SECURE, zone.to_text(), f"{qname} is a signed alias")
    if answer.status is LookupStatus.OK:
        found, signatures = _rrsets(response, response.answer, qname, kind)
        if found is None:
            raise _Bogus(f"{qname} {rdtype} missing")
        _verify(found, signatures, zone, keys)
        return ChainResult(DnssecState.SECURE, zone.to_text(), f"signed by {zone}")
    validator.denial(response, zone, keys)
    return ChainResult(DnssecState.SECURE, zone.to_text(), f"signed denial from {zone}")
