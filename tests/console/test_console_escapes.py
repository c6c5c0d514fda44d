"""A server that sends terminal control sequences: the console shows them, never obeys them.

The banner, the replies, the EHLO keywords (in `status`, `explain` and Tab completion)
and the certificate's subject, issuer and names carry ESC, OSC (retitle the window),
CSI (clear the screen, recolour), BEL, NUL, a C1 CSI and a bare CR. What reaches the
terminal, in a real pty and in script mode, and the log file, holds none of them raw:
each is shown as a visible escape (`\\x1b`, `\\x07`...).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from clirun import run_cli
from peers.badserver import BadServer, BadServerFactory
from peers.process import make_certificate
from smtpcheck.sink import SinkConfig, run_in_thread
from smtpcheck.sink.server import ThreadedSink

from .conftest import Start

#: retitle the window, clear the screen, bold red, NUL, a one-byte CSI (C1), a bare CR
HOSTILE = b"\x1b]0;PWNED-TITLE\x07\x1b[2J\x1b[31;1mRED\x00NUL\xc2\x9bC1\rCR"
#: the same, as the console shows it
HOSTILE_SHOWN = "\\x1b]0;PWNED-TITLE\\x07\\x1b[2J\\x1b[31;1mRED\\x00NUL\\x9bC1\\rCR"
#: a certificate's name: retitle the window, clear the screen
HOSTILE_NAME = "cn\x1b]0;PWNED-CN\x07\x1b[2J"
#: what must never reach the terminal raw (the console itself writes no colour here)
RAW_CONTROLS = ("\x1b]", "\x07", "\x00", "\x9b", "\x1b[2J", "\x1b[31;1m", "\x1b[5m", "\x1b[5M")

STEPS = [
    ("", b"220 evil.test ready " + HOSTILE + b"\r\n"),
    (
        "EHLO",
        b"250-evil\x1b[31;1m.test greets you\r\n"
        b"250-AUTH PLAIN X\x1b[5mBLINK\r\n"
        b"250-X-\x07BELL\r\n"
        b"250 8BITMIME\r\n",
    ),
    ("NOOP", b"250 2.0.0 ok " + HOSTILE + b"\r\n"),
    ("VRFY", b"550 5.1.1 <x@evil.test> unknown " + HOSTILE + b"\r\n"),
    ("QUIT", b"221 2.0.0 bye\r\n"),
]


@pytest.fixture
def evil_server(bad_server: BadServerFactory) -> BadServer:
    return bad_server("scripted", steps=STEPS)


def _assert_no_raw_controls(text: str) -> None:
    found = [control for control in RAW_CONTROLS if control in text]
    assert not found, f"raw control sequences {found!r} reached the output"


def test_script_mode_and_the_log_show_control_bytes_as_escapes(
    evil_server: BadServer, tmp_path: Path
) -> None:
    log = tmp_path / "session.log"
    script = "EHLO contoso.test\nstatus\nexplain\nNOOP\nVRFY x\nexplain\nQUIT\n"
    result = run_cli(
        "console", "--logfile", str(log), "127.0.0.1", str(evil_server.port), stdin=script
    )
    out = result.stdout
    assert evil_server.errors == []
    _assert_no_raw_controls(out)
    assert "\r" not in out
    assert f"<-  220 evil.test ready {HOSTILE_SHOWN}\n" in out  # the banner
    assert "<-  250-evil\\x1b[31;1m.test greets you\n" in out
    assert f"<-  250 2.0.0 ok {HOSTILE_SHOWN}\n" in out  # a reply
    assert f"<-  550 5.1.1 <x@evil.test> unknown {HOSTILE_SHOWN}\n" in out
    assert "Extensions: AUTH X-\\x07BELL 8BITMIME" in out  # status
    assert "  AUTH PLAIN X\\x1b[5mBLINK: " in out  # explain after EHLO
    assert "What evil\\x1b[31;1m.test offers:" in out
    logged = log.read_text()
    _assert_no_raw_controls(logged)
    assert f"<-  220 evil.test ready {HOSTILE_SHOWN}\n" in logged
    assert f"<-  250 2.0.0 ok {HOSTILE_SHOWN}\n" in logged


def test_in_a_pty_control_bytes_are_shown_not_obeyed(
    evil_server: BadServer, console_pty: Start
) -> None:
    console = console_pty("127.0.0.1", str(evil_server.port))
    console.expect("PWNED-TITLE")
    console.type("EHLO contoso.test")
    console.expect("250 8BITMIME")
    console.keys("auth \t")  # completion offers the mechanisms the server advertised
    console.expect("X\\x1b[5MBLINK")  # (upper-cased, as mechanism names are)
    console.keys("\x15")  # Ctrl-U: clear the line
    console.type("status")
    console.expect("Extensions: AUTH")
    console.type("NOOP")
    console.expect("250 2.0.0 ok")
    console.type("VRFY x")
    console.expect("550 5.1.1")
    console.type("QUIT")
    console.expect("221 2.0.0 bye")
    console.type("exit")
    assert console.finish() == 0
    assert evil_server.errors == []
    drawn = console.capture.getvalue()  # everything written to the terminal, unfiltered
    _assert_no_raw_controls(drawn)
    assert HOSTILE_SHOWN in drawn


@pytest.fixture
def hostile_tls_sink(tmp_path: Path) -> Iterator[ThreadedSink]:
    """The sink with implicit TLS, presenting the hostile certificate."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    make_certificate(cert, key, hostname=HOSTILE_NAME)  # in the subject, issuer and names
    config = SinkConfig(
        port=0, tls_port=0, tls_cert=cert, tls_key=key, store_dir=tmp_path / "sink", durable=False
    )
    with run_in_thread(config) as sink:
        yield sink


def test_certificate_names_are_shown_as_escapes(hostile_tls_sink: ThreadedSink) -> None:
    port = str(hostile_tls_sink.tls_port)
    result = run_cli("console", "--tls", "127.0.0.1", port, stdin="status\nquit\n")
    out = result.stdout
    assert result.code == 0, out
    _assert_no_raw_controls(out)
    assert "=== Certificate subject: CN=cn\\x1b]0\\;PWNED-CN\\x07\\x1b[2J\n" in out
    assert "=== Issuer: CN=cn\\x1b]0\\;PWNED-CN\\x07\\x1b[2J\n" in out
    assert "=== Names: cn\\x1b]0;PWNED-CN\\x07\\x1b[2J, localhost" in out
    assert "<~  221" in out
