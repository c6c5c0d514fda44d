"""`smtpcheck demo` as the first Quick start command runs it: offline, complete, clean."""

from __future__ import annotations

from clirun import run_cli


def test_demo_runs_the_seed_session_and_its_failures():
    result = run_cli("demo", timeout=60)
    assert result.code == 0, result.stdout + result.stderr
    out = result.stdout
    assert "Traceback" not in out + result.stderr
    # the article's successful session, line for line where it matters
    assert "<-  220 mail1.fabrikam.com Microsoft ESMTP MAIL Service ready at" in out
    assert "<-  250 2.1.0 Sender OK" in out
    assert "<-  250 2.1.5 Recipient OK" in out
    assert "<-  354 Start mail input; end with <CRLF>.<CRLF>" in out
    assert "Queued mail for delivery" in out
    assert "<-  221 2.0.0 Service closing transmission channel" in out
    # each failure, with its explanation
    assert "<** 550 5.1.1 User unknown" in out
    assert "<** 530 5.7.1 Client was not authenticated" in out
    assert "<** 501 5.5.4 Invalid domain name" in out
    assert "connection refused" in out
    assert out.count("What to check or change:") == 4
    assert "1 message(s) captured" in out


def test_demo_in_italian():
    result = run_cli("demo", "--lang", "it", timeout=60)
    assert result.code == 0, result.stdout
    assert "Cosa controllare o cambiare:" in result.stdout
    assert "Destinatario sconosciuto" in result.stdout
    assert "Demo conclusa" in result.stdout
