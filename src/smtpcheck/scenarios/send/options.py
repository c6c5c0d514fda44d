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
    PIPE_IO = 4
    PIPE_DIED = 5
    CLOSED = 6
    NO_MAIL_HOST = 7
    BANNER = 21
    EHLO = 22
    MAIL = 23
    RCPT = 24
    DATA = 25
    EOD = 26
    QUIT = 27
    AUTH = 28
    TLS = 29
    PRDR = 30
    EHLO_AFTER_TLS = 32
    XCLIENT = 33
    EHLO_AFTER_XCLIENT = 34
    PROXY_OPTIONS = 35
    PROXY = 36


#: the stop points of --quit-after / --drop-after, in the order the session reaches them
QUIT_POINTS = (
    "proxy",
    "banner",
    "first-helo",
    "xclient",
    "xclient-helo",
    "tls",
    "helo",
    "auth",
    "mail",
    "rcpt",
    "data",
    "dot",
)
QUIT_ALIASES = {
    "connect": "banner",
    "first-ehlo": "first-helo",
    "first-lhlo": "first-helo",
    "xclient-ehlo": "xclient-helo",
    "xclient-lhlo": "xclient-helo",
    "ehlo": "helo",
    "lhlo": "helo",
    "starttls": "tls",
    "from": "mail",
    "to": "rcpt",
}
#: --quit-after cannot stop after DATA or the dot (QUIT comes then anyway)
QUIT_ONLY_BEFORE = ("data", "dot")


class TlsMode:
    NONE = "none"
    STARTTLS = "starttls"  # required
    OPTIONAL = "optional"
    OPTIONAL_STRICT = "optional-strict"
    ON_CONNECT = "on-connect"


#: --protocol NAME -> (hello verb, with AUTH, TLS mode or None)
PROTOCOLS: dict[str, tuple[str, bool, str | None]] = {
    "smtp": ("HELO", False, None),
    "ssmtp": ("EHLO", False, TlsMode.ON_CONNECT),
    "ssmtpa": ("EHLO", True, TlsMode.ON_CONNECT),
    "smtps": ("HELO", False, TlsMode.ON_CONNECT),
    "esmtp": ("EHLO", False, None),
    "esmtpa": ("EHLO", True, None),
    "esmtps": ("EHLO", False, TlsMode.STARTTLS),
    "esmtpsa": ("EHLO", True, TlsMode.STARTTLS),
    "lmtp": ("LHLO", False, None),
    "lmtpa": ("LHLO", True, None),
    "lmtps": ("LHLO", False, TlsMode.STARTTLS),
    "lmtpsa": ("LHLO", True, TlsMode.STARTTLS),
}


@dataclass
class Target:
    """One place to connect to: a host name or address, a port, and where it came from."""

    host: str
    port: int
    preference: int | None = None
    mx_host: str | None = None


@dataclass
class ProxyOptions:
    """The PROXY protocol header sent before the banner (HAProxy's v1 or v2)."""

    version: int = 1
    raw: bytes | None = None
    family: str | None = None  # AF_INET, AF_INET6, AF_UNIX (v2); TCP4/TCP6 (v1)
    protocol: str | None = None  # STREAM or DGRAM (v2)
    command: str | None = None  # PROXY or LOCAL (v2)
    source: str | None = None
    source_port: int | None = None
    dest: str | None = None
    dest_port: int | None = None


@dataclass
class SendOptions:
    """Everything `send` was asked to do, validated (built by cli/send_build)."""

    server: str | None = None
    port: int | None = None
    family: int = 0
    local_interface: str | None = None
    local_port: int | None = None
    socket_path: str | None = None
    pipe_command: str | None = None
    ehlo: str = "localhost"
    hello_verb: str = "EHLO"  # EHLO (falls back to HELO), HELO, or LHLO (LMTP)
    sender: str = ""
    recipients: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)
    tls_mode: str = TlsMode.NONE
    tls: TlsOptions = field(default_factory=TlsOptions)
    tls_verify_ca: bool = False
    tls_verify_host: bool = False
    tls_verify_target: str | None = None
    tls_get_peer_cert: str | None = None  # "-" = show it, else a file
    tls_get_peer_chain: str | None = None
    tls_chain: str | None = None  # intermediates sent after the client certificate
    auth: bool = False
    auth_mechanisms: tuple[str, ...] = ()
    auth_user: str | None = None
    auth_password: str | None = None
    auth_optional: int = 0  # 1 = --auth-optional, 2 = --auth-optional-strict
    auth_map: dict[str, str] = field(default_factory=dict)
    auth_extra: dict[str, str] = field(default_factory=dict)
    auth_plaintext: bool = False
    auth_hide_password: str | None = None
    data: str | None = None
    body: str | None = None
    headers: list[str] = field(default_factory=list)
    add_headers: list[str] = field(default_factory=list)
    attachments: list[dict[str, str]] = field(default_factory=list)
    data_fixup: bool = True
    strip_from: bool = True
    dsn_notify: str | None = None
    dsn_ret: str | None = None
    dsn_envid: str | None = None
    dsn_orcpt: bool = False
    pipeline: bool = False
    prdr: bool = False
    chunking: bool = False
    chunk_size: int = 65536
    binarymime: bool = False
    eight_bit: bool = False
    declare_size: bool = False
    smtputf8: str = "auto"  # auto, always, never
    xclient: dict[str, str] = field(default_factory=dict)
    xclient_raw: list[str] = field(default_factory=list)
    xclient_optional: int = 0
    xclient_before_starttls: bool = False
    xclient_no_verify: bool = False
    xforward: dict[str, str] = field(default_factory=dict)
    proxy: ProxyOptions | None = None
    quit_after: str | None = None
    drop_after: str | None = None
    drop_after_send: str | None = None
    count: int = 1
    dkim_key: str | None = None
    dkim_selector: str | None = None
    dkim_domain: str | None = None
    timeout: float = 30.0
    dns: str | None = None
    show_secrets: bool = False
    lang: str = "en"

    @property
    def lmtp(self) -> bool:
        return self.hello_verb == "LHLO"

    @property
    def all_recipients(self) -> list[str]:
        return [*self.recipients, *self.cc, *self.bcc]


def normalise_quit_point(value: str, option: str = "--quit-after") -> str:
    """`--quit-after` accepts swaks' names too (RCPT, TO, FROM, HELO, STARTTLS...)."""
    point = value.strip().lower()
    point = QUIT_ALIASES.get(point, point)
    if point not in QUIT_POINTS or (option == "--quit-after" and point in QUIT_ONLY_BEFORE):
        allowed = [p for p in QUIT_POINTS if option != "--quit-after" or p not in QUIT_ONLY_BEFORE]
        raise ValueError(f"{option} takes one of connect, {', '.join(allowed)}, not {value!r}")
    return point
