"""What `smtpcheck check` was asked to do, and the exit codes it ends with."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from smtpcheck.checks.probes import DEFAULT_RELAY_RECIPIENT
from smtpcheck.knowledge.i18n import pick_language
from smtpcheck.localname import local_fqdn

if TYPE_CHECKING:
    from smtpcheck.net.session import AddressPolicy
    from smtpcheck.report.model import Step


class CheckExit(IntEnum):
    """Exit codes of `check`, by the worst thing found (see docs/check.md)."""

    OK = 0  # every check passed (information only)
    USAGE = 1  # bad options or input
    WARNINGS = 2  # mail is accepted; something should be fixed
    FAILURES = 3  # mail is accepted somewhere, but something is broken
    UNDELIVERABLE = 4  # no mail server accepted the recipient (or DNS says no mail host)


@dataclass(frozen=True)
class CheckOptions:
    """Everything the scenario needs; the CLI builds it, the demo and tests too."""

    target: str  # an address (kate@fabrikam.com) or a domain (fabrikam.com)
    server: str | None = None  # test this host only ("host", "host:port", "[v6]:port")
    port: int = 25
    first: bool = False  # stop at the first address that accepts the recipient
    dns: str | None = None  # "IP[:PORT]" of the DNS server; None: the system's
    ehlo: str = "localhost"
    sender: str = ""  # "" is the null sender only when null_sender is set
    null_sender: bool = False
    send: bool = False  # DATA with a test message, else QUIT before DATA
    probe_postmaster: bool = True
    probe_random: bool = True
    probe_relay: bool = True
    relay_recipient: str = DEFAULT_RELAY_RECIPIENT
    starttls: bool = True
    tls_ca: str | None = None  # trust these roots instead of the system store
    timeout: float = 30.0  # per network step
    timeout_total: float = 180.0  # the whole check
    lang: str = "en"
    #: asked before every connection (see net.session.AddressPolicy); None: no limit
    address_policy: AddressPolicy | None = field(default=None, compare=False)
    #: progress hook: told of each step added to the report under way (the step before
    #: it in that address is then finished) and of each address whose test ended; the
    #: tree so far is `CheckRun.report` (the web page shows it live). None: silent.
    on_step: Callable[[Step], None] | None = field(default=None, compare=False)

    @property
    def envelope_sender(self) -> str:
        return "" if self.null_sender else self.sender


def default_ehlo() -> str:
    """This machine's fully qualified name, found without DNS (no getfqdn: its reverse
    lookup could leave the machine)."""
    return local_fqdn()


def build_options(params: dict[str, Any]) -> CheckOptions:
    """`CheckOptions` from the parameters the CLI (and the web form) collect by name."""
    ehlo = params["ehlo"] or default_ehlo()
    sender = params["sender"] or f"smtpcheck@{ehlo if '.' in ehlo else 'localhost.localdomain'}"
    no_probes = params["no_probes"]
    extra: dict[str, Any] = {}
    if params["relay_rcpt"]:
        extra["relay_recipient"] = params["relay_rcpt"]
    return CheckOptions(
        target=params["target"],
        server=params["server"],
        port=params["port"],
        first=params["first"],
        dns=params["dns"],
        ehlo=ehlo,
        sender=sender,
        null_sender=params["null_sender"],
        send=params["send"],
        probe_postmaster=not (no_probes or params["no_postmaster_probe"]),
        probe_random=not (no_probes or params["no_random_probe"]),
        probe_relay=not (no_probes or params["no_relay_probe"]),
        starttls=not params["no_starttls"],
        tls_ca=params["tls_ca"],
        timeout=params["timeout"],
        timeout_total=params["timeout_total"],
        lang=pick_language(params["lang"]),
        **extra,
    )
