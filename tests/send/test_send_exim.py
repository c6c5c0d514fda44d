"""`send` against a real Exim: PRDR per-recipient replies, and `--pipe "exim -bh"`.

Postfix offers no PRDR; Exim does, and its PRDR ACL (tests/peers/exim.py) refuses
`refuse@` (550) and defers `later@` (451) after the message while accepting alice: one
message, three outcomes. Exit codes are compared with real swaks on the same server.
"""

from __future__ import annotations

import subprocess
import uuid

import pytest

from clirun import run_cli
from sendhelp import send, server_of, swaks

SENDER = "sender@example.test"


def _send(exim, *args: str):
    return send(server_of(exim), *args, sender=SENDER)


def _swaks(program: str, server: str, *args: str) -> subprocess.CompletedProcess[str]:
    return swaks(program, server, SENDER, *args)


def test_prdr_one_message_accepted_for_one_refused_for_another(exim, swaks):
    marker = uuid.uuid4().hex
    to = "alice@example.test,refuse@example.test,later@example.test"
    result = _send(exim, "--to", to, "--prdr", "--header", f"X-Test-Marker: {marker}")
    report = result.report
    assert "PRDR" in result.step("mail")["command"]
    # 353, then one reply per recipient, then the overall one
    assert report["data"]["prdr"] == {
        "alice@example.test": 250,
        "refuse@example.test": 550,
        "later@example.test": 451,
    }
    per_recipient = result.steps("prdr")
    assert [s["status"] for s in per_recipient] == ["pass", "fail", "fail"]
    assert "refused after the message" in " ".join(per_recipient[1]["reply"]["lines"])
    assert result.step("eod")["reply"]["code"] == 250
    assert any(f["code"] == "prdr-refused" for f in report["findings"])
    # the effect: alice has the message; the refused recipients never get it
    delivered = exim.wait_for_delivery("alice", marker)
    assert "X-Test-Marker" in delivered.text
    # swaks judges by the overall reply too: the same exit code
    assert result.code == _swaks(swaks, f"{exim.host}:{exim.port}", "--to", to, "--prdr").returncode
    assert result.code == 0


@pytest.mark.parametrize(
    ("to", "expected"),
    [
        ("refuse@example.test,later@example.test", 0),  # all refused after DATA; overall 250
        ("nobody@example.test", 24),  # refused at RCPT: never gets to the message
    ],
)
def test_prdr_exit_codes_match_swaks(exim, swaks, to, expected):
    result = _send(exim, "--to", to, "--prdr")
    theirs = _swaks(swaks, f"{exim.host}:{exim.port}", "--to", to, "--prdr")
    assert (result.code, theirs.returncode) == (expected, expected), result.stdout


def test_prdr_not_offered_exits_30_as_swaks(postfix, swaks):
    server = f"{postfix.host}:{postfix.ports['main']}"
    result = run_cli(
        "send", "--server", server, "--from", SENDER, "--to", "alice@example.test", "--prdr"
    )
    theirs = _swaks(swaks, server, "--to", "alice@example.test", "--prdr")
    assert (result.code, theirs.returncode) == (30, 30), result.stdout


def test_pipe_to_exim_fake_smtp_session(exim, swaks):
    """`--pipe "exim -bh IP -C CONFIG"`: Exim's test session over stdin/stdout."""
    command = exim.fake_session_command("127.0.0.1")
    to = "alice@example.test,nobody@example.test"
    result = run_cli(
        "send",
        "--pipe",
        command,
        "--from",
        SENDER,
        "--to",
        to,
        "--output",
        "json",
        "--timeout",
        "20s",
    )
    assert result.code == 0, result.stdout
    report = result.report
    notes = [e["text"] for e in report["transcript"] if e["direction"] == "note"]
    # exim's own lines are shown, not taken for replies
    assert any("This is not for real" in n for n in notes)
    assert result.step("banner")["reply"]["code"] == 220
    assert "Exim" in result.step("banner")["reply"]["lines"][0]
    # Exim's ACL really ran: the unknown user is refused as the daemon refuses it
    assert report["data"]["recipients"]["rejected"] == ["nobody@example.test"]
    rcpt = result.steps("rcpt")[-1]["reply"]
    assert rcpt["code"] == 550 and "User unknown" in rcpt["lines"][0]
    assert result.step("eod")["reply"]["code"] == 250
    assert result.step("quit")["reply"]["code"] == 221
    theirs = subprocess.run(
        [swaks, "--pipe", command, "--from", SENDER, "--to", to],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert theirs.returncode == result.code


def test_pipe_prdr_refusal_through_fake_session(exim):
    """The PRDR ACL runs in `-bh` too: per-recipient replies arrive over the pipe."""
    result = run_cli(
        "send",
        "--pipe",
        exim.fake_session_command(),
        "--from",
        SENDER,
        "--to",
        "bob@example.test,refuse@example.test",
        "--prdr",
        "--output",
        "json",
        "--timeout",
        "20s",
    )
    assert result.code == 0, result.stdout
    assert result.report["data"]["prdr"] == {
        "bob@example.test": 250,
        "refuse@example.test": 550,
    }
