"""What a client chose never reaches a terminal raw: the live log, `sink list`, `show`
and `sessions` show ESC, OSC, BEL, NUL, C1 and bidi controls as visible escapes; JSON
keeps the exact text.

Control characters below U+0020 are refused in the HELO name and the envelope (501);
what remains for a client are C1 controls (U+009B is a one-byte CSI on some
terminals) and bidi overrides there, and anything at all in the headers, the body,
the AUTH user name and an unknown command (quoted by an anomaly).
"""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from sinkutil import RawClient, SinkProcess, sink_cli, wait_for

SUBJECT = "\x1b]0;pwned\x07\x1b[2J\x00 hi \u202eevil"
HELO = "c\u009b2J\u202elive.test"
SENDER = "a\u202e\u009b31m@c.test"
RECIPIENT = "b\u202e@s.test"
USER = "\x1b[31malice\x07"
#: raw on a terminal: ESC, BEL, NUL, C1 CSI, RIGHT-TO-LEFT OVERRIDE (UTF-8)
RAW_CONTROLS = (b"\x1b", b"\x07", b"\x00", b"\xc2\x9b", b"\xe2\x80\xae")


def send_hostile_message(port: int) -> None:
    client = RawClient(port)
    client.reply()
    assert client.cmd(f"EHLO {HELO}".encode())[0] == 250
    assert client.cmd("X\u009bSTEAL".encode())[0] == 500  # an 8-bit-bytes anomaly quotes it
    plain = base64.b64encode(f"\0{USER}\0pw".encode()).decode()
    assert client.cmd(f"AUTH PLAIN {plain}")[0] == 235
    assert client.cmd(f"MAIL FROM:<{SENDER}> SMTPUTF8".encode())[0] == 250
    assert client.cmd(f"RCPT TO:<{RECIPIENT}>".encode())[0] == 250
    assert client.cmd("DATA")[0] == 354
    message = f"Subject: {SUBJECT}\r\nFrom: \x1b[5m<x@y.test>\r\n\r\nbody \x1b[2J end\r\n."
    assert client.cmd(message.encode())[0] == 250
    assert client.cmd("QUIT")[0] == 221
    client.close()


def assert_visible(output: bytes, where: str) -> None:
    found = [control for control in RAW_CONTROLS if control in output]
    assert not found, f"raw {found} in {where}: {output[:2000]!r}"


@pytest.fixture(scope="module")
def captured(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes, bytes]:
    """A store holding the hostile message, and the live log in text and in JSON."""
    root = tmp_path_factory.mktemp("terminal")
    logs = []
    for mode in ("text", "json"):
        with SinkProcess(root / f"store-{mode}", *(["--json"] if mode == "json" else [])) as sink:
            send_hostile_message(sink.port)
            wait_for(lambda s=sink: b" close " in s.output() or b'"close"' in s.output(), 30)
        logs.append(sink.stop())
    return root / "store-text", logs[0], logs[1]


def test_live_log_shows_controls_as_escapes(captured) -> None:
    _, text, _ = captured
    assert_visible(text, "the live log")
    assert b"\\x1b]0;pwned\\x07" in text and b"\\u202e" in text  # shown, as escapes
    assert b"8-bit bytes in X\\x9bSTEAL" in text


def test_live_json_keeps_the_exact_text(captured) -> None:
    _, _, log = captured
    events = [json.loads(line) for line in log.splitlines() if line.startswith(b"{")]
    (stored,) = [event for event in events if event["event"] == "message"]
    assert stored["subject"] == SUBJECT
    assert stored["mail_from"] == SENDER and stored["recipients"] == [RECIPIENT]
    (closed,) = [event for event in events if event["event"] == "close"]
    assert closed["auth"]["user"] == USER


@pytest.mark.parametrize(
    "command", [["list"], ["show", "1"], ["sessions"]], ids=lambda c: " ".join(c)
)
def test_cli_shows_controls_as_escapes(captured, command: list[str]) -> None:
    store, _, _ = captured
    result = sink_cli(*command, "--store", str(store))
    assert result.returncode == 0, result.stderr
    assert_visible(result.stdout, f"sink {' '.join(command)}")
    if command[0] == "show":
        out = result.stdout
        assert b"\\x1b[31malice\\x07" in out and b"c\\x9b2J\\u202elive.test" in out
        assert b"body \\x1b[2J end\n" in out  # the body's lines stay lines
    elif command[0] == "list":
        assert b"\\x1b]0;pwned\\x07\\x1b[2J\\x00 hi \\u202eevil" in result.stdout


def test_cli_json_keeps_the_exact_text(captured) -> None:
    store, _, _ = captured
    listed = json.loads(sink_cli("list", "--json", "--store", str(store)).stdout)
    (message,) = listed["messages"]
    assert message["subject"] == SUBJECT and message["mail_from"] == SENDER
    shown = json.loads(sink_cli("show", "1", "--json", "--store", str(store)).stdout)
    assert shown["helo"] == HELO and shown["auth"]["user"] == USER


def test_a_bare_listen_port_means_loopback(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = tmp_path / "log"
    command = [sys.executable, "-m", "smtpcheck", "sink", "--listen", str(port), "--quiet"]
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [*command, "--store", str(tmp_path / "store")],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: b"listening" in log.read_bytes() or process.poll() is not None, 30)
        assert f"listening on 127.0.0.1:{port};".encode() in log.read_bytes(), log.read_bytes()
        with socket.create_connection(("127.0.0.1", port), 10) as client:
            assert client.recv(100).startswith(b"220 ")
    finally:
        process.terminate()
        process.wait(30)
