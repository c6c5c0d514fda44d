"""Async DNS lookups (dnspython) with hard deadlines: MX, A/AAAA, PTR.

- `names`: what the user typed -> the domain to look up (addresses, IDNA, trailing dot).
- `resolver`: build a resolver (system or `--dns IP[:port]`) and run one lookup into a
  typed `Lookup` that tells NXDOMAIN, no data, SERVFAIL, REFUSED and timeout apart.
- `mx`: where a domain's mail goes (`resolve_mail_hosts`), and the ordered
  (host, ip, preference) list `send` connects to (`mail_targets`).

Importing this package imports dnspython; the CLI imports it only inside commands.
"""

from smtpcheck.dns.mx import mail_targets, resolve_mail_hosts, targets_from_result
from smtpcheck.dns.mx_model import (
    Address,
    MailTarget,
    MxFinding,
    MxHost,
    MxResult,
    MxStatus,
    NoMailTargetsError,
    Severity,
)
from smtpcheck.dns.names import DomainName, InvalidDomainError, parse_domain
from smtpcheck.dns.resolver import (
    DEFAULT_TIMEOUT,
    DnsConfigError,
    DnsServer,
    Lookup,
    LookupStatus,
    lookup,
    make_resolver,
    reverse_lookup,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "Address",
    "DnsConfigError",
    "DnsServer",
    "DomainName",
    "InvalidDomainError",
    "Lookup",
    "LookupStatus",
    "MailTarget",
    "MxFinding",
    "MxHost",
    "MxResult",
    "MxStatus",
    "NoMailTargetsError",
    "Severity",
    "lookup",
    "mail_targets",
    "make_resolver",
    "parse_domain",
    "resolve_mail_hosts",
    "reverse_lookup",
    "targets_from_result",
]
