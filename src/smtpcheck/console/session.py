"""The console engine: reads one typed line at a time, does what it says, shows the result.

Headless: a line is one of the console's own commands (open, set, auth, ...) or an
SMTP line sent as typed; `ConsoleEngine.handle` reads it and dispatches it to a
function over the console's `ConsoleState` (console/state.py): the connection
(console/connection.py), SMTP lines and messages (smtp_lines.py), the AUTH helper
(auth_helper.py), and set/status/explain (local_commands.py). It never prints: every
line goes to `emit` as `Styled` text (and to the log file, when set). It asks for input
(user name, password, message text) through a `Prompter`, which the prompt_toolkit
front end and the script runner each provide. No prompt_toolkit here.

Network failures end in one clear line and the console carries on; a timeout keeps the
connection (a late reply is shown when it comes), anything else drops it.
"""

from __future__ import annotations

from smtpcheck.console import commands as console
from smtpcheck.console import connection, local_commands, smtp_lines
from smtpcheck.console.auth_helper import authenticate
from smtpcheck.console.render import Styled
from smtpcheck.console.state import ConsoleState, Emit, Output, Prompter, Settings
from smtpcheck.protocol.ehlo import EhloInfo
from smtpcheck.report.visible import visible

__all__ = ["ConsoleEngine", "Emit", "Prompter", "Settings"]


class ConsoleEngine:
    """One console: reads a line, does what it says, shows what happened."""

    def __init__(
        self,
        emit: Emit,
        prompter: Prompter,
        settings: Settings | None = None,
        *,
        watch_idle: bool = False,
        echo_commands: bool = False,
    ) -> None:
        self.output = Output(emit)
        self.state = ConsoleState(self.output, prompter, settings or Settings())
        # show what the server says between commands (the interactive console)
        self._watcher = connection.IdleWatcher(self.state) if watch_idle else None
        self.echo_commands = echo_commands  # script mode: show console commands run

    # -- what front ends look at --------------------------------------------------

    @property
    def errors(self) -> int:
        """Failed steps so far (a script's exit status)."""
        return self.output.errors

    @property
    def ehlo(self) -> EhloInfo | None:
        return self.state.ehlo

    @property
    def raw_mode(self) -> bool:
        return self.state.raw_mode

    @property
    def in_auth_exchange(self) -> bool:
        return self.state.in_auth_exchange

    def prompt_label(self) -> str:
        state = self.state
        if state.raw_mode:
            return "raw> "
        if state.session is None:
            return "smtpcheck> "
        host = visible(state.host or "")  # an MX name comes from DNS: shown escaped
        return f"{host}{' (tls)' if state.session.under_tls else ''}> "

    def t(self, key: str, **fmt: object) -> str:
        return self.state.t(key, **fmt)

    # -- the one entry point --------------------------------------------------------

    async def handle(self, line: str) -> bool:
        """Do what `line` says; False when the console should end."""
        await self._stop_watching()
        try:
            try:
                parsed = console.parse_line(line, raw_mode=self.state.raw_mode)
            except console.CommandError as exc:
                self.output.error(str(exc))
                return True
            if self.echo_commands and console.is_console_command(parsed):
                self.output.show([Styled("echo", f"smtpcheck> {line.strip()}")])
            return await self._dispatch(parsed)
        except (OSError, ValueError, RuntimeError, LookupError, AssertionError) as exc:
            # A bug or an odd system error must not end a session the user built by hand.
            self.output.error(self.t("unexpected", error=f"{type(exc).__name__}: {exc}"))
            return True
        finally:
            if self._watcher is not None:
                self._watcher.start()

    async def _dispatch(self, parsed: console.Parsed) -> bool:
        state = self.state
        match parsed:
            case console.Empty():
                pass
            case console.Open():
                await connection.open_connection(state, parsed)
            case console.Close():
                await connection.close(state)
            case console.Quit():
                if state.session is None:
                    return False
                await smtp_lines.smtp_line(state, "QUIT")
                await connection.close(state, quiet=True)
            case console.Exit():
                return False
            case console.Set():
                local_commands.apply_setting(state, parsed)
            case console.StartTls():
                await smtp_lines.smtp_line(state, "STARTTLS")
            case console.AuthHelper():
                await authenticate(state, parsed.mechanism)
            case console.Data():
                await smtp_lines.smtp_line(state, "DATA")
            case console.Bdat():
                await smtp_lines.bdat(state)
            case console.Explain():
                local_commands.explain(state, parsed.text)
            case console.Raw(data=None):
                state.raw_mode = parsed.on
                self.output.note(self.t("raw.on" if parsed.on else "raw.off"))
            case console.Raw(data=bytes() as data):
                await smtp_lines.send_raw(state, data)
            case console.Status():
                local_commands.status(state)
            case console.Help():
                self.output.info(self.t("help"))
            case console.SmtpLine(text=text):
                await smtp_lines.smtp_line(state, text)
        return True

    # -- leaving ------------------------------------------------------------------------

    async def _stop_watching(self) -> None:
        if self._watcher is not None:
            await self._watcher.stop()

    async def interrupted(self) -> None:
        """After Ctrl-C stopped a command: drop the connection, as its state is unknown."""
        self.output.note(self.t("interrupted"))
        await self._stop_watching()
        await connection.drop(self.state)

    async def shutdown(self) -> None:
        """Leave nothing open: the watcher, the connection (no QUIT), the log file."""
        await self._stop_watching()
        await connection.drop(self.state)
        self.output.stop_log()
