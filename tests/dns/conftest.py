"""Fixtures for the DNS tests: a real dnsmasq on loopback and scripted DNS servers.

- `dnsmasq`        (session) the running `dnspeer.Dnsmasq`; `.server` is "127.0.0.1:PORT".
- `resolver`       (function) an asyncio resolver asking that dnsmasq only.
- `scripted_dns`   (function) factory: `scripted_dns(handler, host="127.0.0.1")` starts
                   a `dnspeer.ScriptedDnsServer`; all are stopped when the test ends.

A missing dnsmasq FAILS the tests (it does not skip them): run scripts/install-peers.sh.
Nothing here reads /etc/resolv.conf or sends a packet off 127.0.0.0/8 and ::1.
"""

from __future__ import annotations

import atexit
from collections.abc import Iterator
from pathlib import Path

import dns.asyncresolver
import pytest
from dnspeer import Dnsmasq, Handler, ScriptedDns, ScriptedDnsServer, find_dnsmasq

from smtpcheck.dns import DnsServer, make_resolver


@pytest.fixture(scope="session")
def dnsmasq(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dnsmasq]:
    """A private dnsmasq serving `dnspeer.RECORDS`, stopped at the end of the session."""
    program = find_dnsmasq()
    if program is None:
        pytest.fail("dnsmasq is not installed: run scripts/install-peers.sh", pytrace=False)
    peer = Dnsmasq(program, Path(tmp_path_factory.mktemp("dnsmasq")) / "dnsmasq.log")
    atexit.register(peer.stop)  # also when the session is interrupted
    try:
        peer.start()
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)
    try:
        yield peer
    finally:
        peer.stop()
        atexit.unregister(peer.stop)


@pytest.fixture
def resolver(dnsmasq: Dnsmasq) -> dns.asyncresolver.Resolver:
    """A resolver that asks our dnsmasq and nothing else."""
    return make_resolver(DnsServer.parse(dnsmasq.server), timeout=3.0)


@pytest.fixture
def scripted_dns() -> Iterator[ScriptedDns]:
    started: list[ScriptedDnsServer] = []

    def start(handler: Handler, host: str = "127.0.0.1") -> ScriptedDnsServer:
        server = ScriptedDnsServer(handler, host).start()
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            server.stop()
