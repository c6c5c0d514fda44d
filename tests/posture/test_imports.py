"""The posture checks and their libraries stay out of commands that do not need them:
`--help`, `explain`, `mx` and a plain `send` (each run in a subprocess that then lists
what it imported)."""

from __future__ import annotations

import subprocess
import sys

import pytest

POSTURE_MODULES = (
    "h11",
    "publicsuffixlist",
    "dns.dnssec",
    "smtpcheck.knowledge.posture",
    "smtpcheck.checks.posture",
    "smtpcheck.checks.posture_findings",
    "smtpcheck.checks.spf",
    "smtpcheck.checks.spf_eval",
    "smtpcheck.checks.dmarc",
    "smtpcheck.checks.dkim",
    "smtpcheck.checks.mta_sts",
    "smtpcheck.checks.tlsrpt",
    "smtpcheck.checks.dane",
    "smtpcheck.checks.dnssec",
    "smtpcheck.checks.caa",
    "smtpcheck.checks.mx_posture",
    "smtpcheck.dns.query",
    "smtpcheck.dns.dnssec_chain",
    "smtpcheck.net.https_get",
    # receive (issue 13): its checks, dkimpy and authres stay out of the light commands
    "dkim",
    "authres",
    "smtpcheck.knowledge.receive",
    "smtpcheck.checks.dkim_signatures",
    "smtpcheck.checks.message_parse",
    "smtpcheck.scenarios.receive.analyse",
    "smtpcheck.cli.receive_runner",
    # TLS quality (SSLyze runs in a worker process) and the smuggling probe
    "sslyze",
    "nassl",
    "pydantic",
    "smtpcheck.net.tls_scan",
    "smtpcheck.net.tls_scan_worker",
    "smtpcheck.knowledge.tls_grades",
    "smtpcheck.checks.tls_quality",
    "smtpcheck.checks.smuggling",
    "smtpcheck.scenarios.smuggling",
    # web (issue 14): the web stack and the web package stay out of every other command
    "fastapi",
    "starlette",
    "uvicorn",
    "jinja2",
    "smtpcheck.web",
    "smtpcheck.knowledge.web",
)

PROBE = """\
import sys
from smtpcheck.cli.main import main
try:
    main({args!r})
except SystemExit as exit:
    print("EXIT", exit.code, file=sys.stderr)
print("LOADED", " ".join(m for m in {names!r} if m in sys.modules), file=sys.stderr)
"""


def loaded_by(args: list[str]) -> tuple[str, str]:
    probe = PROBE.format(args=args, names=POSTURE_MODULES)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    lines = done.stderr.splitlines()
    loaded = next(line for line in lines if line.startswith("LOADED"))
    return loaded[len("LOADED") :].strip(), done.stdout + done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["explain", "550 5.7.26 Unauthenticated email"],
        ["check", "--help"],
        ["receive", "--help"],
        ["web", "--help"],
        ["sink", "--help"],
    ],
)
def test_light_commands_import_no_posture_module(args: list[str]) -> None:
    loaded, output = loaded_by(args)
    assert loaded == "", output


def test_mx_imports_no_posture_module(dnsmasq) -> None:
    loaded, output = loaded_by(["mx", "example.test", "--dns", dnsmasq.server])
    assert "EXIT 0" in output, output
    assert loaded == "", output


def test_plain_send_imports_no_posture_module(bad_server) -> None:
    steps = [
        ("", b"220 scripted.example.test ESMTP\r\n"),
        ("EHLO", b"250-scripted.example.test\r\n250 8BITMIME\r\n"),
        ("MAIL FROM", b"250 2.1.0 Ok\r\n"),
        ("RCPT TO", b"250 2.1.5 Ok\r\n"),
        ("QUIT", b"221 2.0.0 Bye\r\n"),
    ]
    server = bad_server("scripted", steps=steps)
    host, port = server.address
    args = ["send", "--server", f"{host}:{port}", "--from", "a@example.test"]
    args += ["--to", "b@example.test", "--quit-after", "rcpt", "--timeout", "5s"]
    loaded, output = loaded_by(args)
    assert "EXIT 0" in output, output
    assert loaded == "", output
