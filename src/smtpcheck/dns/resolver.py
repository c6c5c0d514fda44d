"""Build an asyncio DNS resolver and run single lookups that never raise.

Every lookup runs under a hard deadline (`asyncio.timeout`) on top of dnspython's own
`lifetime`, so a silent server cannot hold a check longer than asked. The outcome of a
lookup is a `Lookup`: the answer records with their TTL and the DNSSEC AD flag, or one
of the ways a lookup can fail (NXDOMAIN, no data, SERVFAIL, REFUSED, timeout, no usable
nameserver), each told apart by `LookupStatus` instead of an exception.
"""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import dataclass
from enum import StrEnum

import dns.asyncresolver
import dns.edns
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.resolver
import dns.reversename

from smtpcheck.dns.errors import DnsError
from smtpcheck.hostport import HostPortError, split_host_port

DEFAULT_TIMEOUT = 5.0
DNS_PORT = 53
# 1232 bytes avoids IP fragmentation (DNS flag day 2020) and still fits DNSSEC answers.
EDNS_PAYLOAD = 1232


class DnsConfigError(DnsError, ValueError):
    """The resolver cannot be built: a bad `--dns` value or no system configuration.

    `code` says why (e.g. "server_bad_port") and `facts` fill its text (`text` is what
    the user gave): `smtpcheck.knowledge.dns.explain_dns_error` says it in words.
    """

    def __init__(self, code: str, text: str = "", **facts: str) -> None:
        super().__init__(code, text=text, **facts)


@dataclass(frozen=True)
class DnsServer:
    """One nameserver to ask, given by IP address and port (no name lookups here)."""

    ip: str
    port: int = DNS_PORT

    @classmethod
    def parse(cls, spec: str) -> DnsServer:
        """Parse "IP", "IP:port", "IPv6" or "[IPv6]:port".

        Raises `DnsConfigError` on anything else.
        """
        try:
            host, port = split_host_port(spec, DNS_PORT)
        except HostPortError as exc:
            raise _server_error(exc, spec) from None
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            raise DnsConfigError("server_not_ip", spec) from None
        return cls(ip=str(address), port=port)

    def __str__(self) -> str:
        if self.port == DNS_PORT:
            return self.ip
        host = f"[{self.ip}]" if ":" in self.ip else self.ip
        return f"{host}:{self.port}"


def _server_error(error: HostPortError, spec: str) -> DnsConfigError:
    """The DNS layer's coded (translatable) error for what the host:port parser found."""
    match error.kind:
        case "missing_bracket":
            return DnsConfigError("server_missing_bracket", spec)
        case "port_after_bracket":
            return DnsConfigError("server_port_after_bracket", spec)
        case "empty_port":
            return DnsConfigError("server_empty_port", spec)
        case "bad_port":
            return DnsConfigError("server_bad_port", spec)


def make_resolver(
    server: DnsServer | None = None, *, timeout: float = DEFAULT_TIMEOUT
) -> dns.asyncresolver.Resolver:
    """Return an asyncio resolver asking `server`, or the system's resolver if None.

    With a server the system configuration (/etc/resolv.conf) is not read at all.
    EDNS is on with the DO bit, so a validating resolver sets AD on authenticated answers.
    There is no cache: a diagnostic tool must see what the server says now.
    """
    if server is None:
        try:
            resolver = dns.asyncresolver.Resolver(configure=True)
        except dns.exception.DNSException as error:
            raise DnsConfigError("no_system_config", reason=str(error)) from None
    else:
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = [server.ip]
        resolver.port = server.port
    resolver.timeout = timeout
    resolver.lifetime = timeout
    resolver.cache = None
    resolver.use_edns(0, dns.flags.DO, EDNS_PAYLOAD)
    return resolver


class LookupStatus(StrEnum):
    """How a single DNS lookup ended."""

    OK = "ok"  # NOERROR with records of the asked type
    NODATA = "nodata"  # NOERROR, the name exists but has no records of that type
    NXDOMAIN = "nxdomain"  # the name does not exist
    SERVFAIL = "servfail"  # the server failed (often a DNSSEC validation failure)
    REFUSED = "refused"  # the server will not answer us
    TIMEOUT = "timeout"  # no answer before the deadline
    NO_NAMESERVERS = "no_nameservers"  # every server was unreachable or unusable
    ERROR = "error"  # anything else: FORMERR, NOTIMP, a malformed answer

    @property
    def is_failure(self) -> bool:
        """True when the lookup says nothing about the name (DNS trouble, not an answer)."""
        return self not in (LookupStatus.OK, LookupStatus.NODATA, LookupStatus.NXDOMAIN)


@dataclass(frozen=True)
class Lookup:
    """The outcome of asking one question (name, type).

    `records` are in presentation format, in the order the server sent them
    (e.g. "10 mx.example.test." for MX, "192.0.2.1" for A). `ttl` is the answer's TTL,
    or the negative-caching TTL from the SOA for NXDOMAIN/NODATA when the server sent
    one. `canonical_name` is set when the answer came through a CNAME chain.
    `authenticated` is the AD flag of the response. `detail` explains a failure
    (including RFC 8914 extended errors); it is empty on success.
    """

    name: str
    rdtype: str
    status: LookupStatus
    records: tuple[str, ...] = ()
    ttl: int | None = None
    authenticated: bool = False
    canonical_name: str | None = None
    detail: str = ""


