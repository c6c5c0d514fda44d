"""A plain `send` imports no DKIM and no cryptography (DESIGN: those load only when a
run asks for DKIM signing or looks at certificates).

A plain `send --quit-after rcpt` against a scripted server, run in a subprocess that then
lists which of those modules were imported. Which other modules load is not pinned
here: bench/startup.py measures what start-up costs.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

NOT_NEEDED = ("dkim", "cryptography")

PROBE = """\
import sys
from smtpcheck.cli.main import main
try:
    main({args!r})
except SystemExit as exit:
    code = exit.code
print("EXIT", code, file=sys.stderr)
print("LOADED", " ".join(m for m in {names!r} if m in sys.modules), file=sys.stderr)
"""


@pytest.mark.parametrize("output", ["text", "json"])
def test_a_plain_send_imports_only_what_it_needs(bad_server, output):
    steps = [
        ("", b"220 scripted.example.test ESMTP\r\n"),
        ("EHLO", b"250-scripted.example.test\r\n250-ENHANCEDSTATUSCODES\r\n250 8BITMIME\r\n"),
        ("MAIL FROM", b"250 2.1.0 Ok\r\n"),
        ("RCPT TO", b"250 2.1.5 Ok\r\n"),
        ("QUIT", b"221 2.0.0 Bye\r\n"),
    ]
    server = bad_server("scripted", steps=steps)
    host, port = server.address
    args = ["send", "--server", f"{host}:{port}", "--from", "a@example.test"]
    args += ["--to", "b@example.test", "--quit-after", "rcpt", "--timeout", "5s"]
    args += ["--output", output]
    probe = PROBE.format(args=args, names=NOT_NEEDED)
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    lines = proc.stderr.splitlines()
    assert "EXIT 0" in lines, proc.stdout + proc.stderr
    assert not server.errors
    loaded = next(line for line in lines if line.startswith("LOADED")).strip()
    assert loaded == "LOADED", f"loaded without need: {loaded[len('LOADED ') :]}"
