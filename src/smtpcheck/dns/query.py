"""One DNS question with the flags the posture checks need, answered as a `DnsAnswer`.

`dns.resolver` hides what a DNSSEC check must see: the AD flag of a SERVFAIL's retry
with CD set, the RRSIG and NSEC records, the RFC 8914 extended errors. `ask()` sends the
query itself (UDP, TCP when truncated) to the nameservers the resolver object was built
with (`make_resolver`: the `--dns` server, never the system's when one is given), tries
them in turn, and gives back the whole response, classified like `resolver.Lookup`.
Every question is bounded by a hard deadline; nothing here raises a DNS error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import dns.asyncquery
import dns.asyncresolver
import dns.edns
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from smtpcheck.dns.resolver import DEFAULT_TIMEOUT, EDNS_PAYLOAD, LookupStatus

#: a CNAME chain longer than this is a loop or an abuse; resolvers stop near here too
MAX_CNAME_CHAIN = 8


@dataclass(frozen=True)
class ExtendedError:
    """An RFC 8914 extended DNS error: the code (e.g. 6 "DNSSEC Bogus") and its text."""

    code: int
    name: str
    text: str

    def __str__(self) -> str:
        return f"EDE {self.code} {self.name}" + (f": {self.text}" if self.text else "")


@dataclass(frozen=True)
class DnsAnswer:
    """What one question got back.

    `records` are the answer records of the asked type at the end of any CNAME chain
    (`cname_chain` lists the aliases followed, in order). `authenticated` is the AD
    flag. `response` is the whole message (None when nothing usable came back), for
    checks that need the RRSIG or NSEC records. `detail` says what went wrong.
    """

    name: str
    rdtype: str
    status: LookupStatus
    records: tuple[dns.rdata.Rdata, ...] = ()
    authenticated: bool = False
    cname_chain: tuple[str, ...] = ()
    extended_errors: tuple[ExtendedError, ...] = ()
    response: dns.message.Message | None = None
    detail: str = ""
    #: the server answered, but its answer could not be parsed (a malformed record)
    malformed: bool = False

    @property
    def texts(self) -> tuple[str, ...]:
        """The records in presentation format."""
        return tuple(record.to_text() for record in self.records)

    @property
    def owner(self) -> str:
        """The name the records belong to: the last alias's target, or the asked name."""
        return self.cname_chain[-1] if self.cname_chain else self.name


def servers_of(resolver: dns.asyncresolver.Resolver) -> list[tuple[str, int]]:
    """The (ip, port) pairs the resolver asks, in order."""
    out: list[tuple[str, int]] = []
    for nameserver in resolver.nameservers:
        text = str(nameserver)
        if text.startswith("Do53:"):  # a dnspython Nameserver object: "Do53:ip@port"
            ip, _, port = text.removeprefix("Do53:").rpartition("@")
            out.append((ip, int(port)))
        elif "://" not in text:
            out.append((text, resolver.port))
    return out


def _extended(response: dns.message.Message) -> tuple[ExtendedError, ...]:
    return tuple(
        ExtendedError(
            code=int(option.code),
            name=dns.edns.EDECode.to_text(option.code),
            text=option.text or "",
        )
        for option in response.extended_errors()
    )


def _follow(
    response: dns.message.Message, qname: dns.name.Name, rdtype: dns.rdatatype.RdataType
) -> tuple[dns.name.Name, list[str], tuple[dns.rdata.Rdata, ...]]:
    """Walk the CNAME chain in the answer section from `qname`: (owner, chain, records)."""
    name = qname
    chain: list[str] = []
    for _ in range(MAX_CNAME_CHAIN + 1):
        found = response.get_rrset(response.answer, name, dns.rdataclass.IN, rdtype)
        if found is not None:
            return name, chain, tuple(found)
        if rdtype == dns.rdatatype.CNAME:
            break
        alias = response.get_rrset(response.answer, name, dns.rdataclass.IN, dns.rdatatype.CNAME)
        if alias is None or not len(alias):
            break
        name = alias[0].target
        chain.append(name.to_text())
    return name, chain, ()


