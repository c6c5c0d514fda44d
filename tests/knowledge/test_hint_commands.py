"""Hints name only commands and options that exist.

Every text of the knowledge data (both languages, every file) is read; each
`smtpcheck COMMAND --option ...` it names is checked against `smtpcheck COMMAND --help`
run through the CLI entry (click's CliRunner), and each bare `--option` against the help
of the command that shows that text. A hint that sends the reader to an option that
does not exist (or to `smtpcheck check` for SPF/DKIM/DMARC, which it does not test yet)
fails here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

import click
import pytest
from click.testing import CliRunner

from catalogue_texts import language_texts
from smtpcheck.cli.main import cli
from smtpcheck.knowledge import _data

# "smtpcheck" followed by a command, then its options and placeholders (FILE, DOMAIN,
# {value}); the mention ends at the first other word or punctuation.
_WORD = r"(?:-{1,2}[a-z][a-z0-9-]*|[A-Z][A-Z0-9_:.|\[\]-]*|\{[a-z_]+\})"
_MENTION = re.compile(rf"\bsmtpcheck ([a-z][a-z-]*)((?: {_WORD})*)")
_OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*)")

# Words that follow the program's name in a sentence, not commands ("smtpcheck knows").
PROSE = {"supports", "knows", "validated", "report", "ha"}

# Which command shows the texts of each catalogue (file, first key): a bare --option in
# them must be one of that command's options.
SHOWN_BY: dict[tuple[str, str | None], tuple[str, ...]] = {
    ("messages", "check"): ("check",),
    ("messages", "mx"): ("mx",),
    ("messages", "send"): ("send",),
    ("messages", "explain"): ("explain",),
    ("messages", "errors"): ("explain",),
    ("messages", "demo"): ("demo",),
    ("dns", None): ("mx", "check"),
    ("hints", None): ("send",),
    ("vendors", None): ("send",),
    ("replies", None): ("explain",),
    ("enhanced", None): ("explain",),
    ("ehlo", None): ("explain",),
    ("receive", None): ("receive",),
    ("posture", None): ("check",),
}

# Options issue 12 gives `check` for the posture checks, named by their fixes, that come
# with the wiring of those checks into `check` (docs/posture.md: not yet part of it).
# Each entry must still be missing: when the option lands, remove it from here.
PENDING = {("check", "--sender-ip"), ("check", "--dkim-selector")}


def _texts() -> Iterator[tuple[str, str, tuple[str, ...], str]]:
    for lang in _data.SUPPORTED_LANGUAGES:
        for name, path, text in language_texts(lang):
            yield lang, name, path, text


@cache
def _commands() -> frozenset[str]:
    return frozenset(cli.list_commands(click.Context(cli)))


@cache
def _help(command: str) -> str:
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0, f"smtpcheck {command} --help: {result.output}"
    return result.output


def _has_option(command: str, option: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", _help(command)) is not None


def _mentions() -> list[tuple[str, str, str]]:
    """(where, command, options) of every `smtpcheck COMMAND ...` in the data."""
    found = []
    for lang, name, path, text in _texts():
        for match in _MENTION.finditer(text):
            found.append((f"{lang}/{name}.toml {'.'.join(path)}", match.group(1), match.group(2)))
    return found


def test_the_data_names_commands() -> None:
    named = {command for _, command, _ in _mentions()}
    assert {"send", "mx", "receive", "explain", "console"} <= named


@pytest.mark.parametrize(("where", "command", "tail"), _mentions())
def test_every_named_command_and_option_exists(where: str, command: str, tail: str) -> None:
    if command in PROSE:
        return
    assert command in _commands(), f"{where}: there is no command 'smtpcheck {command}'"
    for option in _OPTION.findall(tail):
        assert _has_option(command, option), f"{where}: 'smtpcheck {command}' has no {option}"


def _bare_options() -> list[tuple[str, str, str]]:
    found = []
    for lang, name, path, text in _texts():
        shown_by = SHOWN_BY.get((name, path[0] if path else None)) or SHOWN_BY.get((name, None))
        if shown_by is None:
            continue
        outside_mentions = _MENTION.sub("", text)
        for option in _OPTION.findall(outside_mentions):
            for command in shown_by:
                found.append((f"{lang}/{name}.toml {'.'.join(path)}", command, option))
    return found


@pytest.mark.parametrize(("where", "command", "option"), _bare_options())
def test_every_bare_option_belongs_to_the_command_that_shows_it(
    where: str, command: str, option: str
) -> None:
    if (command, option) in PENDING:
        return
    assert _has_option(command, option), f"{where}: 'smtpcheck {command}' has no {option}"


def test_pending_options_are_still_missing() -> None:
    """The pending list shrinks as options land; an option that exists is not pending."""
    named = {(command, option) for _, command, option in _bare_options()}
    for command, option in PENDING:
        assert (command, option) in named
        assert not _has_option(command, option), f"{option} exists now: drop it from PENDING"


def test_no_hint_sends_sender_authentication_to_check() -> None:
    """SPF, DKIM and DMARC of a sending domain are graded by `receive`, not `check`."""
    for lang, name, path, text in _texts():
        if name == "hints" and "sender_authentication" in path:
            assert "smtpcheck check" not in text, f"{lang}: {text}"
    fixes = _data.language_file("en", "hints")["hint"]["sender_authentication"]["fixes"]
    assert any("smtpcheck receive --analyze" in fix for fix in fixes)
