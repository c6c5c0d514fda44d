"""Drive `smtpcheck console` as a person does: in a real pseudo-terminal, key by key.

`console_pty(*args)` starts the console under pexpect with its history file in the
test's folder, no colour and no cursor-position requests (a pty has no terminal to
answer them). Everything the console draws is kept in `.screen` for later checks.
"""

from __future__ import annotations

import io
import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pexpect
import pytest

SMTPCHECK = [sys.executable, "-m", "smtpcheck"]
ANSI_CONTROL = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|[()][0-9A-B]|[=>])")


class ConsolePty:
    """One console in a pty; `type()` sends keys one at a time, then Enter."""

    def __init__(self, args: tuple[str, ...], env: dict[str, str], timeout: float) -> None:
        self.capture = io.StringIO()
        self.child = pexpect.spawn(
            SMTPCHECK[0],
            [*SMTPCHECK[1:], "console", *args],
            env=env,
            encoding="utf-8",
            codec_errors="replace",
            timeout=timeout,
            dimensions=(50, 200),
        )
        self.child.logfile_read = self.capture
        self.child.delaybeforesend = None  # keys go one by one, as fast as a pty takes them

    @property
    def screen(self) -> str:
        """Everything drawn, terminal control sequences removed."""
        return ANSI_CONTROL.sub("", self.capture.getvalue()).replace("\r", "")

    def keys(self, text: str) -> None:
        for key in text:
            self.child.send(key)

    def type(self, line: str) -> None:
        self.keys(line)
        self.child.send("\r")

    def expect(self, pattern: str) -> str:
        """Wait for the literal text `pattern`; return what came before it."""
        self._wait(pattern, re.escape(pattern))
        return str(self.child.before)

    def expect_typed(self, text: str) -> None:
        """Wait until the prompt shows `text`, however it was drawn.

        The line editor may draw a completed word in pieces with cursor moves between
        them ("bd", then "at"), so the literal text need not appear in the stream.
        """
        between = r"(?:\x1b\[[0-?]*[ -/]*[@-~]|[\r\x08])*"
        self._wait(text, between.join(re.escape(char) for char in text))

    def _wait(self, text: str, pattern: str) -> None:
        try:
            self.child.expect(pattern)
        except (pexpect.TIMEOUT, pexpect.EOF) as exc:
            raise AssertionError(
                f"{text!r} never appeared; the screen ends with:\n{self.screen[-3000:]}"
            ) from exc

    def finish(self, timeout: float = 10) -> int:
        """Wait for the console to exit and return its status."""
        self.child.expect(pexpect.EOF, timeout=timeout)
        self.child.close()
        return int(self.child.exitstatus if self.child.exitstatus is not None else -1)


#: the type of the `console_pty` fixture: `console_pty(*args, timeout=10)`
Start = Callable[..., ConsolePty]


@pytest.fixture
def console_env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "TERM": "xterm",
        "NO_COLOR": "1",
        "PROMPT_TOOLKIT_NO_CPR": "1",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "LANGUAGE": "en",
        "SMTPCHECK_CONSOLE_HISTORY": str(tmp_path / "history"),
    }


@pytest.fixture
def console_pty(console_env: dict[str, str]) -> Iterator[Callable[..., ConsolePty]]:
    started: list[ConsolePty] = []

    def start(*args: str, timeout: float = 10) -> ConsolePty:
        console = ConsolePty(args, console_env, timeout)
        started.append(console)
        return console

    yield start
    for console in started:
        if console.child.isalive():
            console.child.terminate(force=True)
