"""What every test peer that runs a real program shares, written once.

- finding the program (`find_program`; `PeerNotInstalled` carries the install hint),
- loopback ports (`port_free`, `free_port`, `ipv6_loopback_usable`),
- the run folder (`make_run_folder`: owner.pid, stale folders of dead sessions reaped),
- a certificate for the peer (`make_certificate`),
- starting a daemon (`start_daemon`), waiting for it with a bounded deadline and the log
  tail in the failure (`wait_ready`, `smtp_banner`), stopping it (`stop_process` for a
  child, `wait_exit`/`alive` for a daemon known by its pid),
- reading logs (`tail`), and `running`: the life of a session peer under pytest.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime
import ipaddress
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol, TypeVar

import pytest

INSTALL_HINT = "run scripts/install-peers.sh (as root, or with sudo) to install the test peers"
HOST = "127.0.0.1"


class PeerError(RuntimeError):
    """A test peer could not be set up, started or used."""


class PeerNotInstalled(PeerError):
    """A program the peer needs is missing (the fixture turns this into a failure)."""


def find_program(name: str) -> str:
    """Path of an installed program, also looking in the sbin folders root's PATH has."""
    extra = os.pathsep.join(["/usr/sbin", "/sbin", "/usr/local/sbin"])
    path = shutil.which(name, path=os.environ.get("PATH", "") + os.pathsep + extra)
    if path is None:
        raise PeerNotInstalled(f"{name} is not installed: {INSTALL_HINT}")
    return path


def require_program(name: str) -> str:
    """`find_program` for a test: a missing program FAILS it, with the install hint."""
    try:
        return find_program(name)
    except PeerNotInstalled as exc:
        problem = str(exc)  # failed outside the except block: no chained traceback
    pytest.fail(problem, pytrace=False)


