"""What the operator chose when starting `smtpcheck web` (and defaults that are safe)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from smtpcheck.sink.config import default_store_dir, is_loopback
from smtpcheck.web.policy import MAIL_PORTS, IPNetwork, TargetPolicy

DEFAULT_PORT = 8025


class SettingsError(ValueError):
    """Settings that cannot work together; the message says what to change."""


def default_history_path() -> Path:
    """Beside the sink's store, in the same data directory (~/.local/share/smtpcheck)."""
    return default_store_dir().parent / "web" / "history.sqlite"


@dataclass
class Limits:
    """How much one client, and everyone together, may ask of the server."""

    max_checks: int = 4  # checks running at once, all clients together
    max_checks_per_client: int = 2  # checks running at once for one client address
    checks_per_minute: int = 10  # checks one client may start in a minute
    requests_per_minute: int = 600  # any request, per client
    max_body: int = 64 * 1024  # bytes of a request body


@dataclass
class WebSettings:
    """Everything the application needs; the CLI builds it, the tests too."""

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    allow_public: bool = False
    token: str | None = None  # required on every request when set (and when public)
    allowed_hosts: tuple[str, ...] = ()  # extra Host header values (a public name)
    allow_targets: tuple[IPNetwork, ...] = ()
    allow_ports: frozenset[int] = frozenset()
    dns: str | None = None  # the DNS server checks ask ("IP[:PORT]"); None: the system's
    tls_ca: str | None = None  # trust these roots for certificates instead of the system's
    timeout: float = 30.0  # per network step of a check
    timeout_total: float = 180.0
    ehlo: str | None = None  # None: this host's name
    sender: str | None = None  # None: smtpcheck@ the EHLO name
    history_path: Path = field(default_factory=default_history_path)
    limits: Limits = field(default_factory=Limits)
    tls_cert: Path | None = None  # serve HTTPS with this certificate and key
    tls_key: Path | None = None

    def validate(self) -> None:
        if not self.allow_public and not is_loopback(self.host):
            raise SettingsError(
                f"refusing to listen on {self.host}: not a loopback address "
                "(pass --allow-public, with --token, to listen there on purpose)"
            )
        if not is_loopback(self.host) and not self.token:
            raise SettingsError(
                "listening beyond loopback needs a token: --token-file FILE or "
                "SMTPCHECK_WEB_TOKEN (no default credentials)"
            )
        if self.token is not None and len(self.token) < 12:
            raise SettingsError("the token is too short: use at least 12 characters")
        if (self.tls_cert is None) != (self.tls_key is None):
            raise SettingsError("--tls-cert and --tls-key go together")

    @property
    def target_policy(self) -> TargetPolicy:
        return TargetPolicy(self.allow_targets, MAIL_PORTS | self.allow_ports)
