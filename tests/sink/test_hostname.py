"""The sink's default host name: fully qualified, made without any DNS query."""

from __future__ import annotations

import socket

import pytest

from smtpcheck.checks.names import is_fqdn
from smtpcheck.sink.config import SinkConfig, default_hostname


@pytest.mark.parametrize(
    ("host_name", "expected"),
    [
        ("vm", "vm.localdomain"),
        ("VM.", "vm.localdomain"),
        ("mx1.example.org", "mx1.example.org"),
        ("build-01.lan", "build-01.lan"),
        ("", "sink.localhost"),
        ("under_score", "sink.localhost"),
        ("-bad", "sink.localhost"),
        ("192.0.2.1", "sink.localhost"),
        ("a" * 64, "sink.localhost"),
    ],
)
def test_default_hostname_from_the_host_name(host_name: str, expected: str) -> None:
    assert default_hostname(host_name) == expected
    assert is_fqdn(expected)


def test_sink_config_default_is_fqdn_and_asks_no_resolver(monkeypatch) -> None:
    def no_dns(*args: object, **kwargs: object) -> None:
        raise AssertionError("the default host name must not ask DNS")

    for name in ("getfqdn", "gethostbyaddr", "gethostbyname", "gethostbyname_ex", "getaddrinfo"):
        monkeypatch.setattr(socket, name, no_dns)
    monkeypatch.setattr(socket, "gethostname", lambda: "vm")
    assert SinkConfig().hostname == "vm.localdomain"
    monkeypatch.undo()
    assert is_fqdn(SinkConfig().hostname)  # this machine's, whatever it is called
