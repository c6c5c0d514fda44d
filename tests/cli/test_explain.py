"""`smtpcheck explain` end to end, as a user types it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from smtpcheck.cli.main import cli

SMTPCHECK = Path(sys.executable).with_name("smtpcheck")


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    runner = CliRunner()
    result = runner.invoke(cli, ["explain", *args], env=env or {"LANG": "C", "LC_ALL": ""})
    return result.exit_code, result.stdout, result.stderr


def test_basic_code() -> None:
    code, out, _ = run("550")
    assert code == 0
    assert (
        out.splitlines()[0] == "550: Mailbox unavailable or refused by policy (permanent failure)"
    )
    assert "5xx: permanent failure" in out and "x5x: mail system" in out
    assert "bounce" in out


def test_enhanced_code_alone() -> None:
    code, out, _ = run("5.1.1")
    assert code == 0
    assert "Enhanced code 5.1.1: Bad destination mailbox address" in out
    assert "The recipient does not exist" in out


def test_full_postfix_reply_text() -> None:
    code, out, _ = run(
        "550 5.1.1 <kate@fabrikam.com>: Recipient address rejected: User unknown in local "
        "recipient table"
    )
    assert code == 0
    assert out.startswith("550 5.1.1: The recipient does not exist (permanent failure)")
    assert "Recognised text: Postfix" in out
    assert "local_recipient_maps" in out


def test_step_option_sharpens_the_hint() -> None:
    code, out, _ = run("--step", "rcpt", "452")
    assert code == 0
    assert "Recipient deferred: too many recipients, or no storage" in out
    assert "Step: RCPT TO (recipient)" in out


def test_ehlo_keyword_lookup() -> None:
    code, out, _ = run("--ehlo", "X-ANONYMOUSTLS")
    assert code == 0
    assert "EHLO keyword X-ANONYMOUSTLS: Exchange anonymous TLS" in out
    code, out, _ = run("--ehlo", "X-EXPS GSSAPI NTLM")
    assert code == 0 and "Kerberos" in out


def test_whole_ehlo_reply() -> None:
    code, out, _ = run("--ehlo", "250-mx.example.test\n250-PIPELINING\n250 SIZE 1048576")
    assert code == 0
    assert "250-PIPELINING" in out and "1048576 bytes" in out


def test_connection_failure() -> None:
    code, out, _ = run("--connection", "timeout")
    assert code == 0 and "Connection timed out" in out


def test_italian_output_from_option_and_from_locale() -> None:
    code, out, _ = run("--lang", "it", "554 5.7.1 <x@remote.test>: Relay access denied")
    assert code == 0
    assert out.startswith("554 5.7.1: Relay non consentito (errore permanente)")
    assert "Cosa controllare o modificare:" in out
    code, out, _ = run("421", env={"LANG": "it_IT.UTF-8", "LC_ALL": ""})
    assert code == 0 and "Servizio non disponibile" in out


def test_json_output() -> None:
    code, out, _ = run("--output", "json", "--step", "rcpt", "550 5.7.1 Relay access denied")
    assert code == 0
    data = json.loads(out)
    assert data["schema"] == "smtpcheck.explain/1" and data["kind"] == "reply"
    result = data["result"]
    assert (result["code"], result["enhanced"], result["step"]) == (550, "5.7.1", "rcpt")
    assert result["step_hint"]["id"] == "relay_denied"
    assert result["vendor_matches"][0]["vendor"] == "Postfix"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["999x"], "'999x' is not a reply code"),
        (["999"], "999 is not an SMTP reply code"),
        (["3.1.1"], "not an enhanced status code"),
        (["just some words"], "no reply code found"),
        ([], "nothing to explain"),
        (["--connection", "gremlins"], "unknown connection failure"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(args: list[str], message: str) -> None:
    code, out, err = run(*args)
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_bad_option_value_exits_1() -> None:
    code, _, err = run("--step", "bogus", "550")
    assert code == 1 and "Invalid value for '--step'" in err


def test_help_has_examples() -> None:
    code, out, _ = run("--help")
    assert code == 0
    assert "smtpcheck explain --step rcpt 452" in out and "--ehlo" in out and "--lang" in out


def test_the_installed_script_explains_in_italian() -> None:
    env = {**os.environ, "LANG": "C", "NO_COLOR": "1"}
    reply = "530 5.7.0 Must issue a STARTTLS command first"
    script = subprocess.run(
        [str(SMTPCHECK), "explain", "--lang", "it", reply],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert script.returncode == 0
    assert script.stdout.startswith("530 5.7.0: Serve prima STARTTLS")


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("CHUNKING", "EHLO keyword CHUNKING: Chunking"),
        ("X-ANONYMOUSTLS", "EHLO keyword X-ANONYMOUSTLS: Exchange anonymous TLS"),
        ("AUTH PLAIN LOGIN", "EHLO keyword AUTH:"),
        ("size 35882577", "EHLO keyword SIZE:"),
        ("X-MYSERVER-FEATURE", "EHLO keyword X-MYSERVER-FEATURE:"),
    ],
)
def test_a_bare_ehlo_keyword_is_explained_without_ehlo(word: str, expected: str) -> None:
    code, out, err = run(word)
    assert code == 0, err
    assert out.startswith(expected)


def test_keyword_status_is_translated() -> None:
    code, out, _ = run("--lang", "it", "X-ANONYMOUSTLS")
    assert code == 0
    assert "Stato: estensione del produttore, Microsoft Exchange" in out
    assert "vendor" not in out


@pytest.mark.parametrize(
    ("text", "summary", "read_as"),
    [
        ("Relay access denied", "554 5.7.1: Relaying denied (permanent failure)",
         "read as Postfix's usual reply with it, 554 5.7.1"),
        ("Client was not authenticated",
         "530 5.7.1: Authentication required (no anonymous mail) (permanent failure)",
         "read as Microsoft Exchange's usual reply with it, 530 5.7.1"),
        ("User unknown", "550 5.1.1: The recipient does not exist (permanent failure)",
         "read as the reply it usually comes with, 550 5.1.1"),
    ],
)  # fmt: skip
def test_reply_text_without_its_code(text: str, summary: str, read_as: str) -> None:
    code, out, err = run(text)
    assert code == 0, err
    assert out.splitlines()[0] == summary
    assert read_as in out


def test_an_unknown_word_names_ehlo_in_the_error() -> None:
    code, out, err = run("FOOBAR")
    assert code == 1 and out == ""
    assert "smtpcheck explain --ehlo FOOBAR" in err
    code, _, err = run("just some words")
    assert code == 1 and "--ehlo" in err


def test_errors_speak_the_chosen_language() -> None:
    code, _, err = run("--lang", "it", "FOOBAR")
    assert code == 1
    assert err.startswith("smtpcheck explain: errore: 'FOOBAR' non è un codice di risposta")
    code, _, err = run("--lang", "it", "--connection", "gremlins")
    assert code == 1 and "errore di connessione sconosciuto" in err


def test_a_vendor_meaning_of_an_enhanced_code_is_said_not_contradicted() -> None:
    code, out, _ = run(
        "--step", "rcpt",
        "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
    )  # fmt: skip
    assert code == 0
    assert out.startswith("550 5.1.10: The recipient does not exist (permanent failure)")
    assert "This server uses 5.1.10 in a sense of its own" in out
    assert "Typical causes" not in out  # the null-MX causes of 5.1.10 would contradict it
    assert "Recognised text: Microsoft Exchange" in out
