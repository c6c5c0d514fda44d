"""The receive lab: a private dnsmasq serving the planted truth of `peers.receive_lab`
(PTR, SPF, DMARC, DKIM key, blocklist zones), the DKIM key pair, the blocklist file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from peers.dnsmasq import Dnsmasq
from peers.process import running
from peers.receive_lab import DkimKey, lab_records, make_dkim_key, write_zones


@pytest.fixture(scope="session")
def dkim_key() -> DkimKey:
    return make_dkim_key()


@pytest.fixture(scope="session")
def lab_dns(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, dkim_key: DkimKey
) -> Iterator[Dnsmasq]:
    """dnsmasq serving the receive lab's records; `.server` is the `--dns` value."""
    folder = tmp_path_factory.mktemp("receive-dns")
    yield from running(request, "dnsmasq", lambda: Dnsmasq(folder, lab_records(dkim_key)))


@pytest.fixture(scope="session")
def zones_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_zones(tmp_path_factory.mktemp("receive-zones"))
