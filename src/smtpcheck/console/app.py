"""The interactive console: prompt_toolkit line editing over the headless engine.

One `PromptSession` for commands (history kept in a file across runs, Tab completion),
one without history for the user name and the password (never echoed, never kept), and
a multi-line editor for the message after DATA (Enter on a line holding a single dot
sends it; Tab on an empty message inserts a header template). Output goes through
`patch_stdout`, so replies that arrive while you type do not garble the prompt.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys

from prompt_toolkit import PromptSession
from prompt_toolkit.history import DummyHistory, FileHistory, InMemoryHistory
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.patch_stdout import patch_stdout

from smtpcheck.console.completion import make_completer
from smtpcheck.console.render import Styled, paint
from smtpcheck.console.session import ConsoleEngine, Settings


def is_secret_line(line: str) -> bool:
    """An AUTH line carrying an initial response (base64 credentials): never kept."""
    words = line.split()
    return len(words) > 2 and words[0].lower() == "auth"


class ConsoleHistory(FileHistory):
    """The command history file, minus anything that carries credentials."""

    def __init__(self, path: str, engine: ConsoleEngine) -> None:
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, mode=0o700, exist_ok=True)
        if not os.path.exists(path):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        super().__init__(path)
        self.engine = engine

    def store_string(self, string: str) -> None:
        if self.engine.in_auth_exchange or is_secret_line(string):
            return
        super().store_string(string)


def _message_bindings(template: str, hint: str) -> KeyBindings:
    bindings = KeyBindings()

    @bindings.add("enter")
    def _enter(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        document = buffer.document
        if document.current_line == "." and document.is_cursor_at_the_end_of_line:
            lines = document.text.split("\n")
            row = document.cursor_position_row
            body = lines[:row]
            event.app.exit(result="".join(line + "\n" for line in body))
        else:
            buffer.newline(copy_margin=False)

    @bindings.add("tab")
    def _tab(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        if not buffer.text:
            buffer.insert_text(template)
        else:
            buffer.insert_text("\t")

    return bindings


class AppPrompter:
    """Asks at the terminal: user name, password (no echo), the message."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings  # the engine's own: `set lang` is seen here too
        self._questions: PromptSession[str] = PromptSession(history=DummyHistory())
        self._message_history = InMemoryHistory()

    async def ask(self, prompt: str, *, secret: bool = False) -> str | None:
        try:
            return await self._questions.prompt_async(prompt, is_password=secret)
        except (KeyboardInterrupt, EOFError):
            return None

    async def read_message(self, template: str) -> str | None:
        from smtpcheck.console.messages import msg

        hint = msg("message.template_hint", self._settings.lang)
        editor: PromptSession[str] = PromptSession(
            history=self._message_history,
            multiline=True,
            key_bindings=_message_bindings(template, hint),
        )
        try:
            return await editor.prompt_async("", placeholder=f"({hint})", prompt_continuation="")
        except (KeyboardInterrupt, EOFError):
            return None


async def _guarded(engine: ConsoleEngine, line: str) -> bool:
    """Run one command; Ctrl-C while it waits on the network stops it, not the console."""
    loop = asyncio.get_running_loop()
    task = loop.create_task(engine.handle(line))
    interrupt_installed = False
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGINT, task.cancel)
        interrupt_installed = True
    try:
        return await task
    except asyncio.CancelledError:
        if not task.cancelled():
            raise
        await engine.interrupted()
        return True
    finally:
        if interrupt_installed:
            loop.remove_signal_handler(signal.SIGINT)


async def run_app(settings: Settings, startup: list[str], history_file: str) -> int:
    """The interactive console; returns the exit status."""
    colour = "NO_COLOR" not in os.environ

    def emit(lines: list[Styled]) -> None:
        sys.stdout.write(paint(lines, colour))
        sys.stdout.flush()

    prompter = AppPrompter(settings)
    engine = ConsoleEngine(emit, prompter, settings, watch_idle=True)
    session: PromptSession[str] = PromptSession(
        history=ConsoleHistory(history_file, engine),
        completer=make_completer(lambda: engine.ehlo, lambda: engine.raw_mode),
        complete_while_typing=False,
    )
    with patch_stdout(raw=True):
        engine.output.info(engine.t("welcome"))
        try:
            for line in startup:
                await _guarded(engine, line)
            while True:
                try:
                    line = await session.prompt_async(engine.prompt_label)
                except KeyboardInterrupt:
                    continue
                except EOFError:
                    break
                if not await _guarded(engine, line):
                    break
        finally:
            await engine.shutdown()
    return 0