def _classify(
    qname: dns.name.Name, rdtype: dns.rdatatype.RdataType, response: dns.message.Message
) -> DnsAnswer:
    rcode = response.rcode()
    shown = qname.to_text()
    kind = dns.rdatatype.to_text(rdtype)
    extended = _extended(response)
    authenticated = bool(response.flags & dns.flags.AD)
    _, chain, records = _follow(response, qname, rdtype)
    if rcode == dns.rcode.NOERROR:
        status = LookupStatus.OK if records else LookupStatus.NODATA
    elif rcode == dns.rcode.NXDOMAIN:
        status = LookupStatus.NXDOMAIN
    elif rcode == dns.rcode.SERVFAIL:
        status = LookupStatus.SERVFAIL
    elif rcode == dns.rcode.REFUSED:
        status = LookupStatus.REFUSED
    else:
        status = LookupStatus.ERROR
    detail = "" if not status.is_failure else f"answered {dns.rcode.to_text(rcode)}"
    if extended and status.is_failure:
        detail += " (" + "; ".join(str(error) for error in extended) + ")"
    return DnsAnswer(
        name=shown,
        rdtype=kind,
        status=status,
        records=records,
        authenticated=authenticated,
        cname_chain=tuple(chain),
        extended_errors=extended,
        response=response,
        detail=detail,
    )


async def _one_server(
    query: dns.message.Message, ip: str, port: int, timeout: float
) -> dns.message.Message:
    response, _ = await dns.asyncquery.udp_with_fallback(
        query, ip, timeout=timeout, port=port, ignore_unexpected=True
    )
    return response


async def ask(
    resolver: dns.asyncresolver.Resolver,
    name: str | dns.name.Name,
    rdtype: str | dns.rdatatype.RdataType,
    *,
    checking_disabled: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
) -> DnsAnswer:
    """Ask the resolver's nameservers (in order) one question, EDNS with DO set.

    `checking_disabled` sets CD: a validating resolver then hands over data it would
    refuse as bogus, which tells a DNSSEC failure from a dead server. The whole call,
    every server included, ends within `timeout` seconds.
    """
    qname = name if isinstance(name, dns.name.Name) else dns.name.from_text(name)
    kind = dns.rdatatype.RdataType.make(rdtype)
    query = dns.message.make_query(qname, kind, use_edns=0, want_dnssec=True, payload=EDNS_PAYLOAD)
    if checking_disabled:
        query.flags |= dns.flags.CD
    servers = servers_of(resolver)
    problems: list[str] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    try:
        async with asyncio.timeout(timeout):
            for ip, port in servers:
                left = max(deadline - loop.time(), 0.05)
                try:
                    response = await _one_server(query, ip, port, left)
                except (dns.exception.Timeout, OSError) as error:
                    problems.append(f"{ip}:{port}: {error or type(error).__name__}")
                    continue
                except (dns.exception.DNSException, ValueError) as error:
                    # the server answered, but with records that cannot be parsed (a TLSA
                    # digest of the wrong length makes dnspython refuse the whole message)
                    return DnsAnswer(
                        name=qname.to_text(),
                        rdtype=dns.rdatatype.to_text(kind),
                        status=LookupStatus.ERROR,
                        detail=f"malformed answer from {ip}:{port}: {error}",
                        malformed=True,
                    )
                answer = _classify(qname, kind, response)
                if (
                    answer.status in (LookupStatus.REFUSED, LookupStatus.ERROR)
                    and (
                        ip,
                        port,
                    )
                    != servers[-1]
                ):
                    problems.append(f"{ip}:{port}: {answer.detail}")
                    continue
                return answer
    except TimeoutError:
        return DnsAnswer(
            name=qname.to_text(),
            rdtype=dns.rdatatype.to_text(kind),
            status=LookupStatus.TIMEOUT,
            detail=f"no answer within {timeout:g} s",
        )
    return DnsAnswer(
        name=qname.to_text(),
        rdtype=dns.rdatatype.to_text(kind),
        status=LookupStatus.NO_NAMESERVERS,
        detail="; ".join(problems) or "no nameserver to ask",
    )


def txt_strings(records: Sequence[dns.rdata.Rdata]) -> list[str]:
    """TXT records as text: each record's character-strings joined (RFC 7208 §3.3),
    decoded as UTF-8 with undecodable bytes replaced (records are peer input)."""
    out: list[str] = []
    for record in records:
        parts = getattr(record, "strings", ())
        out.append(b"".join(parts).decode("utf-8", errors="replace"))
    return out
