"""What `smtpcheck send` was asked to do, parsed and validated, and its exit codes.

The exit codes follow swaks' numbering for the stages both tools share, so scripts
written for swaks keep working (see the README's table).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from smtpcheck.net.tls import TlsOptions


class ExitCode(IntEnum):
    OK = 0
    USAGE = 1
    CONNECT = 2
    NO_MAIL_HOST = 7
    CLOSED = 6
    BANNER = 21
    EHLO = 22
    MAIL = 23
    RCPT = 24
    DATA = 25
    EOD = 26
    QUIT = 27
    AUTH = 28
    TLS = 29
    EHLO_AFTER_TLS = 32


#: the stop points of --quit-after, in the order the session reaches them
QUIT_POINTS = ("connect", "banner", "ehlo", "tls", "auth", "mail", "rcpt", "data")
QUIT_ALIASES = {
    "helo": "ehlo",
    "lhlo": "ehlo",
    "first-helo": "ehlo",
    "starttls": "tls",
    "from": "mail",
    "to": "rcpt",
    "dot": "data",
}


class TlsMode:
    NONE = "none"
    STARTTLS = "starttls"  # required
    OPTIONAL = "optional"
    ON_CONNECT = "on-connect"


@dataclass
class Target:
    """One place to connect to: a host name or address, a port, and where it came from."""

    host: str
    port: int
    preference: int | None = None
    mx_host: str | None = None


@dataclass
class SendOptions:
    server: str | None = None
    port: int | None = None
    family: int = 0
    local_interface: str | None = None
    ehlo: str = "localhost"
    sender: str = ""
    recipients: list[str] = field(default_factory=list)
    tls_mode: str = TlsMode.NONE
    tls: TlsOptions = field(default_factory=TlsOptions)
    auth: bool = False
    auth_mechanisms: tuple[str, ...] = ()
    auth_user: str | None = None
    auth_password: str | None = None
    data: str | None = None
    body: str | None = None
    headers: list[str] = field(default_factory=list)
    dsn_notify: str | None = None
    dsn_ret: str | None = None
    dsn_envid: str | None = None
    quit_after: str | None = None
    timeout: float = 30.0
    dns: str | None = None
    show_secrets: bool = False
    lang: str = "en"


def normalise_quit_point(value: str) -> str:
    """`--quit-after` accepts swaks' names too (RCPT, TO, FROM, HELO, STARTTLS...)."""
    point = value.strip().lower()
    point = QUIT_ALIASES.get(point, point)
    if point not in QUIT_POINTS:
        raise ValueError(f"--quit-after takes one of {', '.join(QUIT_POINTS)}, not {value!r}")
    return point


def split_server(value: str, default_port: int) -> tuple[str, int]:
    """`host`, `host:port`, `[v6]:port`, `v6/port` or a bare IPv6 address."""
    text = value.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest.lstrip(":/")
        return host, _port(port_text) if port_text else default_port
    if "/" in text:
        host, _, port_text = text.rpartition("/")
        return host, _port(port_text)
    if text.count(":") == 1:
        host, _, port_text = text.partition(":")
        return host, _port(port_text)
    return text, default_port  # a name, an IPv4 address, or a bare IPv6 address


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"bad port {text!r}")
    return int(text)
