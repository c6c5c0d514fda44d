"""A private Postfix instance on loopback, built and torn down by the test session.

Everything lives in one run folder (config, queue, Maildirs, sasldb, certificate, log);
`/etc/postfix` is never read or written, so the tests run beside any system Postfix.
The only system-wide effect is the `vmail` user (uid 5000 when free), created if missing,
because virtual(8) refuses to deliver as a uid below `virtual_minimum_uid`.

Listeners (all on 127.0.0.1; the preferred port is used when free, otherwise a free one):

| attribute          | preferred | what it is                                               |
|--------------------|-----------|----------------------------------------------------------|
| `main_port`        | 25525     | STARTTLS may, SIZE 1048576, magic recipients, DSN, ...   |
| `implicit_tls_port`| 25465     | TLS from the first byte (smtpd_tls_wrappermode)          |
| `submission_port`  | 25587     | STARTTLS required, then AUTH required for RCPT           |
| `tight_port`       | 25528     | 1 connection, 2 recipients, 10240 bytes, strict protocol |
| `xclient_port`     | 25530     | XCLIENT, XFORWARD allowed from 127.0.0.0/8; logs client ports |
| `proxy_port`       | 25531     | expects a HAProxy PROXY header (v1 or v2) before the banner |
| `weak_tls_port`    | 25532     | old protocols, weak suites and keys (peers/postfix_lab.py) |
| `modern_tls_port`  | 25533     | TLS 1.2/1.3, strong suites only, server's order            |
| `bare_lf_port`     | 25534     | ends DATA at a bare <LF>.<LF> (smtpd_forbid_bare_newline=no) |

The main listener is also on [::1] (`ipv6_host`, same port) when the machine has ::1.
"""

from __future__ import annotations

import contextlib
import functools
import grp
import os
import pwd
import shutil
import signal
import ssl
import subprocess
import time
from pathlib import Path

from peers import maildir, postfix_lab
from peers.maildir import Delivery, Match
from peers.postfix_lab import LabFiles, lab_master_lines, write_lab_files
from peers.process import (
    HOST,
    PeerError,
    find_program,
    free_port,
    ipv6_loopback_usable,
    make_certificate,
    make_run_folder,
    port_free,
    smtp_banner,
    tail,
    wait_exit,
    wait_ready,
)

TRUSTED_CLIENT = "127.0.0.2"  # the only address in mynetworks: relaying allowed from it
HOSTNAME = "mx.example.test"
DOMAIN = "example.test"
SASL_USER = "alice@example.test"
SASL_PASSWORD = "secret"

# address -> Maildir folder name under <vmail>/example.test/
MAILBOXES = {
    "alice@example.test": "alice",
    "bob@example.test": "bob",
    "jöran@example.test": "joran",
    "postmaster@example.test": "postmaster",
}
# local names at @localhost that are valid (and rewritten to a virtual mailbox)
LOCAL_ALIASES = {
    "tester@localhost": "bob@example.test",
    "postmaster@localhost": "postmaster@example.test",
}
# a second mail domain, all aliases of example.test mailboxes: its MX records in
# peers/dnsmasq.py point at this peer (send's and the console's MX fallback tests)
ALIAS_DOMAIN = "mxfallback.test"
DOMAIN_ALIASES = {
    f"bob@{ALIAS_DOMAIN}": "bob@example.test",
    f"postmaster@{ALIAS_DOMAIN}": "postmaster@example.test",
}
# recipients that provoke a fixed reply at RCPT time (any listener)
MAGIC_RECIPIENTS = {
    "full@example.test": "452 4.2.2 Mailbox full",
    "greylist@example.test": "450 4.7.1 Greylisted, try again later",
    "busy@example.test": "421 4.3.2 Service shutting down",
    "denied@example.test": "550 5.7.1 Rejected by local policy",
}
PREFERRED_PORTS = {
    "main": 25525,
    "implicit_tls": 25465,
    "submission": 25587,
    "tight": 25528,
    "xclient": 25530,
    "proxy": 25531,
    **postfix_lab.PREFERRED_PORTS,
}
#: who may send XCLIENT / XFORWARD to the xclient listener (and only to it)
XCLIENT_HOSTS = "127.0.0.0/8"
MAIN_MESSAGE_SIZE_LIMIT = 1048576
TIGHT_MESSAGE_SIZE_LIMIT = 10240
TIGHT_RECIPIENT_LIMIT = 2

