"""The entry point: a light `--help`, every command listed, bugs as one line.

DESIGN: `--help`, `explain` and `version` import neither asyncio, dnspython nor
cryptography (lazy-loaded subcommands). Which other modules load is not pinned here:
bench/startup.py measures what start-up costs.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from smtpcheck.cli import main as entry

HEAVY = ("asyncio", "dns", "cryptography")
LIGHT_RUNS = [
    ["--help"],
    ["--version"],
    ["explain", "550 5.1.1 User unknown"],
    ["explain", "--lang", "it", "--ehlo", "STARTTLS"],
    *([name, "--help"] for name in entry.SUBCOMMANDS),
]


@pytest.mark.parametrize("args", LIGHT_RUNS, ids=" ".join)
def test_help_explain_and_version_import_no_heavy_module(args):
    probe = (
        "import sys\n"
        "from smtpcheck.cli.main import main\n"
        "try:\n"
        f"    main({args!r})\n"
        "except SystemExit as exit:\n"
        "    print('EXIT', exit.code)\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    lines = out.stdout.strip().splitlines()
    assert lines[-2] in ("EXIT 0", "EXIT None"), out.stdout + out.stderr
    assert lines[-1] == "[]", out.stdout


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
