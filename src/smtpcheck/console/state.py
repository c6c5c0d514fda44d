"""What one console knows, in explicit objects that every command takes.

`ConsoleState` holds the settings, the connection, the last reply, the envelope typed
so far and the `Output` (the front end's `emit`, the log file, the count of failed
steps). The commands are plain functions over it (console/connection.py,
smtp_lines.py, auth_helper.py, local_commands.py), and `ConsoleEngine`
(console/session.py) dispatches typed lines to them: no command keeps state of its own.
Output never goes to a terminal from here: every line goes to `emit` as `Styled` text
(and to the log file, when set).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Protocol

from smtpcheck.console.messages import msg
from smtpcheck.console.render import Styled, paint
from smtpcheck.net.session import SmtpSession
from smtpcheck.protocol import ClientState, Reply
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


class Output:
    """Where the console's lines go: the front end's `emit`, and the log file when set.

    It also counts the failed steps, which make a script's exit status.
    """

    def __init__(self, emit: Emit) -> None:
        self.emit = emit
        self.errors = 0
        self.logfile: IO[str] | None = None
        self.logfile_path: str | None = None

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

    def start_log(self, path: str) -> None:
        """Append every line shown from now on to `path` (made readable by us only)."""
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self.logfile = os.fdopen(descriptor, "a", encoding="utf-8")
        self.logfile_path = path

    def stop_log(self) -> str | None:
        """Close the log file; the path it had, or None when there was none."""
        logfile, path = self.logfile, self.logfile_path
        self.logfile = self.logfile_path = None
        if logfile is not None:
            logfile.close()
        return path


@dataclass
class Envelope:
    """The sender and recipients typed so far (for the message template)."""

    sender: str | None = None
    recipients: list[str] = field(default_factory=list)


@dataclass
class ConsoleState:
    """The state of one console: settings, the connection, the last reply, the output."""

    output: Output
    prompter: Prompter
    settings: Settings = field(default_factory=Settings)
    session: SmtpSession | None = None
    host: str | None = None  # the name we connected to (for SNI and checks)
    last_reply: Reply | None = None
    raw_mode: bool = False
    envelope: Envelope = field(default_factory=Envelope)
    sending_raw: bool = False  # what is being sent now is raw bytes (shown as such)

    @property
    def connected(self) -> bool:
        return self.session is not None and self.session.connected

    @property
    def ehlo(self) -> EhloInfo | None:
        return self.session.protocol.ehlo if self.session is not None else None

    @property
    def in_auth_exchange(self) -> bool:
        """The server sent 334 and waits for a continuation line (a secret)."""
        return self.session is not None and self.session.protocol.state is ClientState.AUTH

    def t(self, key: str, **fmt: object) -> str:
        """The console message `key` in the language in force."""
        return msg(key, self.settings.lang, **fmt)
