"""Configuration of the capture server: where it listens, its limits, what it stores.

`SinkConfig` is the one object the CLI, the programmatic API (`SinkServer`,
`run_in_thread`) and the tests build; everything else reads from it.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path

from smtpcheck.localname import local_fqdn
from smtpcheck.sink.personas import Persona, get_persona
from smtpcheck.sink.rules import RuleSet

DEFAULT_PORT = 2525
DEFAULT_MAX_SIZE = 10 * 1024 * 1024


def default_hostname(name: str | None = None) -> str:
    """The name in the banner, EHLO reply and certificate: a fully qualified one, found
    without DNS (see `smtpcheck.localname`); `sink.localhost` when there is none."""
    return local_fqdn(name, fallback="sink.localhost")


class ConfigError(ValueError):
    """A setting the user gave is invalid; the message says which and why."""


@dataclass(frozen=True)
class Limits:
    """Limits the server enforces, each with its proper reply."""

    max_message_size: int | None = None  # SIZE; None: the persona's, else 10 MiB; 552 beyond
    max_recipients: int = 100  # 452 4.5.3 for the one too many
    max_connections: int = 100  # 421 4.7.0 at connect beyond
    max_line_length: int = 4096  # 500 5.5.2 for a command line over it (RFC says 512/1000)
    idle_timeout: float = 300.0  # no byte at all from the client for this long -> 421
    command_timeout: float = 60.0  # a started command line must be complete within this
    max_errors: int = 20  # after this many 5xx for bad commands: 421 and close
    # A message's content (DATA to the final dot, or every BDAT chunk) is timed as a
    # whole, like Postfix's per-request deadlines: it starts with `data_timeout`
    # seconds, each byte received earns 1/`min_data_rate` s more (0: no rate), and
    # it may never take longer than `message_timeout`. Beyond: 421 4.4.2 and close.
    data_timeout: float = 60.0
    min_data_rate: float = 500.0  # bytes per second
    message_timeout: float = 600.0
    transcript_limit: int = 64 * 1024 * 1024  # bytes of one session's --transcript


def default_store_dir() -> Path:
    """Where messages go when the user names no directory: the user's data dir."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "smtpcheck" / "sink"


def parse_listen(value: str, default_port: int = DEFAULT_PORT) -> tuple[str, int]:
    """Parse `HOST:PORT`, `[v6]:PORT`, `HOST`, `:PORT` or a bare `PORT` into (host, port);
    the host is 127.0.0.1 when none is given; port 0: any free port."""
    from smtpcheck.hostport import HostPortError, split_host_port

    if value.strip().isdigit():  # `--listen 2600`: a port, not a host named "2600"
        value = ":" + value.strip()
    try:
        host, port = split_host_port(value, default_port, allow_port_zero=True)
    except HostPortError as exc:
        raise ConfigError(f"invalid listen address {exc}") from None
    return host or "127.0.0.1", port


def is_loopback(host: str) -> bool:
    """True when `host` names only loopback addresses (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class SinkConfig:
    """Everything the sink needs to run. Defaults give a loopback ESMTP server on 2525."""

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT  # 0 picks a free port; read it back from SinkServer.port
    tls_port: int | None = None  # implicit TLS listener (0 = any free port)
    allow_public: bool = False  # needed to listen on anything but loopback
    hostname: str = field(default_factory=lambda: default_hostname())
    store_dir: Path = field(default_factory=default_store_dir)
    durable: bool = True  # fsync file and directory before the final 250
    lmtp: bool = False
    limits: Limits = field(default_factory=Limits)
    starttls: bool = True
    tls_cert: Path | None = None
    tls_key: Path | None = None
    auth: bool = True  # advertise AUTH PLAIN LOGIN (after TLS or not: see auth_requires_tls)
    auth_requires_tls: bool = False
    users_file: Path | None = None  # None: accept any credentials
    persona: Persona = field(default_factory=lambda: get_persona("smtpcheck"))
    rules: RuleSet = field(default_factory=RuleSet)
    transcript_dir: Path | None = None  # byte-exact session transcripts when set
    live: bool = False  # print a line per session and per message on stderr
    show_secrets: bool = False  # AUTH payloads in transcripts (redacted by default)
    event_loop: str = "auto"  # auto (uvloop when installed) | asyncio | uvloop
    workers: int = 1  # processes sharing the port (SO_REUSEPORT) and the store
    writer: str = "thread"  # group commit in a thread, or "process" (the CLI's default)

    def validate(self) -> None:
        """Raise ConfigError for settings that cannot work together."""
        if not self.allow_public and not is_loopback(self.host):
            raise ConfigError(
                f"refusing to listen on {self.host}: not a loopback address "
                "(pass --allow-public to listen there on purpose)"
            )
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ConfigError("--tls-cert and --tls-key go together")
        if self.writer not in ("thread", "process"):
            raise ConfigError(f"writer must be thread or process, not {self.writer!r}")
        limits = self.limits
        if self.max_message_size <= 0 or limits.max_recipients <= 0:
            raise ConfigError("size and recipient limits must be positive")
        timeouts = (
            limits.idle_timeout,
            limits.command_timeout,
            limits.data_timeout,
            limits.message_timeout,
        )
        if min(timeouts) <= 0 or limits.min_data_rate < 0:
            raise ConfigError("timeouts must be positive and the minimum data rate >= 0")

    @property
    def max_message_size(self) -> int:
        """The size limit in force: the user's, else the persona's, else 10 MiB."""
        return self.limits.max_message_size or self.persona.size or DEFAULT_MAX_SIZE

    @property
    def cert_dir(self) -> Path:
        """Where a generated certificate is cached: beside the store."""
        return self.store_dir / "tls"
