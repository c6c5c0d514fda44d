"""A signed DNS world on loopback: knot (authoritative, signing its zones itself) and
unbound (a validating resolver in front of it, trusting the lab's anchor zone).

`KnotPeer(run_dir, zones, signed, unsigned, bogus)`: every zone in `zones` is served;
the `signed` ones get a key (keymgr, before knotd starts, so their DS records are known)
and their DS goes into the parent zone; `unsigned` children are delegated without DS
(insecure); a `bogus` child gets the DS of another zone under its own name, which
matches none of its keys. `anchors()` gives the anchor zone's DS lines, as unbound's
trust-anchor-file and smtpcheck's own validator take them.

`UnboundPeer(run_dir, knot, anchor)`: validating, EDE on, stub zones to knot, and a
closed world (everything else forwarded to knot, which refuses it).
Both run in the foreground as our children; nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path

import dns.flags
import dns.message
import dns.rdatatype

from peers.dnsmasq import free_udp_port
from peers.foreground import ForegroundPeer
from peers.process import PeerError, find_program, start_daemon, wait_ready

HOST = "127.0.0.1"


def _run(args: list[str]) -> str:
    proc = subprocess.run(args, capture_output=True, text=True, timeout=30, check=False)
    if proc.returncode != 0:
        raise PeerError(f"{' '.join(args)} failed: {proc.stdout}{proc.stderr}")
    return proc.stdout


def _query(port: int, name: str, rdtype: str, *, dnssec: bool = False) -> dns.message.Message:
    query = dns.message.make_query(name, rdtype, want_dnssec=dnssec)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.settimeout(0.5)
        probe.sendto(query.to_wire(), (HOST, port))
        wire, _ = probe.recvfrom(65535)
    return dns.message.from_wire(wire)


def _parent(zone: str) -> str:
    return zone.split(".", 1)[1]


class KnotPeer(ForegroundPeer):
    def __init__(
        self,
        run_dir: Path,
        zones: dict[str, str],
        *,
        signed: Iterable[str],
        bogus: dict[str, str],
    ) -> None:
        self.knotd = find_program("knotd")
        self.keymgr = find_program("keymgr")
        self.dir = run_dir
        self.zones = dict(zones)
        self.signed = [*signed]
        self.bogus = dict(bogus)  # bogus child -> zone whose DS it is given
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = run_dir / "knotd.log"
        self._ds: dict[str, list[str]] = {}

    @property
    def server(self) -> str:
        return f"{HOST}:{self.port}"

    def _config(self) -> str:
        signing = {*self.signed, *self.bogus}
        zone_lines = "\n".join(
            f"  - domain: {zone}." + ("" if zone in signing else "\n    dnssec-signing: off")
            for zone in self.zones
        )
        return f"""server:
    listen: {HOST}@{self.port}
    rundir: {self.dir}
log:
  - target: stderr
    any: info
database:
    storage: {self.dir}/db
policy:
  - id: manual
    manual: on
template:
  - id: default
    storage: {self.dir}/zones
    dnssec-signing: on
    dnssec-policy: manual
    zonefile-sync: -1
    journal-content: none
zone:
{zone_lines}
"""

    def _keys(self) -> None:
        config = str(self.dir / "knot.conf")
        for zone in [*self.signed, *self.bogus]:
            _run([self.keymgr, "-c", config, zone + ".", "generate",
                  "algorithm=ECDSAP256SHA256", "ksk=yes", "zsk=yes"])  # fmt: skip
            lines = _run([self.keymgr, "-c", config, zone + ".", "ds"]).splitlines()
            self._ds[zone] = [line for line in lines if " DS " in line]

    def anchors(self, zone: str) -> list[str]:
        """The DS lines of `zone` ("zone. DS tag alg type digest")."""
        return list(self._ds[zone])

    def _write_zones(self) -> None:
        texts = dict(self.zones)
        for child in self.signed:
            if "." in child and _parent(child) in texts:
                texts[_parent(child)] += "\n".join(self._ds[child]) + "\n"
        for child, source in self.bogus.items():
            wrong = [line.replace(f"{source}.", f"{child}.", 1) for line in self._ds[source]]
            texts[_parent(child)] += "\n".join(wrong) + "\n"
        for zone, text in texts.items():
            (self.dir / "zones" / f"{zone}.zone").write_text(text)

    def start(self) -> None:
        for folder in ("db", "zones"):
            (self.dir / folder).mkdir(exist_ok=True)
        self.port = free_udp_port(HOST)
        (self.dir / "knot.conf").write_text(self._config())
        self._keys()
        self._write_zones()
        config = str(self.dir / "knot.conf")
        self.process = start_daemon([self.knotd, "-c", config], self.log_path)
        first = self.signed[0]
        wait_ready("knotd", lambda: self._signed(first), time.monotonic() + 10, self.log_tail,
                   self.process)  # fmt: skip
        for zone in self.zones:
            wait_ready("knotd", lambda z=zone: self._loaded(z), time.monotonic() + 10,
                       self.log_tail, self.process)  # fmt: skip

    def _signed(self, zone: str) -> str | None:
        response = _query(self.port, zone + ".", "SOA", dnssec=True)
        has_sig = any(r.rdtype == dns.rdatatype.RRSIG for r in response.answer)
        return None if has_sig else f"{zone} not signed yet"

    def _loaded(self, zone: str) -> str | None:
        response = _query(self.port, zone + ".", "SOA")
        return None if response.answer else f"{zone} not loaded (rcode {response.rcode()})"


class UnboundPeer(ForegroundPeer):
    def __init__(self, run_dir: Path, knot: KnotPeer, anchor_lines: list[str]) -> None:
        self.unbound = find_program("unbound")
        self.dir = run_dir
        self.knot = knot
        self.anchor_lines = anchor_lines
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = run_dir / "unbound.log"

    @property
    def server(self) -> str:
        return f"{HOST}:{self.port}"

    def _config(self) -> str:
        stubs = "".join(
            f'stub-zone:\n    name: "{zone}."\n    stub-addr: {HOST}@{self.knot.port}\n'
            for zone in self.knot.zones
        )
        zones_nodefault = "".join(
            f'    local-zone: "{zone}." nodefault\n'
            for zone in {z.rsplit(".", 1)[-1] for z in self.knot.zones}
        )
        return f"""server:
    interface: {HOST}@{self.port}
    port: {self.port}
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "{self.dir}"
    pidfile: ""
    use-syslog: no
    logfile: ""
    verbosity: 1
    val-log-level: 2
    ede: yes
    do-ip6: no
    do-not-query-localhost: no
    access-control: 127.0.0.0/8 allow
    module-config: "validator iterator"
    trust-anchor-file: "{self.dir}/anchors.ds"
{zones_nodefault}{stubs}forward-zone:
    name: "."
    forward-addr: {HOST}@{self.knot.port}
"""

    def start(self) -> None:
        self.port = free_udp_port(HOST)
        (self.dir / "anchors.ds").write_text("\n".join(self.anchor_lines) + "\n")
        config = self.dir / "unbound.conf"
        config.write_text(self._config())
        _run([find_program("unbound-checkconf"), str(config)])
        self.process = start_daemon([self.unbound, "-d", "-c", str(config)], self.log_path)
        wait_ready("unbound", self._validates, time.monotonic() + 10, self.log_tail, self.process)

    def _validates(self) -> str | None:
        zone = self.knot.signed[0]
        response = _query(self.port, zone + ".", "SOA", dnssec=True)
        return None if response.flags & dns.flags.AD else f"no AD for {zone} yet"
