"""Fixtures for the DNS tests, beside the session-wide `dnsmasq` (tests/conftest.py).

- `resolver`       (function) an asyncio resolver asking that dnsmasq only.
- `scripted_dns`   (function, tests/conftest.py) factory of `peers.dnsmasq.ScriptedDnsServer`s.

A missing dnsmasq FAILS the tests (it does not skip them): run scripts/install-peers.sh.
Nothing here reads /etc/resolv.conf or sends a packet off 127.0.0.0/8 and ::1.
"""

from __future__ import annotations

import dns.asyncresolver
import pytest

from peers.dnsmasq import Dnsmasq
from smtpcheck.dns.resolver import DnsServer, make_resolver


@pytest.fixture
def resolver(dnsmasq: Dnsmasq) -> dns.asyncresolver.Resolver:
    """A resolver that asks our dnsmasq and nothing else."""
    return make_resolver(DnsServer.parse(dnsmasq.server), timeout=3.0)
