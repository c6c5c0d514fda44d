"""DNS test peers on loopback: a real dnsmasq with our zone, and tiny scripted servers.

- `Dnsmasq` starts `dnsmasq` in the foreground on 127.0.0.1 and a free port, serving the
  records in `RECORDS` (everything under `test.`, plus the reverse zone 127.in-addr.arpa).
  It never forwards: `--no-resolv` and `--local=` keep every query on this machine.
- `ScriptedDnsServer` is a UDP server of ours (a thread) that answers each query with
  whatever its handler builds from dnspython's message API: SERVFAIL, REFUSED, an answer
  with the AD flag, or nothing at all (a silent server, to exercise timeouts).

Shared by every test that needs DNS: the session fixture `dnsmasq` (tests/conftest.py)
runs one `Dnsmasq` for the whole session; tests/dns_lookups adds `resolver`.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import dns.edns
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset

from peers.process import PeerError, PeerNotInstalled, start_daemon, stop_process, tail, wait_ready

INSTALL_HINT = "dnsmasq is not installed: run scripts/install-peers.sh (it installs dnsmasq-base)"

# The zone, as dnsmasq options. Addresses stay in 127.0.0.0/8 and ::1.
RECORDS: tuple[str, ...] = (
    # example.test: preferences 10, 20, 20, 30; a mix of A-only, AAAA-only and both.
    "--mx-host=example.test,mx1.example.test,10",
    "--mx-host=example.test,mx2a.example.test,20",
    "--mx-host=example.test,mx2b.example.test,20",
    "--mx-host=example.test,mx3.example.test,30",
    "--host-record=mx1.example.test,127.0.0.11,::1",
    "--host-record=mx2a.example.test,127.0.0.21",
    "--host-record=mx2b.example.test,::1",
    "--host-record=mx3.example.test,127.0.0.31",
    "--txt-record=example.test,v=spf1 ip4:127.0.0.0/8 -all",
    "--ptr-record=11.0.0.127.in-addr.arpa,mx1.example.test",
    # null MX (RFC 7505)
    "--mx-host=nullmx.test,.,0",
    # no MX, but an address: the implicit MX (RFC 5321 §5.1)
    "--host-record=implicit.test,127.0.0.5",
    # an MX whose exchange does not exist
    "--mx-host=dangling.test,nowhere.dangling.test,10",
    # an MX pointing at an alias
    "--mx-host=cnamemx.test,alias.cnamemx.test,10",
    "--cname=alias.cnamemx.test,real.cnamemx.test",
    "--host-record=real.cnamemx.test,127.0.0.6",
    # an MX whose exchange is an IP address written as a name ("10 192.0.2.1.")
    "--mx-host=iplit.test,192.0.2.1,10",
    # a null MX mixed with a real MX
    "--mx-host=mixed.test,.,0",
    "--mx-host=mixed.test,mx1.example.test,10",
    # a name with only TXT: NODATA for MX, A and AAAA
    "--txt-record=txtonly.test,only text here",
    # IPv6-only mail host
    "--mx-host=v6only.test,mx.v6only.test,10",
    "--host-record=mx.v6only.test,::1",
    # two exchanges sharing one address (targets must not repeat it)
    "--mx-host=shared.test,a.shared.test,10",
    "--mx-host=shared.test,b.shared.test,20",
    "--host-record=a.shared.test,127.0.0.41",
    "--host-record=b.shared.test,127.0.0.41,127.0.0.42",
    # check.test: the `smtpcheck check` test bed (tests/check), one problem per MX host
    *(
        f"--mx-host=check.test,{name}.check.test,{10 * (index + 1)}"
        for index, name in enumerate(
            ("good", "selfsigned", "expired", "wrongname", "refused", "silent", "relay")
        )
    ),
    *(
        f"--host-record={name}.check.test,127.0.5.{index + 1}"
        for index, name in enumerate(
            ("selfsigned", "good", "expired", "wrongname", "refused", "silent", "relay")
        )
    ),
    # blocked.test: port 25 "blocked" on both hosts (tests/check/test_check_network.py)
    "--mx-host=blocked.test,mx1.blocked.test,10",
    "--mx-host=blocked.test,mx2.blocked.test,20",
    "--host-record=mx1.blocked.test,127.0.6.1",
    "--host-record=mx2.blocked.test,127.0.6.2",
    # dual.test: one dual-stack mail host (IPv4 and ::1)
    "--mx-host=dual.test,mx.dual.test,10",
    "--host-record=mx.dual.test,127.0.6.3,::1",
    # tlsfail.test: a mail host whose STARTTLS handshake fails
    "--mx-host=tlsfail.test,mx.tlsfail.test,10",
    "--host-record=mx.tlsfail.test,127.0.6.4",
    # mxfallback.test: MX 10 where nothing listens, MX 20 on 127.0.0.1 (the Postfix
    # peer, which takes mxfallback.test as an alias domain of example.test)
    "--mx-host=mxfallback.test,down.mxfallback.test,10",
    "--mx-host=mxfallback.test,up.mxfallback.test,20",
    "--host-record=down.mxfallback.test,127.0.6.9",
    "--host-record=up.mxfallback.test,127.0.0.1",
)

RECORD_TTL = 300


def free_udp_port(host: str = "127.0.0.1") -> int:
    """A UDP port free right now on `host` (and free for TCP too, as dnsmasq binds both)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(50):
        with socket.socket(family, socket.SOCK_DGRAM) as udp:
            udp.bind((host, 0))
            port = int(udp.getsockname()[1])
            with socket.socket(family, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind((host, port))
                except OSError:
                    continue
            return port
    raise RuntimeError("no free port on loopback")


class Dnsmasq:
    """A private dnsmasq on 127.0.0.1:`port`, logging into `dir`; `stop()` is idempotent."""

    def __init__(self, run_dir: Path, records: tuple[str, ...] = RECORDS) -> None:
        self.records = records  # another lab (tests/receive) serves its own zone
        program = find_dnsmasq()
        if program is None:
            raise PeerNotInstalled(INSTALL_HINT)
        self.program = program
        self.dir = run_dir
        self.log_path = run_dir / "dnsmasq.log"
        self.host = "127.0.0.1"
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def server(self) -> str:
        """The `--dns` value that reaches this server."""
        return f"{self.host}:{self.port}"

    def command(self) -> list[str]:
        return [
            self.program,
            "--keep-in-foreground",
            f"--port={self.port}",
            f"--listen-address={self.host}",
            "--bind-interfaces",
            "--no-resolv",
            "--no-hosts",
            "--no-poll",
            "--conf-file=/dev/null",  # ignore /etc/dnsmasq.conf if one exists
            "--user=",  # stay the user we are; nothing to drop on loopback
            "--pid-file=",
            "--log-facility=-",
            f"--local-ttl={RECORD_TTL}",
            "--local=/test/",
            "--local=/127.in-addr.arpa/",
            # "192.0.2.1." is a name in the TLD "1."; answer NXDOMAIN instead of REFUSED.
            "--local=/1/",
            *self.records,
        ]

    def start(self, attempts: int = 3) -> None:
        for _ in range(attempts):  # another program may take the port meanwhile
            self.port = free_udp_port(self.host)
            self.process = start_daemon(self.command(), self.log_path)
            try:
                wait_ready(
                    "dnsmasq", self._answers, time.monotonic() + 5.0, self.log_tail, self.process
                )
                return
            except PeerError:
                self.stop()
        raise PeerError(f"dnsmasq did not start; its log:\n{self.log_tail()}")

    def _answers(self) -> None:
        """A `wait_ready` probe: raises OSError until dnsmasq answers a query."""
        query = dns.message.make_query("example.test.", "MX").to_wire()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.settimeout(0.2)
            probe.sendto(query, (self.host, self.port))
            probe.recvfrom(4096)

    def stop(self) -> None:
        process, self.process = self.process, None
        stop_process(process, timeout=5)

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

    def log_tail(self, lines: int = 20) -> str:
        return tail(self.log_path, lines) or ""


def find_dnsmasq() -> str | None:
    return shutil.which("dnsmasq") or next(
        (path for path in ("/usr/sbin/dnsmasq", "/sbin/dnsmasq") if Path(path).exists()), None
    )


Handler = Callable[[dns.message.Message], dns.message.Message | None]


class ScriptedDnsServer:
    """A UDP DNS server in a thread; `handler(query)` returns the response, or None to
    stay silent. Every query received is kept in `queries`."""

    def __init__(self, handler: Handler, host: str = "127.0.0.1") -> None:
        self.handler = handler
        self.host = host
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.sock.settimeout(0.05)
        self.port = int(self.sock.getsockname()[1])
        self.queries: list[dns.message.Message] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="scripted-dns", daemon=True)

    @property
    def server(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def start(self) -> ScriptedDnsServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        self.sock.close()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                wire, peer = self.sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                query = dns.message.from_wire(wire)
            except Exception:
                continue
            self.queries.append(query)
            response = self.handler(query)
            if response is not None:
                with contextlib.suppress(OSError):
                    self.sock.sendto(response.to_wire(), peer)


# The `scripted_dns` fixture: scripted_dns(handler, host="127.0.0.1") -> a started server.
ScriptedDns = Callable[..., ScriptedDnsServer]


def rcode_handler(rcode: dns.rcode.Rcode, ede: dns.edns.EDECode | None = None) -> Handler:
    """Answer every query with `rcode` (and an RFC 8914 extended error, if given)."""

    def handle(query: dns.message.Message) -> dns.message.Message:
        response = dns.message.make_response(query)
        response.set_rcode(rcode)
        if ede is not None:
            response.use_edns(0, options=[dns.edns.EDEOption(ede, "test peer")])
        return response

    return handle


def silent_handler(query: dns.message.Message) -> None:
    """Never answer: the resolver must give up at its deadline."""
    return None


def validating_handler(query: dns.message.Message) -> dns.message.Message:
    """Play a validating resolver for a signed zone: AD on every answer.

    MX of any name -> "10 mx.signed.test."; A -> 127.0.0.51; AAAA -> NODATA.
    """
    response = dns.message.make_response(query)
    response.flags |= dns.flags.AD
    question = query.question[0]
    if question.rdtype == dns.rdatatype.MX:
        response.answer.append(
            dns.rrset.from_text(question.name, 600, "IN", "MX", "10 mx.signed.test.")
        )
    elif question.rdtype == dns.rdatatype.A:
        response.answer.append(dns.rrset.from_text(question.name, 600, "IN", "A", "127.0.0.51"))
    return response


def mx_then_servfail_handler(query: dns.message.Message) -> dns.message.Message:
    """Answer MX with "10 mx.broken.test." but SERVFAIL every address lookup."""
    response = dns.message.make_response(query)
    question = query.question[0]
    if question.rdtype == dns.rdatatype.MX:
        response.answer.append(
            dns.rrset.from_text(question.name, 60, "IN", "MX", "10 mx.broken.test.")
        )
    else:
        response.set_rcode(dns.rcode.SERVFAIL)
    return response
