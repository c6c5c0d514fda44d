"""The console engine: one typed line at a time, over `net.SmtpSession`, headless.

`ConsoleEngine.handle(line)` does what the line says: a console command (open, set,
auth, ...) or an SMTP line sent as typed, then shows the replies it gets. It never
prints: every line goes to `emit` as `Styled` text (and to the log file, when set). It
asks for input (user name, password, message text) through a `Prompter`, which the
prompt_toolkit front end and the script runner each provide. No prompt_toolkit here.

Network failures end in one clear line and the console carries on; a timeout keeps the
connection (a late reply is shown when it comes), anything else drops it.

The engine is put together from mixins, one file each: its state and output
(console/engine_state.py), the connection (connection.py), SMTP lines and messages
(smtp_lines.py), the AUTH helper (auth_helper.py) and set/status/explain
(local_commands.py).
"""

from __future__ import annotations

from smtpcheck.console import commands as console
from smtpcheck.console.auth_helper import AuthHelper
from smtpcheck.console.engine_state import Emit, Prompter, Settings
from smtpcheck.console.local_commands import LocalCommands
from smtpcheck.console.render import Styled
from smtpcheck.console.smtp_lines import SmtpLines

__all__ = ["ConsoleEngine", "Emit", "Prompter", "Settings"]


class ConsoleEngine(SmtpLines, AuthHelper, LocalCommands):
    """One console: reads a line, does what it says, shows what happened."""

    # -- the one entry point --------------------------------------------------------

    async def handle(self, line: str) -> bool:
        """Do what `line` says; False when the console should end."""
        await self.stop_watching()
        try:
            try:
                parsed = console.parse_line(line, raw_mode=self.raw_mode)
            except console.CommandError as exc:
                self.error(str(exc))
                return True
            if self.echo_commands and console.is_console_command(parsed):
                self.show([Styled("echo", f"smtpcheck> {line.strip()}")])
            return await self._dispatch(parsed)
        except (OSError, ValueError, RuntimeError, LookupError, AssertionError) as exc:
            # A bug or an odd system error must not end a session the user built by hand.
            self.error(self._t("unexpected", error=f"{type(exc).__name__}: {exc}"))
            return True
        finally:
            self.start_watching()

    async def _dispatch(self, parsed: console.Parsed) -> bool:
        match parsed:
            case console.Empty():
                pass
            case console.Open():
                await self.open(parsed)
            case console.Close():
                await self.close()
            case console.Quit():
                if self.session is None:
                    return False
                await self.smtp_line("QUIT")
                await self.close(quiet=True)
            case console.Exit():
                return False
            case console.Set():
                self.apply_setting(parsed)
            case console.StartTls():
                await self.smtp_line("STARTTLS")
            case console.AuthHelper():
                await self.authenticate(parsed.mechanism)
            case console.Data():
                await self.smtp_line("DATA")
            case console.Bdat():
                await self.bdat()
            case console.Explain():
                self.explain(parsed.text)
            case console.Raw(data=None):
                self.raw_mode = parsed.on
                self.note(self._t("raw.on" if parsed.on else "raw.off"))
            case console.Raw(data=bytes() as data):
                await self.send_raw(data)
            case console.Status():
                self.status()
            case console.Help():
                self.info(self._t("help"))
            case console.SmtpLine(text=text):
                await self.smtp_line(text)
        return True
