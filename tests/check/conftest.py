"""The `check` test bed: seven MX hosts of check.test on 127.0.5.x, one problem each.

| host       | address     | server                                              |
|------------|-------------|-----------------------------------------------------|
| good       | 127.0.5.2   | sink, trusted chain (trustme CA + intermediate)     |
| selfsigned | 127.0.5.1   | a private Postfix listener, self-signed certificate |
| expired    | 127.0.5.3   | sink, certificate expired in 2021                   |
| wrongname  | 127.0.5.4   | sink, certificate for other.example.net             |
| refused    | 127.0.5.5   | nothing listens                                     |
| silent     | 127.0.5.6   | accepts the TCP connection, never speaks            |
| relay      | 127.0.5.7   | sink accepting every recipient (relay, catch-all)   |

All on one port chosen free on every address (never 127.0.0.1, so nothing collides
with the other tests); DNS from the session's dnsmasq (records in tests/peers/dnsmasq.py).
"""

from __future__ import annotations

import contextlib
import datetime
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import trustme

from clirun import CliResult, run_cli
from peers.dnsmasq import Dnsmasq
from peers.postfix import PostfixPeer
from peers.process import running
from smtpcheck.sink.config import SinkConfig
from smtpcheck.sink.rules import Rule, RuleSet, parse_reply
from smtpcheck.sink.server import run_in_thread

ADDRESSES = {
    "selfsigned": "127.0.5.1",
    "good": "127.0.5.2",
    "expired": "127.0.5.3",
    "wrongname": "127.0.5.4",
    "refused": "127.0.5.5",
    "silent": "127.0.5.6",
    "relay": "127.0.5.7",
}


def _free_port_everywhere() -> int:
    for _ in range(100):
        with socket.socket() as probe:
            probe.bind(("127.0.5.1", 0))
            port = int(probe.getsockname()[1])
        ok = True
        for ip in ADDRESSES.values():
            with socket.socket() as other:
                other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    other.bind((ip, port))
                except OSError:
                    ok = False
                    break
        if ok:
            return port
    raise RuntimeError("no port free on every 127.0.5.x address")


class SilentServer:
    """Accepts connections and never says a word; `stop()` closes everything."""

    def __init__(self, host: str, port: int) -> None:
        self.sock = socket.create_server((host, port), reuse_port=False)
        self.sock.settimeout(0.1)
        self.clients: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError, OSError):
                client, _ = self.sock.accept()
                self.clients.append(client)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for client in self.clients:
            client.close()
        self.sock.close()


@dataclass
class TestBed:
    port: int
    dns: str
    ca_file: Path
    addresses: dict[str, str] = field(default_factory=lambda: dict(ADDRESSES))

    def check(self, *args: str, timeout: float = 60) -> CliResult:
        """`smtpcheck check alice@check.test` against the test bed (3 s a step), plus ARGS."""
        return run_cli(
            "check",
            "alice@check.test",
            "--dns",
            self.dns,
            "--port",
            str(self.port),
            "--tls-ca",
            str(self.ca_file),
            "--timeout",
            "3",
            *args,
            timeout=timeout,
        )


def _write_leaf(leaf: Any, directory: Path, name: str) -> tuple[Path, Path]:
    cert, key = directory / f"{name}.crt", directory / f"{name}.key"
    cert.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    leaf.private_key_pem.write_to_path(str(key))
    return cert, key


@pytest.fixture(scope="session")
def testbed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, dnsmasq: Dnsmasq
) -> Iterator[TestBed]:
    work = tmp_path_factory.mktemp("check-testbed")
    port = _free_port_everywhere()
    ca = trustme.CA()
    intermediate = ca.create_child_ca()
    ca_file = work / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    certs = {
        "good": _write_leaf(intermediate.issue_cert("good.check.test"), work, "good"),
        "expired": _write_leaf(
            ca.issue_cert(
                "expired.check.test",
                not_before=datetime.datetime(2020, 1, 1),
                not_after=datetime.datetime(2021, 1, 1),
            ),
            work,
            "expired",
        ),
        "wrongname": _write_leaf(ca.issue_cert("other.example.net"), work, "wrongname"),
    }
    strict = RuleSet(
        rules=[
            Rule(
                command="RCPT",
                match="*@example.com",
                reply=parse_reply("554 5.7.1 Relay access denied"),
            ),
            Rule(
                command="RCPT",
                match="smtpcheck-nosuchuser-*",
                reply=parse_reply("550 5.1.1 User unknown"),
            ),
        ]
    )
    with contextlib.ExitStack() as stack:
        for name in ("good", "expired", "wrongname", "relay"):
            tls: dict[str, Any] = {}
            if name in certs:
                tls = {"tls_cert": certs[name][0], "tls_key": certs[name][1]}
            config = SinkConfig(
                host=ADDRESSES[name],
                port=port,
                hostname=f"{name}.check.test",
                store_dir=work / f"sink-{name}",
                durable=False,
                auth=False,
                rules=strict if name != "relay" else RuleSet(),
                **tls,
            )
            stack.enter_context(run_in_thread(config))
        silent = SilentServer(ADDRESSES["silent"], port)
        stack.callback(silent.stop)
        extra_listener = f"{ADDRESSES['selfsigned']}:{port}"
        stack.enter_context(
            contextlib.contextmanager(running)(
                request,
                "Postfix (check test bed)",
                lambda: PostfixPeer(extra_listeners=(extra_listener,)),
            )
        )
        yield TestBed(port=port, dns=dnsmasq.server, ca_file=ca_file)


@pytest.fixture(scope="session")
def checked(testbed: TestBed, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    """One `check --output json --html` run over the whole test bed: (result, html)."""
    html = tmp_path_factory.mktemp("html") / "report.html"
    result = testbed.check(
        "--ehlo",
        "client.check.test",
        "--from",
        "tester@client.check.test",
        "--output",
        "json",
        "--html",
        str(html),
        timeout=90,
    )
    return result, html
