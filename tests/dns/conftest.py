"""Fixtures for the DNS tests, beside the session-wide `dnsmasq` (tests/conftest.py).

- `resolver`       (function) an asyncio resolver asking that dnsmasq only.
- `scripted_dns`   (function) factory: `scripted_dns(handler, host="127.0.0.1")` starts
                   a `peers.dnsmasq.ScriptedDnsServer`; all are stopped when the test ends.

A missing dnsmasq FAILS the tests (it does not skip them): run scripts/install-peers.sh.
Nothing here reads /etc/resolv.conf or sends a packet off 127.0.0.0/8 and ::1.
"""

from __future__ import annotations

from collections.abc import Iterator

import dns.asyncresolver
import pytest

from peers.dnsmasq import Dnsmasq, Handler, ScriptedDns, ScriptedDnsServer
from smtpcheck.dns import DnsServer, make_resolver


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
