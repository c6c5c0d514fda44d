"""The sink listens on IPv6 loopback too."""

from __future__ import annotations

import smtplib
import socket

import pytest
from sinkutil import RawClient, wait_for


def ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


def test_client_reaches_the_sink_on_ipv6_loopback(make_sink) -> None:
    if not ipv6_loopback():
        pytest.fail("this machine has no usable ::1: enable IPv6 on lo", pytrace=False)
    sink = make_sink(host="::1")
    client = RawClient(sink.port, host="::1")
    try:
        assert client.reply()[0] == 220
        assert client.cmd("EHLO c.test")[0] == 250
    finally:
        client.close()
    with smtplib.SMTP("::1", sink.port, timeout=10) as smtp:
        smtp.sendmail("a@c.test", ["b@s.test"], b"Subject: over v6\r\n\r\nhi\r\n")
    message = wait_for(lambda: sink.messages())[0]
    assert message["subject"] == "over v6"
    assert message["client"].startswith("[::1]:")
