"""The results of an MX lookup, as frozen dataclasses of plain values (JSON-ready).

`MxResult` (the domain's status, its hosts and findings), `MxHost` (one exchange with
its A and AAAA lookups), `MxFinding`, `MailTarget` and `NoMailTargetsError`. The lookups
that produce them are in `smtpcheck.dns.mx`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from smtpcheck.dns.errors import DnsError
from smtpcheck.dns.resolver import Lookup, LookupStatus


class MxStatus(StrEnum):
    """What the DNS says about mail for the domain, in one word."""

    MX = "mx"  # explicit MX records
    IMPLICIT_MX = "implicit_mx"  # no MX, but A/AAAA on the domain itself (RFC 5321 §5.1)
    NULL_MX = "null_mx"  # "0 ." only: the domain accepts no mail (RFC 7505)
    NXDOMAIN = "nxdomain"  # the domain does not exist
    NO_MAIL_RECORDS = "no_mail_records"  # the domain exists: no MX, no A, no AAAA
    SERVFAIL = "servfail"
    TIMEOUT = "timeout"
    REFUSED = "refused"
    NO_NAMESERVERS = "no_nameservers"
    DNS_ERROR = "dns_error"

    @property
    def is_dns_failure(self) -> bool:
        """True when DNS trouble, not the domain's records, decided the outcome."""
        return self in FAILURE_STATUS.values()


FAILURE_STATUS: dict[LookupStatus, MxStatus] = {
    LookupStatus.SERVFAIL: MxStatus.SERVFAIL,
    LookupStatus.TIMEOUT: MxStatus.TIMEOUT,
    LookupStatus.REFUSED: MxStatus.REFUSED,
    LookupStatus.NO_NAMESERVERS: MxStatus.NO_NAMESERVERS,
    LookupStatus.ERROR: MxStatus.DNS_ERROR,
}


class Severity(StrEnum):
    """How much a finding matters."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class MxFinding:
    """Something about the MX setup worth telling the user.

    `code` is stable (for scripts, and the key of its text in knowledge/); `facts` are
    the values its text needs (`host`, `domain`, `target`, `rdtype`, `status`,
    `detail`, `variant`); `host` is the exchange concerned, if any; `reference` names
    the rule broken. The words are in `smtpcheck.knowledge.dns.explain_mx_finding(code,
    lang, **facts)`, which also says how to fix it.
    """

    code: str
    severity: Severity
    host: str | None = None
    reference: str = ""
    facts: dict[str, str] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Address:
    """One address of a mail host, with the TTL of the record it came from."""

    ip: str
    family: int  # 4 or 6
    ttl: int | None


@dataclass(frozen=True)
class MxHost:
    """One mail exchanger: its preference, its name, and the A and AAAA lookups of it.

    `exchange` is the ASCII name without the trailing dot. For the implicit MX the
    exchange is the domain itself, `implicit` is True and the preference is 0 (as
    RFC 5321 §5.1 says). `ttl` is the TTL of the MX record set (None when implicit).
    """

    preference: int
    exchange: str
    ipv4: Lookup
    ipv6: Lookup
    ttl: int | None = None
    implicit: bool = False

    @property
    def addresses(self) -> tuple[Address, ...]:
        """IPv4 then IPv6 addresses, in the order the server sent them."""
        return tuple(
            Address(ip=record, family=family, ttl=result.ttl)
            for family, result in ((4, self.ipv4), (6, self.ipv6))
            if result.status is LookupStatus.OK
            for record in result.records
        )

    @property
    def canonical_name(self) -> str | None:
        """The name the exchange is an alias (CNAME) of, if it is one."""
        return self.ipv4.canonical_name or self.ipv6.canonical_name


@dataclass(frozen=True)
class MxResult:
    """Everything `resolve_mail_hosts` learned about mail for one domain.

    `domain` is the ASCII (punycode) name, `display_domain` its Unicode form.
    `mx_lookup` is the raw MX lookup (status, TTL, AD flag). `hosts` are sorted by
    preference, ties in DNS order. `authenticated` is the DNSSEC AD flag of the answer
    that decided the outcome.
    """

    domain: str
    display_domain: str
    status: MxStatus
    mx_lookup: Lookup
    hosts: tuple[MxHost, ...] = ()
    findings: tuple[MxFinding, ...] = ()
    authenticated: bool = False
    detail: str = ""

    @property
    def deliverable(self) -> bool:
        """True when at least one mail host has an address."""
        return self.status in (MxStatus.MX, MxStatus.IMPLICIT_MX) and any(
            host.addresses for host in self.hosts
        )


class MailTarget(NamedTuple):
    """One place to try to deliver to: (host, ip, preference)."""

    host: str
    ip: str
    preference: int


class NoMailTargetsError(DnsError):
    """The domain has no address to deliver to; `result` says why.

    Code "no_mail_targets"; the facts are the domain (`domain`, `ascii_domain`), the MX
    `status` and the IP `family` asked for ("" for any).
    """

    def __init__(self, result: MxResult, family: int | None = None) -> None:
        super().__init__(
            "no_mail_targets",
            domain=result.display_domain,
            ascii_domain=result.domain,
            status=str(result.status),
            family=str(family or ""),
        )
        self.result = result
        self.family = family
