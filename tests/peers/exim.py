"""A private Exim 4 daemon on loopback, built and torn down by the test session.

Exim cannot be installed with apt beside Postfix (apt would remove postfix), so
`scripts/install-peers.sh` unpacks exim4-daemon-light into the project's `.peers/exim`
and points `/usr/sbin/exim4` there (exim re-executes that compiled-in path for each
delivery). This module only writes a config into a run folder and starts
`exim4 -C CONFIG -bdf` as a child process.

Because of `-C`, exim drops root: it listens on a high port and delivers as
`Debian-exim`, so the run folder (spool, log, Maildirs) belongs to that user.

What the config does (all on 127.0.0.1, `port`):
- domains example.test and localhost; users alice, bob, refuse, later (Maildir under
  `mail/<user>/Maildir`); any other local part gets `550 5.1.1 ... User unknown` at RCPT;
  `full@` gets `452 4.2.2 Mailbox full`; relaying only from 127.0.0.2.
- PRDR is offered (`prdr_enable`): after the message, `refuse@` is refused with
  `550 5.7.1` and `later@` deferred with `451 4.7.1`, each in its own per-recipient
  reply, while alice and bob are accepted -- one message, different outcomes.
- STARTTLS with a self-signed certificate; SIZE 1 MB, DSN, CHUNKING, SMTPUTF8.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import time
from pathlib import Path

from peers import maildir
from peers.maildir import Delivery, Match
from peers.process import (
    HOST,
    INSTALL_HINT,
    PeerError,
    PeerNotInstalled,
    free_port,
    make_certificate,
    make_run_folder,
    port_free,
    smtp_banner,
    start_daemon,
    stop_process,
    tail,
    wait_ready,
)

EXIM_BIN = "/usr/sbin/exim4"
EXIM_USER = "Debian-exim"
HOSTNAME = "exim.example.test"
DOMAIN = "example.test"
TRUSTED_CLIENT = "127.0.0.2"
PREFERRED_PORT = 25626
USERS = ("alice", "bob", "refuse", "later")
#: recipients accepted at RCPT and then answered after the message (PRDR)
PRDR_REFUSED = {"refuse@example.test": 550, "later@example.test": 451}
RUN_PREFIX = "smtpcheck-exim-"


def _stop_stale(run_dir: Path) -> None:
    """SIGTERM the daemon a dead session left, if that pid is still one of ours."""
    daemon = int((run_dir / "daemon.pid").read_text().split()[0])
    cmdline = Path(f"/proc/{daemon}/cmdline").read_bytes()
    if str(run_dir).encode() in cmdline:  # still ours, not a reused pid
        os.kill(daemon, signal.SIGTERM)


class EximPeer:
    """One private Exim daemon; `start()` writes the config and starts it, `stop()` ends it."""

    host = HOST
    hostname = HOSTNAME
    domain = DOMAIN
    trusted_client = TRUSTED_CLIENT
    prdr_refused = PRDR_REFUSED

    def __init__(self, base_dir: Path | None = None) -> None:
        if not (os.path.exists(EXIM_BIN) and os.access(EXIM_BIN, os.X_OK)):
            raise PeerNotInstalled(f"{EXIM_BIN} is missing: {INSTALL_HINT}")
        try:
            self.user = pwd.getpwnam(EXIM_USER)
        except KeyError:
            raise PeerNotInstalled(f"the {EXIM_USER} user is missing: {INSTALL_HINT}") from None
        if os.geteuid() != 0:
            raise PeerError("the Exim test peer must be started as root")
        self.dir = make_run_folder(RUN_PREFIX, base_dir, _stop_stale)
        self.config_path = self.dir / "exim.conf"
        self.spool_dir = self.dir / "spool"
        self.log_dir = self.dir / "log"
        self.mail_dir = self.dir / "mail"
        self.cert_path = self.dir / "cert.pem"
        self.key_path = self.dir / "key.pem"
        self.users_path = self.dir / "users"
        self.port = 0
        self._daemon: subprocess.Popen[bytes] | None = None

    # ---- what tests use -------------------------------------------------------------
    @property
    def exim_bin(self) -> str:
        return EXIM_BIN

    def fake_session_command(self, client: str = HOST) -> str:
        """`exim -bh CLIENT -C CONFIG`: a fake SMTP session on stdin/stdout (no delivery)."""
        return f"{EXIM_BIN} -bh {client} -C {self.config_path}"

    def maildir(self, user: str) -> Path:
        local = user.split("@")[0]
        if local not in USERS:
            raise KeyError(f"{user!r} has no Maildir; known: {USERS}")
        return self.mail_dir / local / "Maildir"

    def messages(self, user: str) -> list[Delivery]:
        return maildir.messages(self.maildir(user))

    def wait_for_delivery(self, user: str, match: Match, timeout: float = 10.0) -> Delivery:
        """Poll a user's Maildir until a message matching `match` arrives."""
        return maildir.wait_for_delivery(
            self.maildir(user), match, timeout, lambda: f"Exim log tail:\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 40) -> str:
        parts = []
        for name, path in (
            ("mainlog", self.log_dir / "mainlog"),
            ("rejectlog", self.log_dir / "rejectlog"),
            ("paniclog", self.log_dir / "paniclog"),
            ("daemon output", self.dir / "daemon.out"),
        ):
            text = tail(path, lines)
            if text is not None:
                parts.append(f"--- {name}\n{text}")
        return "\n".join(parts) or "(no log yet)"

    # ---- life cycle ------------------------------------------------------------------
    def start(self, timeout: float = 10.0) -> None:
        self.port = PREFERRED_PORT if port_free(HOST, PREFERRED_PORT) else free_port([HOST], set())
        self._write_files()
        check = subprocess.run(
            [EXIM_BIN, "-C", str(self.config_path), "-bV"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if check.returncode != 0:
            raise PeerError(f"exim rejects its config:\n{check.stdout}{check.stderr}")
        self._daemon = start_daemon(
            [EXIM_BIN, "-C", str(self.config_path), "-bdf", "-q30m"],
            self.dir / "daemon.out",
            env={**os.environ, "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
        )
        (self.dir / "daemon.pid").write_text(f"{self._daemon.pid}\n")
        try:
            wait_ready(
                f"exim on {HOST}:{self.port}",
                lambda: smtp_banner(HOST, self.port),
                time.monotonic() + timeout,
                self.log_tail,
                self._daemon,
            )
        except PeerError:
            self.stop()
            raise

    def stop(self, timeout: float = 10.0) -> None:
        daemon, self._daemon = self._daemon, None
        stop_process(daemon, timeout)

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

    # ---- internals -------------------------------------------------------------------
    def _write_files(self) -> None:
        uid, gid = self.user.pw_uid, self.user.pw_gid
        for folder in (self.spool_dir, self.log_dir, self.mail_dir):
            folder.mkdir(mode=0o750)
            os.chown(folder, uid, gid)
        make_certificate(self.cert_path, self.key_path)
        os.chown(self.key_path, uid, gid)
        self.users_path.write_text("".join(f"{u}: {u}\n" for u in USERS))
        self.config_path.write_text(self._config())

    def _config(self) -> str:
        return f"""\
# Private Exim for the smtpcheck tests (generated; see tests/peers/exim.py)
keep_environment =
primary_hostname = {HOSTNAME}
daemon_smtp_ports = {self.port}
local_interfaces = <; {HOST}.{self.port}
spool_directory = {self.spool_dir}
log_file_path = {self.log_dir}/%slog
exim_user = {EXIM_USER}
exim_group = {EXIM_USER}
never_users = root
host_lookup =
rfc1413_hosts =
domainlist local_domains = {DOMAIN} : localhost
hostlist relay_from_hosts = {TRUSTED_CLIENT}
acl_smtp_rcpt = acl_rcpt
acl_smtp_data_prdr = acl_prdr
prdr_enable = true
message_size_limit = 1M
smtputf8_advertise_hosts = *
chunking_advertise_hosts = *
dsn_advertise_hosts = *
tls_advertise_hosts = *
tls_certificate = {self.cert_path}
tls_privatekey = {self.key_path}

begin acl
acl_rcpt:
  defer   local_parts = full
          message = 452 4.2.2 Mailbox full
  deny    domains = +local_domains
          !verify = recipient
          message = 550 5.1.1 <$local_part@$domain>: User unknown
  accept  domains = +local_domains
  accept  hosts = +relay_from_hosts
  deny    message = 554 5.7.1 Relay access denied

# PRDR: run once per recipient after the message; its verdict is that recipient's reply
acl_prdr:
  deny    local_parts = refuse
          message = 550 5.7.1 <$local_part@$domain>: refused after the message (PRDR)
  defer   local_parts = later
          message = 451 4.7.1 <$local_part@$domain>: try again later (PRDR)
  accept

begin routers
localuser:
  driver = accept
  domains = +local_domains
  local_parts = lsearch;{self.users_path}
  transport = maildir

begin transports
maildir:
  driver = appendfile
  directory = {self.mail_dir}/$local_part_data/Maildir
  maildir_format
  create_directory
  delivery_date_add
  envelope_to_add
  return_path_add
  user = {EXIM_USER}
  group = {EXIM_USER}
  mode = 0600
"""
