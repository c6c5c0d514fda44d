"""The entry point: a light `--help`, every command listed, bugs as one line."""

from __future__ import annotations

import subprocess
import sys

import pytest

from smtpcheck.cli import main as entry

HEAVY = ("asyncio", "dns", "cryptography", "ssl", "rich", "prompt_toolkit")


@pytest.mark.parametrize("args", [["--help"], ["send", "--help"], ["demo", "--help"]])
def test_help_imports_no_heavy_module(args):
    probe = (
        "import sys\n"
        "from smtpcheck.cli.main import main\n"
        "try:\n"
        f"    main({args!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout


def test_help_lists_every_command():
    out = subprocess.run(
        [sys.executable, "-m", "smtpcheck", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for name in ("send", "explain", "mx", "sink", "demo"):
        assert f"  {name} " in out


def test_send_help_is_a_manual():
    out = subprocess.run(
        [sys.executable, "-m", "smtpcheck", "send", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for needle in (
        "--server",
        "--tls-on-connect",
        "--auth-password",
        "--quit-after",
        "--dsn-notify",
        "--log-file",
        "--output",
        "Exit codes",
        "Examples",
    ):
        assert needle in out


def test_internal_error_is_one_line(monkeypatch, capsys):
    def explode(**_kwargs):
        raise RuntimeError("simulated bug")

    monkeypatch.delenv("SMTPCHECK_DEBUG", raising=False)
    monkeypatch.setattr(entry.cli, "main", explode)
    with pytest.raises(SystemExit) as exit_info:
        entry.main(["--version"])
    assert exit_info.value.code == entry.INTERNAL_ERROR
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error: RuntimeError: simulated bug" in err
