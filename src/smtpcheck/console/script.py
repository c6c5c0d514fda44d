"""Non-interactive console: lines from a file or a pipe, run exactly as if typed.

The same engine, the same transcript. Console commands are echoed (`smtpcheck> open
...`) so the output reads like the session it reproduces. In message mode the script's
following lines are the message, up to the line holding a single dot. The `auth`
helper reads the user name from the next script line and the password from the
SMTPCHECK_PASSWORD environment variable, or from the terminal when there is one:
never from the script, so a script can be shared.
"""

from __future__ import annotations

import asyncio
import getpass
import os
from collections.abc import Iterator

from smtpcheck.console.session import ConsoleEngine

PASSWORD_VARIABLE = "SMTPCHECK_PASSWORD"


class ScriptPrompter:
    """Answers the engine's questions from the script's own lines."""

    def __init__(self, lines: Iterator[str]) -> None:
        self.lines = lines
        self.engine: ConsoleEngine | None = None

    def _next(self) -> str | None:
        return next(self.lines, None)

    async def ask(self, prompt: str, *, secret: bool = False) -> str | None:
        if not secret:
            return self._next()
        password = os.environ.get(PASSWORD_VARIABLE)
        if password is not None:
            return password
        try:
            return await asyncio.to_thread(getpass.getpass, prompt)
        except (OSError, EOFError):
            if self.engine is not None:
                self.engine.output.error(self.engine.t("auth.no_password"))
            return None

    async def read_message(self, template: str) -> str | None:
        lines: list[str] = []
        while (line := self._next()) is not None:
            if line == ".":
                return "".join(text + "\n" for text in lines)
            lines.append(line)
        return None  # the script ended inside the message


def script_lines(text: str) -> Iterator[str]:
    for line in text.splitlines():
        yield line.removesuffix("\r")


async def run_script(engine: ConsoleEngine, prompter: ScriptPrompter) -> int:
    """Run every line; 0 when no step failed, 1 otherwise. Never leaves a connection."""
    try:
        while (line := prompter._next()) is not None:
            if not await engine.handle(line):
                break
    finally:
        await engine.shutdown()
    return 1 if engine.errors else 0
