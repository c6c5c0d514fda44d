"""The console engine's state and output: settings, connection, last reply, log file.

`EngineState` is the base of `ConsoleEngine` (console/session.py); the commands are
mixins on top of it (console/connection.py, smtp_lines.py, auth_helper.py,
local_commands.py). Output never goes to a terminal from here: every line goes to
`emit` as `Styled` text (and to the log file, when set).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Protocol

from smtpcheck.console.messages import msg
from smtpcheck.console.render import Styled, entry_lines, paint
from smtpcheck.net.session import SmtpSession
from smtpcheck.net.transcript import Direction, Entry
from smtpcheck.protocol import Reply
from smtpcheck.protocol.ehlo import EhloInfo

Emit = Callable[[list[Styled]], None]


class Prompter(Protocol):
    """How the engine asks the person (or the script) for more input."""

    async def ask(self, prompt: str, *, secret: bool = False) -> str | None:
        """One answer; None when cancelled. A secret answer is never echoed or kept."""

    async def read_message(self, template: str) -> str | None:
        """The message text up to (not including) the line holding a single dot."""


@dataclass
class Settings:
    lang: str = "en"
    explain: bool = True
    timeout: float = 30.0
    tls_verify: bool = False
    ca_file: str | None = None
    sni: str | None = None
    dns: str | None = None
    raw_wait: float = 3.0


class EngineState:
    """The state of one console: settings, the connection, the last reply, the log."""

    def __init__(
        self,
        emit: Emit,
        prompter: Prompter,
        settings: Settings | None = None,
        *,
        watch_idle: bool = False,
        echo_commands: bool = False,
    ) -> None:
        self.emit = emit
        self.prompter = prompter
        self.settings = settings or Settings()
        self.watch_idle = watch_idle  # show what the server says between commands
        self.echo_commands = echo_commands  # script mode: show console commands run
        self.session: SmtpSession | None = None
        self.host: str | None = None  # the name we connected to (for SNI and checks)
        self.last_reply: Reply | None = None
        self.raw_mode = False
        self.errors = 0
        self.logfile: IO[str] | None = None
        self.logfile_path: str | None = None
        self.envelope_from: str | None = None
        self.envelope_to: list[str] = []
        self._sending_raw = False
        self._watcher: asyncio.Task[None] | None = None

    # -- what front ends look at --------------------------------------------------

    @property
    def connected(self) -> bool:
        return self.session is not None and self.session.connected

    @property
    def ehlo(self) -> EhloInfo | None:
        return self.session.protocol.ehlo if self.session is not None else None

    @property
    def in_auth_exchange(self) -> bool:
        """The server sent 334 and waits for a continuation line (a secret)."""
        return self.session is not None and self.session.protocol.state.value == "auth"

    def prompt_label(self) -> str:
        if self.raw_mode:
            return "raw> "
        if self.session is None:
            return "smtpcheck> "
        return f"{self.host}{' (tls)' if self.session.under_tls else ''}> "

    def _t(self, key: str, **fmt: object) -> str:
        return msg(key, self.settings.lang, **fmt)

    # -- output -------------------------------------------------------------------

    def show(self, lines: list[Styled], *, log: bool = True) -> None:
        self.emit(lines)
        if log and self.logfile is not None:
            self.logfile.write(paint(lines, colour=False))
            self.logfile.flush()

    def note(self, text: str) -> None:
        self.show([Styled("note", f"=== {text}")])

    def error(self, text: str) -> None:
        self.errors += 1
        self.show([Styled("error", f"*** {text}")])

    def info(self, text: str, *, log: bool = False) -> None:
        self.show([Styled("info", line) for line in text.split("\n")], log=log)

    def _on_entry(self, entry: Entry) -> None:
        raw = self._sending_raw and entry.direction is Direction.SENT
        if entry.direction is Direction.ERROR:
            self.errors += 1
        self.show(entry_lines(entry, raw=raw, explain=self.settings.explain))

    def _annotate(self, reply: Reply, step: str) -> str | None:
        from smtpcheck.knowledge.hints import normalize_step
        from smtpcheck.scenarios.annotate import short_meaning

        return short_meaning(reply, normalize_step(reply.command or step) or "", self.settings.lang)
