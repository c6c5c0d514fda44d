"""`smtpcheck send` against misbehaving servers: a clear error naming the step, in time.

Each case must end by itself (the per-step deadline is 2 s here), print one error line
that names the step, keep the transcript so far, and never show a traceback.
"""

from __future__ import annotations

import pytest

from clirun import run_cli
from sendhelp import send, server_of

CASES = [
    # behaviour, exit code, step named in the error, words in the error
    ("no-banner", 21, "banner", "no complete reply"),
    # the EHLO meets either the server's FIN ("closed") or, if it lands after the close,
    # its RST ("reset"): both are the same failure, exit 6
    ("close-after-banner", 6, "ehlo", ("closed", "reset")),
    ("slow", 21, "banner", "no complete reply"),
    ("endless-multiline", 22, "ehlo", ""),
    ("garbage", 21, "banner", ""),
    ("reset-in-data", 6, "eod", ""),
]


def _send(server, json_out: bool = True, timeout: float = 60):
    """send to `a@example.test` through `server`, each step given 2 s."""
    return send(
        server_of(server),
        "--to",
        "a@example.test",
        ehlo=None,
        step_timeout="2s",
        json_out=json_out,
        timeout=timeout,
    )


@pytest.mark.parametrize(("behaviour", "code", "step", "words"), CASES)
def test_bad_server_gives_clear_error(bad_server, behaviour, code, step, words):
    server = bad_server(behaviour, interval=0.2)
    result = _send(server, json_out=False, timeout=30)
    assert result.code == code, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    errors = [line for line in result.stdout.splitlines() if line.startswith("*** ")]
    assert errors, result.stdout
    assert errors[0].startswith(f"*** {step}:"), errors
    assert any(word in errors[0] for word in ((words,) if isinstance(words, str) else words))
    if behaviour != "no-banner":
        assert any(
            line.startswith("<") or line.startswith(" ->") for line in result.stdout.splitlines()
        ), "transcript so far is missing"


def test_connection_refused_names_connect(bad_server):
    server = bad_server("no-banner")
    server.stop()
    result = _send(server)
    assert result.code == 2
    failed = result.report["steps"][-1]
    assert failed["name"] == "connect" and failed["status"] == "fail"
    assert "refused" in failed["detail"]


def test_scripted_rcpt_421_and_closed(bad_server):
    steps = [
        ("", b"220 scripted.example ESMTP\r\n"),
        ("EHLO", b"250-scripted.example\r\n250 8BITMIME\r\n"),
        ("MAIL FROM", b"250 2.1.0 Ok\r\n"),
        ("RCPT TO", b"421 4.7.0 Too many connections, closing\r\n"),
    ]
    server = bad_server("scripted", steps=steps)
    result = _send(server)
    assert result.code == 24
    assert result.step("rcpt")["reply"]["code"] == 421


def test_bad_usage_is_one_line(tmp_path):
    result = run_cli(
        "send", "--server", "127.0.0.1:2", "--to", "a@example.test", "--quit-after", "nowhere"
    )
    assert result.code == 1
    assert result.stderr.strip().count("\n") == 0 and "--quit-after" in result.stderr
    missing = run_cli(
        "send",
        "--server",
        "127.0.0.1:2",
        "--to",
        "a@example.test",
        "--data",
        f"@{tmp_path}/missing.eml",
    )
    assert missing.code == 1 and "Traceback" not in missing.stdout + missing.stderr


def test_bad_dns_server_is_a_usage_error():
    result = run_cli("send", "--to", "a@example.test", "--dns", "nonsense", "--timeout", "2s")
    assert result.code == 1
    assert result.stderr.count("\n") == 1 and "--dns" in result.stderr