# Non-smtpd services, copied from Debian 12's /etc/postfix/master.cf with chroot off
# (so smtpd and friends see the run folder). Embedded so /etc/postfix is never read.
_SERVICES = """\
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
        -o syslog_name=postfix/$service_name
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


RUN_PREFIX = "smtpcheck-postfix-"


def _stop_stale(run_dir: Path) -> None:
    """Stop an instance left by a dead session through its own config."""
    if (run_dir / "spool" / "pid" / "master.pid").exists():
        subprocess.run(
            [find_program("postfix"), "-c", str(run_dir / "etc"), "stop"],
            capture_output=True,
            timeout=20,
            check=False,
        )


def _vmail_ids() -> tuple[int, int]:
    """uid/gid of the `vmail` user that owns the Maildirs; created (uid 5000) if missing."""
    try:
        entry = pwd.getpwnam("vmail")
    except KeyError:
        useradd = find_program("useradd")
        args = [useradd, "-r", "-U", "-M", "-d", "/nonexistent", "-s", "/usr/sbin/nologin"]
        try:
            pwd.getpwuid(5000)
        except KeyError:
            args += ["-u", "5000"]  # the usual vmail uid; when taken, useradd picks one
        _run([*args, "vmail"])
        entry = pwd.getpwnam("vmail")
    return entry.pw_uid, entry.pw_gid


def _run(args: list[str], env: dict[str, str] | None = None, stdin: str | None = None) -> str:
    proc = subprocess.run(
        args, input=stdin, capture_output=True, text=True, env=env, timeout=60, check=False
    )
    if proc.returncode != 0:
        raise PeerError(
            f"{' '.join(args)} failed (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}"
        )
    return proc.stdout + proc.stderr


class PostfixPeer:
    """One private Postfix instance; `start()` builds and starts it, `stop()` ends it."""

    host = HOST
    trusted_client = TRUSTED_CLIENT
    hostname = HOSTNAME
    domain = DOMAIN
    sasl_user = SASL_USER
    sasl_password = SASL_PASSWORD
    mailboxes = MAILBOXES
    local_aliases = LOCAL_ALIASES
    magic_recipients = MAGIC_RECIPIENTS
    message_size_limit = MAIN_MESSAGE_SIZE_LIMIT
    tight_message_size_limit = TIGHT_MESSAGE_SIZE_LIMIT
    tight_recipient_limit = TIGHT_RECIPIENT_LIMIT

    def __init__(self, base_dir: Path | None = None, extra_listeners: tuple[str, ...] = ()) -> None:
        if os.geteuid() != 0:
            raise PeerError("the Postfix test peer must run as root (its master runs as root)")
        self.postfix_bin = find_program("postfix")
        self.saslpasswd2_bin = find_program("saslpasswd2")
        self.dir = make_run_folder(RUN_PREFIX, base_dir, _stop_stale)
        # Postfix daemons (user postfix, vmail) must be able to walk down to this folder.
        for folder in self.dir.parents:
            if not folder.stat().st_mode & 0o001:
                raise PeerError(
                    f"{folder} is not searchable by other users, so Postfix daemons cannot"
                    " reach the run folder: set SMTPCHECK_PEERS_DIR to a folder under /tmp"
                )
        self.config_dir = self.dir / "etc"
        self.queue_dir = self.dir / "spool"
        self.data_dir = self.dir / "data"
        self.vmail_dir = self.dir / "vmail"
        # Debian's Postfix looks for the Cyrus smtpd.conf in $config_directory/sasl,
        # whatever cyrus_sasl_config_path says (set as well, for other builds).
        self.sasl_dir = self.config_dir / "sasl"
        self.sasldb_path = self.sasl_dir / "sasldb2"
        self.cert_path = self.dir / "tls" / "cert.pem"
        self.key_path = self.dir / "tls" / "key.pem"
        self.log_path = self.dir / "postfix.log"
        self.ipv6_host: str | None = "::1" if ipv6_loopback_usable() else None
        self.main_port = self.implicit_tls_port = self.submission_port = self.tight_port = 0
        self.xclient_port = self.proxy_port = 0
        self.weak_tls_port = self.modern_tls_port = self.bare_lf_port = 0
        self.lab_files: LabFiles | None = None
        # more plain smtpd listeners ("127.0.5.1:2600"), e.g. one MX of a check test bed
        self.extra_listeners = tuple(extra_listeners)
        self._started = False

    # ---- what tests use -------------------------------------------------------------
    @property
    def ca_file(self) -> Path:
        """The certificate is self-signed: it is its own CA for verification."""
        return self.cert_path

    @property
    def ports(self) -> dict[str, int]:
        return {
            "main": self.main_port,
            "implicit_tls": self.implicit_tls_port,
            "submission": self.submission_port,
            "tight": self.tight_port,
            "xclient": self.xclient_port,
            "proxy": self.proxy_port,
            "weak_tls": self.weak_tls_port,
            "modern_tls": self.modern_tls_port,
            "bare_lf": self.bare_lf_port,
        }

    def ssl_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts the peer's certificate."""
        return ssl.create_default_context(cafile=str(self.cert_path))

    def maildir(self, user: str) -> Path:
        """Maildir of a virtual user: `alice`, `alice@example.test`, `jöran`, ..."""
        address = user if "@" in user else f"{user}@{DOMAIN}"
        address = LOCAL_ALIASES.get(address, address)
        try:
            folder = MAILBOXES[address]
        except KeyError:
            raise KeyError(f"{user!r} has no Maildir; known: {sorted(MAILBOXES)}") from None
        return self.vmail_dir / DOMAIN / folder

    def messages(self, user: str) -> list[Delivery]:
        """Every message delivered so far to a user's Maildir `new/`, oldest first."""
        return maildir.messages(self.maildir(user))

    def wait_for_delivery(self, user: str, match: Match, timeout: float = 10.0) -> Delivery:
        """Poll a user's Maildir `new/` until a message matches, and return it.

        `match` is a substring (str or bytes) looked for in the raw message, or a
        predicate on the `Delivery`. Use a marker unique to the test (the Maildirs live
        for the whole session). Raises AssertionError with the log tail on timeout.
        """
        return maildir.wait_for_delivery(
            self.maildir(user), match, timeout, lambda: f"Postfix log tail:\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 40) -> str:
        found = tail(self.log_path, lines)
        return "(no log file yet)" if found is None else found

    def postfix(self, *args: str) -> str:
        """Run `postfix -c <config> ARGS` (e.g. `flush`) against this instance."""
        return _run([self.postfix_bin, "-c", str(self.config_dir), *args], env=self._env())

    # ---- life cycle ------------------------------------------------------------------
    def start(self, timeout: float = 10.0) -> None:
        self._choose_ports()
        self._write_files()
        try:  # `start` runs Postfix's own checks and creates the queue folders
            self.postfix("start")
        except PeerError as exc:
            raise PeerError(f"{exc}\nPostfix log tail:\n{self.log_tail()}") from None
        self._started = True
        try:
            self._wait_ready(time.monotonic() + timeout)
        except PeerError:
            self.stop()
            raise

    def stop(self, timeout: float = 10.0) -> None:
        """Graceful `postfix stop`; `abort` and then SIGKILL of the master if it lingers."""
        if not self._started:
            return
        self._started = False
        pid = self._master_pid()
        with contextlib.suppress(PeerError, subprocess.TimeoutExpired):
            self.postfix("stop")
        if pid is None or wait_exit(pid, timeout):
            return
        with contextlib.suppress(PeerError, subprocess.TimeoutExpired):
            self.postfix("abort")
        if not wait_exit(pid, 0.5):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def remove(self) -> None:
        """Delete the run folder (call after stop)."""
        shutil.rmtree(self.dir, ignore_errors=True)

    # ---- internals -------------------------------------------------------------------
    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["MAIL_CONFIG"] = str(self.config_dir)
        env["PATH"] = env.get("PATH", "") + ":/usr/sbin:/sbin"
        return env

    def _master_pid(self) -> int | None:
        try:
            return int((self.queue_dir / "pid" / "master.pid").read_text().split()[0])
        except (FileNotFoundError, ValueError, IndexError):
            return None

    def _choose_ports(self) -> None:
        hosts = [HOST] + ([self.ipv6_host] if self.ipv6_host else [])
        taken: set[int] = set()
        chosen: dict[str, int] = {}
        for role, preferred in PREFERRED_PORTS.items():
            role_hosts = hosts if role == "main" else [HOST]
            port = preferred
            if port in taken or not all(port_free(h, port) for h in role_hosts):
                port = free_port(role_hosts, taken)
            taken.add(port)
            chosen[role] = port
        self.main_port = chosen["main"]
        self.implicit_tls_port = chosen["implicit_tls"]
        self.submission_port = chosen["submission"]
        self.tight_port = chosen["tight"]
        self.xclient_port = chosen["xclient"]
        self.proxy_port = chosen["proxy"]
        self.weak_tls_port = chosen["weak_tls"]
        self.modern_tls_port = chosen["modern_tls"]
        self.bare_lf_port = chosen["bare_lf"]

    def _write_files(self) -> None:
        uid, gid = _vmail_ids()
        postfix_uid = pwd.getpwnam("postfix").pw_uid
        postfix_gid = grp.getgrnam("postfix").gr_gid
        for folder in (self.config_dir, self.sasl_dir, self.cert_path.parent):
            folder.mkdir(mode=0o755)
        self.queue_dir.mkdir(mode=0o755)
        self.data_dir.mkdir(mode=0o700)
        os.chown(self.data_dir, postfix_uid, postfix_gid)
        self.vmail_dir.mkdir(mode=0o770)
        os.chown(self.vmail_dir, uid, gid)

        make_certificate(self.cert_path, self.key_path)
        self.lab_files = write_lab_files(self.cert_path.parent)

        etc = self.config_dir
        (etc / "vmailbox").write_text(
            "".join(f"{addr} {DOMAIN}/{folder}/\n" for addr, folder in MAILBOXES.items()),
            encoding="utf-8",
        )
        aliases = {**LOCAL_ALIASES, **DOMAIN_ALIASES}
        (etc / "virtual_alias").write_text(
            "".join(f"{src} {dst}\n" for src, dst in aliases.items())
        )
        (etc / "local_recipients").write_text(
            "".join(f"{addr.split('@')[0]} x\n" for addr in LOCAL_ALIASES)
        )
        (etc / "magic_rcpt").write_text(
            "".join(f"{addr} {reply}\n" for addr, reply in MAGIC_RECIPIENTS.items())
        )

        (self.sasl_dir / "smtpd.conf").write_text(
            "pwcheck_method: auxprop\n"
            "auxprop_plugin: sasldb\n"
            f"sasldb_path: {self.sasldb_path}\n"
            "mech_list: PLAIN LOGIN\n"
        )
        local, realm = SASL_USER.split("@")
        _run(
            [self.saslpasswd2_bin, "-p", "-c", "-f", str(self.sasldb_path), "-u", realm, local],
            stdin=SASL_PASSWORD,
        )
        os.chown(self.sasldb_path, 0, postfix_gid)
        self.sasldb_path.chmod(0o640)

        (etc / "main.cf").write_text(self._main_cf(uid, gid), encoding="utf-8")
        (etc / "master.cf").write_text(self._master_cf(), encoding="utf-8")

    def _main_cf(self, uid: int, gid: int) -> str:
        etc = self.config_dir
        no_relay = "discard:relay is disabled in the smtpcheck test peer"
        return f"""\
# Private Postfix instance for the smtpcheck tests (generated; see tests/peers/postfix.py)
compatibility_level = 3.6
queue_directory = {self.queue_dir}
data_directory = {self.data_dir}
syslog_name = postfix-smtpcheck
maillog_file = {self.log_path}
maillog_file_prefixes = {self.dir}
inet_interfaces = loopback-only
inet_protocols = {"all" if self.ipv6_host else "ipv4"}
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
myhostname = {HOSTNAME}
mydomain = {DOMAIN}
myorigin = $myhostname
mydestination = localhost
mynetworks = {TRUSTED_CLIENT}/32
biff = no
readme_directory = no
alias_maps =
alias_database =
local_recipient_maps = texthash:{etc}/local_recipients
virtual_alias_maps = texthash:{etc}/virtual_alias
virtual_alias_domains = {ALIAS_DOMAIN}
virtual_mailbox_domains = {DOMAIN}
virtual_mailbox_base = {self.vmail_dir}
virtual_mailbox_maps = texthash:{etc}/vmailbox
virtual_uid_maps = static:{uid}
virtual_gid_maps = static:{gid}
virtual_minimum_uid = 1
default_transport = {no_relay}
relay_transport = {no_relay}
message_size_limit = {MAIN_MESSAGE_SIZE_LIMIT}
smtputf8_enable = yes
smtpd_banner = $myhostname ESMTP smtpcheck test peer
smtpd_error_sleep_time = 0
smtpd_helo_required = yes
smtpd_delay_reject = no
smtpd_helo_restrictions = reject_invalid_helo_hostname
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions = check_recipient_access texthash:{etc}/magic_rcpt
smtpd_tls_chain_files = {self.key_path}, {self.cert_path}
smtpd_tls_security_level = may
smtpd_tls_loglevel = 1
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = {self.sasl_dir}
smtpd_tls_auth_only = yes
# values with spaces cannot follow -o in master.cf: named here, used as $name there
smtpcheck_auth_required = permit_sasl_authenticated,
    check_client_access static:{{530 5.7.0 Authentication required}}
"""

    def _master_cf(self) -> str:
        smtpd = "inet  n       -       n       -       -       smtpd"
        lines = [f"{HOST}:{self.main_port} {smtpd}"]
        if self.ipv6_host:
            lines.append(f"[{self.ipv6_host}]:{self.main_port} {smtpd}")
        lines += [
            f"{HOST}:{self.implicit_tls_port} {smtpd}",
            "  -o smtpd_tls_wrappermode=yes",
            f"{HOST}:{self.submission_port} {smtpd}",
            "  -o smtpd_tls_security_level=encrypt",
            "  -o smtpd_recipient_restrictions=$smtpcheck_auth_required",
            f"{HOST}:{self.tight_port} {smtpd}",
            "  -o smtpd_client_connection_count_limit=1",
            "  -o smtpd_client_event_limit_exceptions=",
            f"  -o smtpd_recipient_limit={TIGHT_RECIPIENT_LIMIT}",
            f"  -o message_size_limit={TIGHT_MESSAGE_SIZE_LIMIT}",
            "  -o smtpd_forbid_unauth_pipelining=yes",
            "  -o smtpd_forbid_bare_newline=reject",
            "  -o smtpd_forbid_bare_newline_exclusions=",
            f"{HOST}:{self.xclient_port} {smtpd}",
            f"  -o smtpd_authorized_xclient_hosts={XCLIENT_HOSTS}",
            f"  -o smtpd_authorized_xforward_hosts={XCLIENT_HOSTS}",
            "  -o smtpd_client_port_logging=yes",
            f"{HOST}:{self.proxy_port} {smtpd}",
            "  -o smtpd_upstream_proxy_protocol=haproxy",
        ]
        assert self.lab_files is not None
        lines += lab_master_lines(HOST, self.ports, self.lab_files, smtpd)
        lines += [f"{listener} {smtpd}" for listener in self.extra_listeners]
        return "\n".join(lines) + "\n" + _SERVICES

    def _wait_ready(self, deadline: float) -> None:
        """Wait (bounded) until every listener gives its 220 banner."""
        proxy_header = b"PROXY TCP4 127.0.0.1 127.0.0.1 1 25\r\n"  # before smtpd's banner
        checks: list[tuple[str, str, int, ssl.SSLContext | None, bytes]] = [
            ("main", HOST, self.main_port, None, b""),
            ("implicit_tls", HOST, self.implicit_tls_port, self.ssl_context(), b""),
            ("submission", HOST, self.submission_port, None, b""),
            ("tight", HOST, self.tight_port, None, b""),
            ("xclient", HOST, self.xclient_port, None, b""),
            ("proxy", HOST, self.proxy_port, None, proxy_header),
            ("weak_tls", HOST, self.weak_tls_port, None, b""),
            ("modern_tls", HOST, self.modern_tls_port, None, b""),
            ("bare_lf", HOST, self.bare_lf_port, None, b""),
        ]
        if self.ipv6_host:
            checks.append(("main (IPv6)", self.ipv6_host, self.main_port, None, b""))
        for listener in self.extra_listeners:
            host, _, port = listener.rpartition(":")
            checks.append((f"extra {listener}", host, int(port), None, b""))
        for role, host, port, context, preamble in checks:
            wait_ready(
                f"Postfix {role} listener {host}:{port}",
                functools.partial(smtp_banner, host, port, context, preamble),
                deadline,
                lambda: f"Postfix log tail:\n{self.log_tail()}",
            )
