"""What the receive scenario is given: the session facts (who connected, how they
introduced themselves, MAIL FROM, TLS, the protocol mistakes recorded), the options,
and the exit codes. Shared by the analysis, the listener and `--analyze`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from smtpcheck.knowledge.receive import DnsblZone

#: a message larger than this is not analysed (the sink's default limit is 10 MiB)
MAX_ANALYSED_SIZE = 64 * 1024 * 1024


class ReceiveExit(IntEnum):
    OK = 0  # every requirement met, nothing to fix
    USAGE = 1  # bad options or input
    WARNINGS = 2  # warnings only
    FAILURES = 3  # a failure: a requirement missed, a fault a receiver acts on


@dataclass(frozen=True)
class SessionFacts:
    """What the SMTP session told (or the headers, with `--from-headers`).

    `client_ip` None: unknown. `mail_from` None: unknown, "" the null sender. `tls`
    is {"version", "cipher"} or None (no TLS); `tls_known` False when nobody saw the
    session. `source` says where the facts came from: "session", "options", "headers".
    """

    client_ip: str | None = None
    helo: str | None = None
    mail_from: str | None = None
    tls: Mapping[str, Any] | None = None
    tls_known: bool = False
    anomalies: Sequence[Mapping[str, str]] = ()
    source: str = "options"
    message_id: str | None = None  # the store's id, for a received message

    @property
    def session_seen(self) -> bool:
        return self.source == "session"

    @property
    def mail_from_domain(self) -> str | None:
        if not self.mail_from or "@" not in self.mail_from:
            return None
        return self.mail_from.rpartition("@")[2].strip().strip(".").lower() or None

    def to_dict(self) -> dict[str, Any]:
        return {
            "client_ip": self.client_ip,
            "helo": self.helo,
            "mail_from": self.mail_from,
            "tls": dict(self.tls) if self.tls else None,
            "tls_known": self.tls_known,
            "anomalies": [dict(a) for a in self.anomalies],
            "source": self.source,
            "id": self.message_id,
        }


def client_ip_of(client: str) -> str | None:
    """The address of a sink client string: "1.2.3.4:5678", "[::1]:5678" or a bare IP."""
    text = client.strip()
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else text[1:]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


@dataclass(frozen=True)
class ReceiveOptions:
    """How to analyse: language, the DNS server (`--dns`), the deadline of the DNS
    work, whether the message is bulk mail (`--bulk`), the blocklists (None: the
    defaults; `zones_given`: the user's list, which is also asked about private
    addresses), and whether to ask blocklists at all."""

    lang: str = "en"
    dns: str | None = None
    timeout: float = 10.0
    bulk: bool = False
    zones: tuple[DnsblZone, ...] | None = None
    zones_given: bool = False
    dnsbl: bool = True
    extra: dict[str, Any] = field(default_factory=dict)
