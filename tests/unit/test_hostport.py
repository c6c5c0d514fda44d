"""The shared host[:port] parser behind --server, --listen and --dns."""

from __future__ import annotations

import pytest

from smtpcheck.hostport import HostPortError, split_host_port


@pytest.mark.parametrize(
    ("text", "slash", "expected"),
    [
        ("mx1.fabrikam.com", False, ("mx1.fabrikam.com", 25)),
        ("mx1.fabrikam.com:2525", False, ("mx1.fabrikam.com", 2525)),
        ("192.0.2.1:587", False, ("192.0.2.1", 587)),
        ("[::1]:2525", False, ("::1", 2525)),
        ("[::1]", False, ("::1", 25)),
        ("::1", False, ("::1", 25)),
        ("2001:db8::25", False, ("2001:db8::25", 25)),
        ("::1/2525", True, ("::1", 2525)),
        ("[::1]/2525", True, ("::1", 2525)),
        (":2600", False, ("", 2600)),
        ("  host:26  ", False, ("host", 26)),
    ],
)
def test_accepted_forms(text, slash, expected):
    assert split_host_port(text, 25, allow_slash=slash) == expected


@pytest.mark.parametrize(
    "text", ["host:", "host:0", "host:65536", "host:x25", "[::1", "[::1]x25", "[::1]:"]
)
def test_rejected_forms_say_why(text):
    with pytest.raises(HostPortError) as error:
        split_host_port(text, 25)
    assert "\n" not in str(error.value)
    assert repr(text.strip()) in str(error.value) or "port" in str(error.value)


def test_port_zero_only_when_allowed():
    assert split_host_port("127.0.0.1:0", 2525, allow_port_zero=True) == ("127.0.0.1", 0)
