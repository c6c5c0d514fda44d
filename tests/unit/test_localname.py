"""This machine's name, found without a single DNS query."""

from __future__ import annotations

import socket

import pytest

from smtpcheck.localname import local_fqdn


@pytest.fixture
def no_dns(monkeypatch):
    def refuse(*_args, **_kwargs):
        raise AssertionError("a DNS lookup was attempted")

    for name in ("getfqdn", "gethostbyaddr", "getaddrinfo", "gethostbyname"):
        monkeypatch.setattr(socket, name, refuse)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("vm", "vm.localdomain"),
        ("mail.contoso.com", "mail.contoso.com"),
        ("MX1.Example.Test.", "mx1.example.test"),
        ("192.0.2.1", "localhost.localdomain"),
        ("bad_name", "localhost.localdomain"),
        ("", "localhost.localdomain"),
    ],
)
def test_names(no_dns, host, expected):
    assert local_fqdn(host) == expected


def test_check_default_ehlo_asks_no_dns(no_dns, monkeypatch):
    from smtpcheck.scenarios.check.options import default_ehlo

    monkeypatch.setattr(socket, "gethostname", lambda: "probe")
    assert default_ehlo() == "probe.localdomain"
