"""Non-interactive console: lines from a file or a pipe, run exactly as if typed.

The same engine, the same transcript. Console commands are echoed (`smtpcheck> open
...`) so the output reads like the session it reproduces. In message mode the script's
following lines are the message, up to the line holding a single dot. When DATA (or
`bdat`) does not lead to message mode (a 554, no connection, no CHUNKING), that message
is skipped up to its dot, never sent as commands, and the script fails. The `auth`
helper reads the user name from the next script line and the password from the
SMTPCHECK_PASSWORD environment variable, or from the terminal when there is one:
never from the script, so a script can be shared.
"""

from __future__ import annotations

import asyncio
import getpass
import os
from collections.abc import Iterator

from smtpcheck.console import commands as console
from smtpcheck.console.session import ConsoleEngine

PASSWORD_VARIABLE = "SMTPCHECK_PASSWORD"


class ScriptPrompter:
    """Answers the engine's questions from the script's own lines."""

    def __init__(self, lines: Iterator[str]) -> None:
        self.lines = lines
        self.engine: ConsoleEngine | None = None
        self.messages_read = 0  # how many times the engine took a message from the script

    def next_line(self) -> str | None:
        return next(self.lines, None)

    async def ask(self, prompt: str, *, secret: bool = False) -> str | None:
        if not secret:
            return self.next_line()
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
        self.messages_read += 1
        lines: list[str] = []
        while (line := self.next_line()) is not None:
            if line == ".":
                return "".join(text + "\n" for text in lines)
            lines.append(line)
        return None  # the script ended inside the message

    def skip_message(self) -> tuple[int, bool]:
        """Drop a message's lines up to its final dot: (lines dropped, the dot was found)."""
        dropped = 0
        while (line := self.next_line()) is not None:
            if line == ".":
                return dropped, True
            dropped += 1
        return dropped, False


def script_lines(text: str) -> Iterator[str]:
    for line in text.splitlines():
        yield line.removesuffix("\r")


def message_command(line: str, *, raw_mode: bool) -> str | None:
    """DATA or BDAT when the script's next lines are the message `line` sends, else None."""
    try:
        parsed = console.parse_line(line, raw_mode=raw_mode)
    except console.CommandError:
        return None
    if isinstance(parsed, console.Data):
        return "DATA"
    if isinstance(parsed, console.Bdat):
        return "BDAT"
    if isinstance(parsed, console.SmtpLine) and parsed.text.upper().split()[:1] == ["DATA"]:
        return "DATA"  # DATA with arguments, which a server refuses: its message follows too
    return None


async def run_script(engine: ConsoleEngine, prompter: ScriptPrompter) -> int:
    """Run every line; 0 when no step failed, 1 otherwise. Never leaves a connection."""
    try:
        while (line := prompter.next_line()) is not None:
            command = message_command(line, raw_mode=engine.raw_mode)
            read_before = prompter.messages_read
            if not await engine.handle(line):
                break
            if command is not None and prompter.messages_read == read_before:
                _skip_refused_message(engine, prompter, command)
    finally:
        await engine.shutdown()
    return 1 if engine.errors else 0


def _skip_refused_message(engine: ConsoleEngine, prompter: ScriptPrompter, command: str) -> None:
    """The message after a DATA or `bdat` that was refused: never run its lines as commands."""
    dropped, found_dot = prompter.skip_message()
    key = "script.message_skipped" if found_dot else "script.message_skipped_to_end"
    engine.output.error(engine.t(key, command=command, lines=dropped))
