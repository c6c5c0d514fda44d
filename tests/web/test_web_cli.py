"""`smtpcheck web` as a user types it: help, bad options, and `smtpcheck sink --web`."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx

from clirun import run_cli
from peers.webui import free_port, read_until


def test_help_has_examples_and_is_listed() -> None:
    shown = run_cli("web", "--help")
    assert shown.code == 0
    expected = ["--allow-public", "--token-file", "--allow-targets", "--sink", "Examples:"]
    expected += ["smtpcheck web --sink", "/api/openapi.json", "pip install 'smtpcheck[web]'"]
    for text in expected:
        assert text in shown.stdout, text
    assert "web " in run_cli("--help").stdout
    assert "--web [HOST:PORT]" in run_cli("sink", "--help").stdout


def test_bad_options_are_one_line(tmp_path: Path) -> None:
    for args, message in (
        (["--allow-targets", "10.0.0.0/99"], "not an address range (CIDR): '10.0.0.0/99'"),
        (["--allow-ports", "smtp"], "not a port number (1-65535): 'smtp'"),
        (["--listen", "192.0.2.1:8025"], "not a loopback address"),
        (["--token-file", str(tmp_path / "none")], "cannot read"),
        (["--tls-cert", "c.pem"], "--tls-cert and --tls-key go together"),
    ):
        result = run_cli("web", *args)
        assert result.code == 1, (args, result.stderr)
        assert result.stderr.startswith("smtpcheck web: ") and message in result.stderr
        assert "Traceback" not in result.stderr


def test_sink_with_web_shows_the_mailbox(tmp_path: Path) -> None:
    smtp, web = free_port("127.0.0.1"), free_port("127.0.0.1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "smtpcheck", "sink", "--listen", f"127.0.0.1:{smtp}",
         "--web", f"127.0.0.1:{web}", "--store", str(tmp_path / "store"), "--no-fsync"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={"XDG_DATA_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    try:
        lines = read_until(proc, "smtpcheck web on", 60)
        assert any(f"127.0.0.1:{web}" in line for line in lines), lines
        envelope = ["--to", "dev@example.test", "--from", "app@example.test"]
        subject = ["--header", "Subject: via sink --web"]
        sent = run_cli("send", "--server", f"127.0.0.1:{smtp}", *envelope, *subject)
        assert sent.code == 0, sent.stderr
        with httpx.Client(base_url=f"http://127.0.0.1:{web}") as client:
            messages = client.get("/api/messages").json()["messages"]
            assert [m["subject"] for m in messages] == ["via sink --web"]
            deadline = time.monotonic() + 20
            session = None
            while session is None and time.monotonic() < deadline:
                session = client.get(f"/api/messages/{messages[0]['id']}").json()["session"]
                time.sleep(0.2)
            assert session is not None and session["transcript_lines"]
    finally:
        proc.terminate()
        proc.wait(timeout=20)
