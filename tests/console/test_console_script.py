"""`smtpcheck console --script FILE` and piped input: the same commands, headless, with
the same transcript, against Postfix and misbehaving servers."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from pathlib import Path

from clirun import run_cli


def test_a_script_file_runs_the_seed_session_non_interactively(
    postfix: object, tmp_path: Path
) -> None:
    marker = uuid.uuid4().hex
    log = tmp_path / "session.log"
    script = tmp_path / "session.txt"
    script.write_text(
        f"set logfile {log}\n"
        f"OPEN 127.0.0.1 {postfix.main_port}\n"  # type: ignore[attr-defined]
        "EHLO contoso.test\n"
        "MAIL FROM:<chris@contoso.test>\n"
        "RCPT TO:<bob@example.test> NOTIFY=success,failure\n"
        "DATA\n"
        f"Subject: Test from Contoso {marker}\n"
        "\n"
        "This is a test message\n"
        ".\n"
        "QUIT\n"
        "quit\n"
    )
    result = run_cli("console", "--script", str(script))
    assert result.code == 0, result.stdout + result.stderr
    out = result.stdout
    assert "smtpcheck> OPEN 127.0.0.1" in out  # console commands are echoed
    assert " -> EHLO contoso.test\n<-  250-mx.example.test\n" in out
    assert " -> RCPT TO:<bob@example.test> NOTIFY=success,failure\n<-  250 2.1.5 Ok\n" in out
    assert "<-  354 End data with <CR><LF>.<CR><LF>\n    (Start mail input)\n" in out
    assert "<-  221 2.0.0 Bye" in out
    assert "\x1b[" not in out  # no colour into a pipe
    assert result.stderr == ""
    delivered = postfix.wait_for_delivery("bob", marker)  # type: ignore[attr-defined]
    assert delivered.raw.endswith(b"\n\nThis is a test message\n")
    assert " -> DATA\n<-  354" in log.read_text()

    piped = run_cli("console", stdin=script.read_text().replace(marker, marker + "-again"))
    assert piped.code == 0
    postfix.wait_for_delivery("bob", marker + "-again")  # type: ignore[attr-defined]
    first = [line for line in out.splitlines() if line.startswith((" -> ", "<-  "))]
    second = [line for line in piped.stdout.splitlines() if line.startswith((" -> ", "<-  "))]
    assert [line[:12] for line in first] == [line[:12] for line in second]


def test_auth_in_a_script_takes_the_password_from_the_environment(postfix: object) -> None:
    peer = postfix
    user, password = peer.sasl_user, peer.sasl_password  # type: ignore[attr-defined]
    script = (
        f"open 127.0.0.1 {peer.submission_port}\n"  # type: ignore[attr-defined]
        "EHLO contoso.test\nSTARTTLS\nEHLO contoso.test\n"
        f"auth login\n{user}\nquit\n"
    )
    result = run_cli("console", stdin=script, env={"SMTPCHECK_PASSWORD": password})
    assert result.code == 0, result.stdout
    assert " ~> AUTH LOGIN\n<~  334 VXNlcm5hbWU6\n" in result.stdout
    assert "<~  235 2.7.0 Authentication successful" in result.stdout
    assert " ~> <redacted>" in result.stdout
    for secret in (password, base64.b64encode(password.encode()).decode()):
        assert secret not in result.stdout


def test_raw_mode_sends_exact_bytes_and_marks_them(postfix: object) -> None:
    script = (
        f"open 127.0.0.1 {postfix.main_port}\n"  # type: ignore[attr-defined]
        "set raw-wait 0.3\n"
        "raw EHLO bare.lf.test\\n\n"
        "raw\n"
        "NOOP\\r\\n\n"
        "RSET\n"
        "raw off\n"
        "quit\n"
    )
    result = run_cli("console", stdin=script)
    out = result.stdout
    assert "!-> EHLO bare.lf.test\\n\n" in out
    assert "!-> NOOP\\r\\n\n<-  250 2.0.0 Ok" in out
    # nothing is appended in raw mode: the server reads "RSETQUIT" as one command
    assert "!-> RSET\n=== Raw mode off\nsmtpcheck> quit\n -> QUIT\n<-  500 5.5.2" in out


def test_network_failures_print_one_clear_line_and_carry_on(
    bad_server: Callable[..., object],
) -> None:
    garbage = bad_server("garbage")
    silent = bad_server("no-banner")
    script = (
        "open 127.0.0.1 1\n"
        f"open 127.0.0.1 {garbage.port}\n"  # type: ignore[attr-defined]
        "EHLO contoso.test\n"
        "set timeout 0.5\n"
        f"open 127.0.0.1 {silent.port}\n"  # type: ignore[attr-defined]
        "close\n"
        "status\n"
    )
    result = run_cli("console", stdin=script, timeout=30)
    out = result.stdout
    assert result.code == 1  # a step failed
    assert "*** connect: 127.0.0.1 port 1: connection refused" in out
    assert "*** banner:" in out  # garbage instead of a reply code
    assert "not connected: use `open HOST [PORT]`" in out
    assert "*** banner: no complete reply within 0.5 s" in out
    assert "=== still connected: a late reply will be shown when it comes" in out
    assert "=== Connection closed" in out
    assert "Traceback" not in out + result.stderr


def test_meanings_can_be_switched_off_and_explain_gives_causes_and_fixes(
    postfix: object,
) -> None:
    script = (
        f"open 127.0.0.1 {postfix.main_port}\n"  # type: ignore[attr-defined]
        "EHLO contoso.test\n"
        "explain\n"
        "MAIL FROM:<chris@contoso.test>\n"
        "RCPT TO:<denied@example.test>\n"
        "explain\n"
        "set explain off\n"
        "RCPT TO:<full@example.test>\n"
        "set lang it\n"
        "set explain on\n"
        "RCPT TO:<greylist@example.test>\n"
        "quit\n"
    )
    result = run_cli("console", stdin=script)
    out = result.stdout
    assert "  STARTTLS: " in out  # explain after EHLO reads each extension
    denied = out.split("Recipient address rejected: Rejected by local policy\n", 1)[1]
    assert denied.startswith("    (")  # the one-line meaning beneath the reply
    assert "Likely causes:\n  - " in denied
    assert "What to check or change:\n  - " in denied
    full = out.split("Recipient address rejected: Mailbox full\n", 1)[1]
    assert not full.startswith("    (")  # explain off: the bare reply
    greylisted = out.split("Recipient address rejected: Greylisted, try again later\n", 1)[1]
    assert greylisted.startswith("    (") and "temporane" in greylisted.split("\n")[0]


def test_implicit_tls_shows_the_certificate_and_checks_it_against_a_ca_file(
    postfix: object,
) -> None:
    port = str(postfix.implicit_tls_port)  # type: ignore[attr-defined]
    ca_file = str(postfix.ca_file)  # type: ignore[attr-defined]
    trusted = run_cli("console", "--ca-file", ca_file, "--tls", "127.0.0.1", port, stdin="quit\n")
    assert trusted.code == 0, trusted.stdout
    assert "=== TLS: TLSv1." in trusted.stdout
    assert "=== Names: mx.example.test, localhost, 127.0.0.1" in trusted.stdout
    assert "=== Certificate verified: trusted chain, name matches" in trusted.stdout
    assert "<~  220 mx.example.test" in trusted.stdout
    assert " ~> QUIT\n<~  221" in trusted.stdout
    untrusted = run_cli("console", "--tls", "127.0.0.1", port, stdin="quit\n")
    assert "*** Certificate NOT verified: " in untrusted.stdout
    assert "<~  221" in untrusted.stdout  # shown, not refused: tls-verify is off
