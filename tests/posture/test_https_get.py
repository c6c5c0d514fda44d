"""The bounded HTTPS fetch on its own: a silent server, a refused port, a server that
does not speak TLS, a redirect (returned, not followed) and a body past the bound."""

from __future__ import annotations

import asyncio

from peers.process import free_port
from smtpcheck.net.https_get import FetchProblem, client_context, https_get


def fetch(address: str, port: int, host: str = "mta-sts.good.test", **kwargs):
    return asyncio.run(
        https_get(
            host, "/.well-known/mta-sts.txt", [address], context=client_context(),
            port=port, **kwargs,
        )
    )  # fmt: skip


def test_a_silent_server_ends_at_the_deadline(bad_server) -> None:
    server = bad_server("no-banner")
    host, port = server.address
    result = fetch(host, port, timeout=0.5)
    assert result.problem is FetchProblem.TIMEOUT and "0.5 s" in result.detail
    assert result.address == host


def test_a_refused_port_is_a_connect_problem() -> None:
    port = free_port(["127.0.0.1"], set())
    result = fetch("127.0.0.1", port, timeout=3)
    assert result.problem is FetchProblem.CONNECT and result.address == "127.0.0.1"


def test_a_server_that_is_not_tls(bad_server) -> None:
    server = bad_server("scripted", steps=[("", b"220 an SMTP server, not HTTPS\r\n")])
    host, port = server.address
    result = fetch(host, port, timeout=3)
    assert result.problem is FetchProblem.TLS, result


def test_redirect_is_returned_not_followed(lab) -> None:
    result = asyncio.run(
        https_get(
            "mta-sts.stsredirect.faults.test", "/.well-known/mta-sts.txt", ["127.0.8.1"],
            context=client_context(lab.ca_file), timeout=5,
        )
    )  # fmt: skip
    assert result.problem is None and result.status == 301
    assert result.headers["location"] == "https://elsewhere.test/policy.txt"


def test_the_body_is_bounded(lab) -> None:
    result = asyncio.run(
        https_get(
            "mta-sts.stsbig.faults.test", "/.well-known/mta-sts.txt", ["127.0.8.1"],
            context=client_context(lab.ca_file), timeout=5, max_bytes=1000,
        )
    )  # fmt: skip
    assert result.problem is FetchProblem.TOO_LARGE and len(result.body) == 1000
