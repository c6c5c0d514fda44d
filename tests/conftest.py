"""Shared fixtures: the real test peers every integration test stands on.

- `postfix`     (session) a running private Postfix; see `peers.postfix.PostfixPeer`.
- `swaks`       (session) path of the swaks program.
- `dnsmasq`     (session) a private dnsmasq on 127.0.0.1 serving `peers.dnsmasq.RECORDS`;
                `.server` is the `--dns` value ("127.0.0.1:PORT").
- `exim`        (session) a running private Exim with PRDR; see `peers.exim.EximPeer`.
- `bad_server`  (function) factory: `bad_server("garbage")`, or
                `bad_server("scripted", steps=[...])`; see `peers.badserver`.
- `scripted_dns` (function) factory: `scripted_dns(handler, host="127.0.0.1")`; see
                `peers.dnsmasq.ScriptedDnsServer`.
- `private_cache_folder` (session, automatic) XDG_CACHE_HOME in a folder of the session.

A missing program makes these fixtures FAIL (not skip): the integration tests are part
of the suite, and `scripts/install-peers.sh` installs what they need.

Markers (pyproject.toml) are set here from the fixtures a test uses, directly or through
another fixture: `peers` for a test that needs an installed test peer, `root` for one
whose peer runs as root. `pytest -m "not peers"` runs the rest anywhere.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from peers.badserver import BadServer, BadServerFactory
from peers.dnsmasq import Dnsmasq, ScriptedDns, ScriptedDnsServer
from peers.exim import EximPeer
from peers.postfix import PostfixPeer
from peers.process import require_program, running

#: fixture name -> the markers a test using it gets (a fixture built on one of these,
#: e.g. check's `testbed` or the dns tests' `resolver`, passes them on)
PEER_FIXTURES: dict[str, tuple[str, ...]] = {
    "postfix": ("peers", "root"),
    "exim": ("peers", "root"),
    "relay": ("peers", "root"),  # receive: a second Postfix relaying to the listener
    "dnsmasq": ("peers",),
    "lab_dns": ("peers",),  # receive's dnsmasq
    "posture_knot": ("peers",),
    "posture_unbound": ("peers",),
    "posture_web": ("peers",),  # nginx serving MTA-STS policies
    "swaks": ("peers",),
    "chromium": ("peers",),
    "playwright_driver": ("peers",),  # the web tests' browser
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        used = getattr(item, "fixturenames", ())
        markers = {marker for name in used for marker in PEER_FIXTURES.get(name, ())}
        for marker in sorted(markers):
            item.add_marker(marker)


@pytest.fixture(scope="session", autouse=True)
def private_cache_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The CLIs the tests start keep their cache (parsed knowledge tables) in a folder of
    this session, never in the user's ~/.cache."""
    saved = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("XDG_CACHE_HOME", None)
        else:
            os.environ["XDG_CACHE_HOME"] = saved


@pytest.fixture(scope="session")
def postfix(request: pytest.FixtureRequest) -> Iterator[PostfixPeer]:
    """A private Postfix on 127.0.0.1, started once per session and always stopped.

    Ports: `main_port` (preferred 25525), `implicit_tls_port` (25465),
    `submission_port` (25587), `tight_port` (25528); the main listener is also on
    `ipv6_host` ("::1", or None). Users alice, bob, jöran, postmaster @example.test;
    SASL `sasl_user`/`sasl_password` = alice@example.test / secret. Certificate:
    `cert_path` (== `ca_file`), `ssl_context()`. Mail: `maildir(user)`,
    `messages(user)`, `wait_for_delivery(user, match, timeout)`. Log: `log_path`,
    `log_tail()`. When a test failed, the run folder is kept (its path is printed)
    until the next session starts.
    """
    yield from running(request, "Postfix", PostfixPeer)


@pytest.fixture(scope="session")
def swaks() -> str:
    """Path of the swaks program."""
    return require_program("swaks")


@pytest.fixture(scope="session")
def exim(request: pytest.FixtureRequest) -> Iterator[EximPeer]:
    """A private Exim daemon on 127.0.0.1 (`port`), started once and always stopped.

    PRDR is offered: after the message, `refuse@example.test` gets 550 and
    `later@example.test` 451 while alice and bob are accepted. Mail: `messages(user)`,
    `wait_for_delivery(user, match)`; config: `config_path`; fake session on
    stdin/stdout: `fake_session_command()`. Unpacked by scripts/install-peers.sh.
    """
    yield from running(request, "Exim", EximPeer)


def _stopped_at_end(make: Callable[..., Any]) -> Iterator[Callable[..., Any]]:
    """The body of a server factory fixture: `make(...)` then `.start()`; each is stopped
    when the test ends."""
    started: list[Any] = []

    def start(*args: Any, **kwargs: Any) -> Any:
        server = make(*args, **kwargs).start()
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            server.stop()


@pytest.fixture
def bad_server() -> Iterator[BadServerFactory]:
    """Start misbehaving servers for one test; all are stopped when the test ends."""
    yield from _stopped_at_end(BadServer)


@pytest.fixture
def scripted_dns() -> Iterator[ScriptedDns]:
    """`scripted_dns(handler, host="127.0.0.1")` starts a `peers.dnsmasq.ScriptedDnsServer`;
    all are stopped when the test ends."""
    yield from _stopped_at_end(ScriptedDnsServer)


@pytest.fixture(scope="session")
def dnsmasq(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Dnsmasq]:
    """A private dnsmasq serving `peers.dnsmasq.RECORDS`, stopped at the end of the session."""
    yield from running(request, "dnsmasq", lambda: Dnsmasq(tmp_path_factory.mktemp("dnsmasq")))
