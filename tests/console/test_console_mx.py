"""`open user@domain` in the console: the domain's MX hosts, tried in preference order.

DNS is the session's dnsmasq (records in tests/peers/dnsmasq.py): mxfallback.test has
MX 10 down.mxfallback.test (127.0.6.9, nothing listens) and MX 20 up.mxfallback.test
(127.0.0.1, the Postfix peer, which takes mxfallback.test as an alias domain of
example.test); nullmx.test has a null MX. Script mode, as a saved session runs.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from clirun import CliResult, run_cli


def _session(postfix: object, marker: str) -> str:
    return (
        f"open bob@mxfallback.test {postfix.main_port}\n"  # type: ignore[attr-defined]
        "EHLO client.example.test\n"
        "MAIL FROM:<chris@contoso.test>\n"
        "RCPT TO:<bob@mxfallback.test>\n"
        "DATA\n"
        f"Subject: console MX test {marker}\n"
        "\n"
        "Found through the MX records.\n"
        ".\n"
        "QUIT\n"
        "quit\n"
    )


def _console(dnsmasq: object, *args: str, **options: Any) -> CliResult:
    """`smtpcheck console --dns <dnsmasq> --timeout 5 ARGS` (30 s at most)."""
    server = dnsmasq.server  # type: ignore[attr-defined]
    return run_cli("console", "--dns", server, "--timeout", "5", *args, timeout=30, **options)


def test_open_user_at_domain_falls_back_to_the_next_mx(
    postfix: object, dnsmasq: object, tmp_path: Path
) -> None:
    marker = uuid.uuid4().hex
    script = tmp_path / "mx.txt"
    script.write_text(_session(postfix, marker))
    port = postfix.main_port  # type: ignore[attr-defined]
    result = _console(
        dnsmasq,
        "--script",
        str(script),
    )
    out = result.stdout
    assert "Traceback" not in out + result.stderr
    lines = out.splitlines()
    expected = [
        f"smtpcheck> open bob@mxfallback.test {port}",
        "=== Looking up the mail hosts of mxfallback.test",
        "=== MX 10 down.mxfallback.test -> 127.0.6.9",
        "=== MX 20 up.mxfallback.test -> 127.0.0.1",
        f"=== Trying 127.0.6.9 port {port}",
        f"*** connect: 127.0.6.9 port {port}: connection refused",
        f"=== Trying 127.0.0.1 port {port}",
    ]
    assert lines[: len(expected)] == expected, out
    assert lines[len(expected)].startswith(f"=== Connected to 127.0.0.1 port {port}")
    assert "<-  220 mx.example.test ESMTP" in out
    assert " -> RCPT TO:<bob@mxfallback.test>\n<-  250 2.1.5 Ok" in out
    assert "<-  221 2.0.0 Bye" in out
    delivered = postfix.wait_for_delivery("bob", marker)  # type: ignore[attr-defined]
    assert delivered.message["Subject"] == f"console MX test {marker}"


def test_a_script_whose_open_found_a_working_mx_exits_0(
    postfix: object, dnsmasq: object, tmp_path: Path
) -> None:
    marker = uuid.uuid4().hex
    result = _console(
        dnsmasq,
        stdin=_session(postfix, marker),
    )
    postfix.wait_for_delivery("bob", marker)  # type: ignore[attr-defined]
    assert result.code == 0, result.stdout


def test_open_user_at_a_null_mx_domain_says_so_and_connects_nowhere(dnsmasq: object) -> None:
    result = _console(
        dnsmasq,
        stdin="open kate@nullmx.test\nstatus\nquit\n",
    )
    assert result.code == 1  # a failed step (docs/console.md)
    errors = [line for line in result.stdout.splitlines() if line.startswith("*** ")]
    assert len(errors) == 1, result.stdout
    assert "nullmx.test" in errors[0] and "null MX" in errors[0]
    assert "Trying" not in result.stdout
