"""`smtpcheck demo` as the first Quick start command runs it: offline, complete, clean.

The demo runs `check` against the embedded sink (the seed's Exchange server) through
its own built-in DNS server; each case must end as expected, or the demo exits 1.
"""

from __future__ import annotations

import socket

from clirun import run_cli


def test_demo_runs_the_seed_session_and_its_failures():
    # wide, so that no phrase is wrapped (the 80-column layout is checked below)
    result = run_cli("demo", timeout=60, env={"COLUMNS": "250"})
    assert result.code == 0, result.stdout + result.stderr
    out = result.stdout
    assert "Traceback" not in out + result.stderr
    assert "internal error" not in out
    # the article's session, through check, with its transcript
    assert "<-  220 mail1.fabrikam.com Microsoft ESMTP MAIL Service ready at" in out
    assert "<~  250 2.1.0 Sender OK" in out
    assert "<~  250 2.1.5 Recipient OK" in out
    assert "<~  354 Start mail input; end with <CRLF>.<CRLF>" in out
    assert "Queued mail for delivery" in out
    assert "<~  221 2.0.0 Service closing transmission channel" in out
    assert "Mail to kate@fabrikam.com works: 1 of 1" in out
    assert "PASS Certificate  CN=mail1.fabrikam.com" in out
    # each failure, named, with what to do
    assert "was refused: 550 5.1.1 User unknown" in out
    assert "was refused: 530 5.7.1 Client was not authenticated" in out
    assert "EHLO bad..host  501 5.5.4 Invalid domain name" in out
    assert "refused the connection on port" in out
    assert out.count("Fix:") >= 4
    assert out.count("cannot be delivered") == 4
    assert "1 message captured" in out


def test_demo_leaves_nothing_listening():
    result = run_cli("demo", timeout=60)
    assert result.code == 0
    ports = {int(word.split()[0]) for word in result.stdout.split("--port ")[1:]}
    for port in ports:
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still open"


def test_demo_in_italian():
    result = run_cli("demo", "--lang", "it", timeout=60)
    assert result.code == 0, result.stdout
    assert "Esito:" in result.stdout
    assert "Cosa fare:" in result.stdout
    assert "è stato rifiutato" in result.stdout
    assert "Demo conclusa" in result.stdout


def test_demo_fits_80_columns():
    result = run_cli("demo", timeout=60, env={"COLUMNS": "80"})
    assert result.code == 0
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