def _text(name: dns.name.Name) -> str:
    return name.to_text()


def _negative_ttl(response: dns.message.Message | None) -> int | None:
    """RFC 2308 §5: negative answers are cached for min(SOA TTL, SOA MINIMUM)."""
    if response is None:
        return None
    for rrset in response.authority:
        if rrset.rdtype == dns.rdatatype.SOA and len(rrset):
            minimum: int = rrset[0].minimum
            return min(rrset.ttl, minimum)
    return None


def _extended_errors(response: dns.message.Message | None) -> str:
    if response is None:
        return ""
    parts = []
    for option in response.extended_errors():
        code = dns.edns.EDECode.to_text(option.code)
        parts.append(f"EDE {option.code} {code}" + (f": {option.text}" if option.text else ""))
    return "; ".join(parts)


def _server_text(nameserver: str) -> str:
    """dnspython's "Do53:127.0.0.1@5353" -> our --dns syntax "127.0.0.1:5353"."""
    ip, _, port = nameserver.removeprefix("Do53:").rpartition("@")
    if ip and port.isdigit():
        return str(DnsServer(ip, int(port)))
    return nameserver


def _classify_no_nameservers(name: str, rdtype: str, error: dns.resolver.NoNameservers) -> Lookup:
    """Turn dnspython's "all nameservers failed" into the rcode or error behind it."""
    errors = error.kwargs.get("errors") or []
    rcodes: list[dns.rcode.Rcode] = []
    details: list[str] = []
    for server, _tcp, _port, reason, response in errors:
        where = _server_text(str(server))
        if response is not None:
            rcodes.append(response.rcode())
            extra = _extended_errors(response)
            details.append(
                f"{where} answered {dns.rcode.to_text(response.rcode())}"
                + (f" ({extra})" if extra else "")
            )
        else:
            details.append(f"{where}: {reason}")
    detail = "; ".join(details)
    if dns.rcode.SERVFAIL in rcodes:
        status = LookupStatus.SERVFAIL
    elif dns.rcode.REFUSED in rcodes:
        status = LookupStatus.REFUSED
    elif rcodes:
        status = LookupStatus.ERROR
    else:
        status = LookupStatus.NO_NAMESERVERS
    return Lookup(name=name, rdtype=rdtype, status=status, detail=detail)


async def lookup(
    resolver: dns.asyncresolver.Resolver,
    name: str | dns.name.Name,
    rdtype: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> Lookup:
    """Ask `resolver` for (`name`, `rdtype`) and return the outcome; never raises DNS errors.

    `name` is taken as absolute (no search list is applied). The whole lookup, retries
    included, is bounded by `timeout` seconds.
    """
    qname = name if isinstance(name, dns.name.Name) else dns.name.from_text(name)
    shown = _text(qname)
    try:
        async with asyncio.timeout(timeout):
            answer = await resolver.resolve(
                qname, rdtype, raise_on_no_answer=False, lifetime=timeout, search=False
            )
    except (TimeoutError, dns.exception.Timeout):
        return Lookup(
            name=shown,
            rdtype=rdtype,
            status=LookupStatus.TIMEOUT,
            detail=f"no answer within {timeout:g} s",
        )
    except dns.resolver.NXDOMAIN as error:
        response = error.kwargs.get("responses", {}).get(qname)
        return Lookup(
            name=shown,
            rdtype=rdtype,
            status=LookupStatus.NXDOMAIN,
            ttl=_negative_ttl(response),
            authenticated=bool(response is not None and response.flags & dns.flags.AD),
            canonical_name=_cname_target(error, qname),
        )
    except dns.resolver.NoNameservers as error:
        return _classify_no_nameservers(shown, rdtype, error)
    except dns.exception.DNSException as error:
        return Lookup(name=shown, rdtype=rdtype, status=LookupStatus.ERROR, detail=str(error))

    response = answer.response
    authenticated = bool(response.flags & dns.flags.AD)
    canonical = answer.canonical_name
    canonical_name = _text(canonical) if canonical != qname else None
    if answer.rrset is None:
        return Lookup(
            name=shown,
            rdtype=rdtype,
            status=LookupStatus.NODATA,
            ttl=_negative_ttl(response),
            authenticated=authenticated,
            canonical_name=canonical_name,
        )
    return Lookup(
        name=shown,
        rdtype=rdtype,
        status=LookupStatus.OK,
        records=tuple(rdata.to_text() for rdata in answer.rrset),
        ttl=answer.rrset.ttl,
        authenticated=authenticated,
        canonical_name=canonical_name,
    )


def _cname_target(error: dns.resolver.NXDOMAIN, qname: dns.name.Name) -> str | None:
    try:
        canonical = error.canonical_name
    except Exception:  # dnspython raises when it has no response to look at
        return None
    return _text(canonical) if canonical != qname else None


async def reverse_lookup(
    ip: str,
    resolver: dns.asyncresolver.Resolver,
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> Lookup:
    """Look up the PTR records of an IPv4 or IPv6 address.

    Raises `ValueError` (one line) if `ip` is not an IP address.
    """
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        raise ValueError(f"not an IP address: {ip!r}") from None
    return await lookup(
        resolver, dns.reversename.from_address(str(address)), "PTR", timeout=timeout
    )
