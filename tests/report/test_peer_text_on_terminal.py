"""A server's bytes never drive the user's terminal: `send` and `check` show ESC, OSC,
BEL and NUL from a banner or a reply as visible escapes; the JSON keeps them exactly.

The server is scripted (tests/peers/badserver.py) and answers with an OSC that would
retitle the window, a CSI that would clear the screen, a hyperlink OSC, colours, BEL
and NUL.
"""

from __future__ import annotations

import dns.rcode
import pytest

from clirun import run_cli
from peers.badserver import BadServerFactory, Step
from peers.dnsmasq import ScriptedDns, rcode_handler

BANNER = b"220 evil.test \x1b]0;pwned\x07 ESMTP \x1b[2J\x00 ready\r\n"
EHLO = b"250-evil.test \x1b[31mred\x1b[0m\r\n250 8BITMIME\r\n"
MAIL = b"250 2.1.0 sender ok \x07\r\n"
RCPT = b"550 5.1.1 \x1b]8;;http://x.test/\x07no such user\x1b]8;;\x07\r\n"
QUIT = b"221 2.0.0 bye \x1b[?1049h\r\n"
STEPS: list[Step] = [("", BANNER), ("EHLO", EHLO), ("MAIL FROM", MAIL), ("RCPT TO", RCPT)]
STEPS.append(("QUIT", QUIT))

CONTROLS = ("\x1b", "\x07", "\x00", "\x9b")


def assert_nothing_raw(text: str) -> None:
    found = sorted({repr(c) for c in CONTROLS if c in text})
    assert not found, f"raw control characters on the terminal: {found}\n{text[-3000:]}"


@pytest.fixture
def evil_server(bad_server: BadServerFactory) -> str:
    server = bad_server("scripted", steps=STEPS)
    host, port = server.address
    return f"{host}:{port}"


def send(server: str, *extra: str):  # type: ignore[no-untyped-def]
    return run_cli(
        "send", "--server", server, "--from", "a@example.test", "--to", "kate@example.test",
        "--timeout", "5s", *extra,
    )  # fmt: skip


def test_send_shows_the_server_s_control_characters_as_escapes(evil_server: str) -> None:
    result = send(evil_server)
    assert result.code == 24, result.stdout + result.stderr  # every RCPT refused
    shown = result.stdout + result.stderr
    assert_nothing_raw(shown)
    assert "220 evil.test \\x1b]0;pwned\\x07 ESMTP \\x1b[2J\\x00 ready" in shown
    assert "\\x1b[31mred\\x1b[0m" in shown
    # the verdict quotes the refusal: escaped there too
    assert "550 5.1.1 \\x1b]8;;http://x.test/\\x07no such user" in shown


def test_send_json_keeps_the_exact_text(evil_server: str) -> None:
    result = send(evil_server, "--output", "json")
    transcript = result.report["transcript"]
    received = [line["text"] for line in transcript if line["direction"] == "received"]
    assert received[0] == BANNER.decode()
    assert RCPT.decode() in received


def test_check_shows_the_server_s_control_characters_as_escapes(
    evil_server: str, scripted_dns: ScriptedDns
) -> None:
    dns_server = scripted_dns(rcode_handler(dns.rcode.NXDOMAIN))
    result = run_cli(
        "check", "kate@example.test", "--server", evil_server, "--dns", dns_server.server,
        "--no-probes", "--timeout", "5", "--verbose",
    )  # fmt: skip
    assert result.code == 4, result.stdout + result.stderr  # the recipient was refused
    shown = result.stdout + result.stderr
    assert_nothing_raw(shown)
    assert "\\x1b]0;pwned\\x07" in shown  # the banner, in the tree and the transcript
    assert "\\x1b]8;;http://x.test/\\x07no such user" in shown


def test_check_json_keeps_the_exact_text(evil_server: str, scripted_dns: ScriptedDns) -> None:
    dns_server = scripted_dns(rcode_handler(dns.rcode.NXDOMAIN))
    result = run_cli(
        "check", "kate@example.test", "--server", evil_server, "--dns", dns_server.server,
        "--no-probes", "--timeout", "5", "--output", "json",
    )  # fmt: skip
    report = result.report
    (address,) = report["steps"][0]["children"]
    (banner,) = [step for step in address["children"] if step["name"] == "banner"]
    assert banner["reply"]["lines"] == [BANNER.decode()[4:].rstrip("\r\n")]