# ---- ports ---------------------------------------------------------------------------
def port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as daemons do
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port(hosts: list[str], taken: set[int]) -> int:
    """A TCP port free on every one of `hosts` and not in `taken`."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((HOST, 0))
            port = int(probe.getsockname()[1])
        if port not in taken and all(port_free(h, port) for h in hosts):
            return port
    raise PeerError("no free loopback port found")


def ipv6_loopback_usable() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


# ---- run folder ----------------------------------------------------------------------
def make_run_folder(prefix: str, base_dir: Path | None, stop_stale: Callable[[Path], None]) -> Path:
    """A new run folder `<parent>/<prefix>XXXX` holding `owner.pid`, readable by all.

    The parent is `base_dir`, $SMTPCHECK_PEERS_DIR or the temp folder. Folders of the
    same prefix whose owner process is gone are first stopped (`stop_stale(folder)`,
    errors ignored) and deleted.
    """
    parent = base_dir or Path(os.environ.get("SMTPCHECK_PEERS_DIR") or tempfile.gettempdir())
    parent.mkdir(parents=True, exist_ok=True)
    for stale in parent.glob(prefix + "*"):
        try:
            owner = int((stale / "owner.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue  # not made by a peer of ours
        if owner == os.getpid() or alive(owner):
            continue
        with contextlib.suppress(OSError, ValueError, IndexError, subprocess.SubprocessError):
            stop_stale(stale)
        shutil.rmtree(stale, ignore_errors=True)
    run_dir = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    (run_dir / "owner.pid").write_text(f"{os.getpid()}\n")
    run_dir.chmod(0o755)  # daemons dropping root must reach their files
    return run_dir


def make_certificate(
    cert_path: Path, key_path: Path, hostname: str = "mx.example.test", key: Any = None
) -> None:
    """A self-signed certificate for `hostname`, localhost, 127.0.0.1 and ::1.

    `key` is the private key (a `cryptography` key object); by default a new RSA-2048 one.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    if key is None:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName(hostname),
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("::1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    cert_path.chmod(0o644)


# ---- processes -----------------------------------------------------------------------
def start_daemon(
    args: list[str], output: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start `args` in the foreground as our child, its stdout and stderr appended to `output`."""
    with output.open("ab") as out:
        return subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env
        )


def wait_ready(
    name: str,
    probe: Callable[[], str | None],
    deadline: float,
    log_tail: Callable[[], str],
    process: subprocess.Popen[bytes] | None = None,
) -> None:
    """Call `probe()` every 50 ms until it returns None (ready) or `deadline` passes.

    `probe` returns what is still wrong, or raises OSError. Raises PeerError, with the
    last problem and `log_tail()`, at the deadline or as soon as `process` has exited.
    """
    last_problem = "not tried"
    while True:
        if process is not None and process.poll() is not None:
            raise PeerError(
                f"{name} exited at start-up (status {process.returncode}).\n{log_tail()}"
            )
        try:
            problem = probe()
        except OSError as exc:  # ssl.SSLError included
            problem = repr(exc)
        if problem is None:
            return
        last_problem = problem
        if time.monotonic() >= deadline:
            raise PeerError(f"{name} not ready in time ({last_problem}).\n{log_tail()}")
        time.sleep(0.05)


def smtp_banner(
    host: str, port: int, context: ssl.SSLContext | None = None, preamble: bytes = b""
) -> str | None:
    """A `wait_ready` probe: None once `host:port` greets with 220, else what it said.

    `preamble` is sent first (a PROXY header); `context` wraps the connection in TLS
    at once. The session ends with QUIT, so a one-connection listener is free again.
    """
    with socket.create_connection((host, port), timeout=2) as raw:
        sock: socket.socket = raw
        if preamble:
            raw.sendall(preamble)
        if context is not None:
            sock = context.wrap_socket(raw, server_hostname=host)
        banner = sock.recv(512)
        with contextlib.suppress(OSError):
            sock.sendall(b"QUIT\r\n")
            sock.recv(512)
    return None if banner.startswith(b"220") else f"banner {banner[:80]!r}"


def stop_process(process: subprocess.Popen[bytes] | None, timeout: float = 10.0) -> None:
    """SIGTERM a child, then SIGKILL it if it lingers past `timeout`; None is fine."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child still answers kill(0); daemons are not our children, so this is fine
    return True


def wait_exit(pid: int, timeout: float) -> bool:
    """True once the process `pid` is gone; False if it still runs after `timeout`."""
    deadline = time.monotonic() + timeout
    while alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def tail(path: Path, lines: int) -> str | None:
    """The last `lines` lines of a log file, or None when it does not exist (yet)."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return None
    return "\n".join(text.splitlines()[-lines:])


# ---- under pytest --------------------------------------------------------------------
class Peer(Protocol):
    dir: Path

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def remove(self) -> None: ...


PeerT = TypeVar("PeerT", bound=Peer)


def running(
    request: pytest.FixtureRequest, label: str, make: Callable[[], PeerT]
) -> Iterator[PeerT]:
    """The body of a peer fixture: `yield from running(request, "Postfix", PostfixPeer)`.

    A missing program or a peer that does not start FAILS the fixture (with the install
    hint), never skips it. The peer is stopped at the end, also when the session is
    interrupted (atexit). Its run folder is kept, and its path printed, when a test
    failed or SMTPCHECK_KEEP_PEERS is set; the next session deletes it.
    """
    problem = ""
    try:
        peer = make()
    except PeerNotInstalled as exc:
        problem = str(exc)
    except PeerError as exc:
        problem = f"cannot set up the {label} test peer: {exc}"
    if problem:  # failed outside the except block: no chained traceback noise
        pytest.fail(problem, pytrace=False)
    atexit.register(peer.stop)
    try:
        peer.start()
    except PeerError as exc:
        problem = f"the {label} test peer did not start: {exc}"
    if problem:
        peer.stop()
        atexit.unregister(peer.stop)
        pytest.fail(problem, pytrace=False)
    try:
        yield peer
    finally:
        peer.stop()
        atexit.unregister(peer.stop)
        if request.session.testsfailed or os.environ.get("SMTPCHECK_KEEP_PEERS"):
            reporter = request.config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None:
                reporter.write_line(f"{label} test peer run folder kept: {peer.dir}")
        else:
            peer.remove()
