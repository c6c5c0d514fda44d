"""`smtpcheck console`: type SMTP by hand, as with telnet, minus telnet's pains.

Interactive on a terminal (prompt_toolkit, imported only then); from `--script FILE`
or a pipe, the same commands run headless and print the same transcript.
"""

from __future__ import annotations

import os
import sys
from typing import IO

import click

EXAMPLES = """\b
Examples:
  smtpcheck console mail1.fabrikam.com 25
  smtpcheck console --tls smtp.example.com 465     # TLS from the first byte
  smtpcheck console                                 # then: open kate@fabrikam.com
  smtpcheck console --script session.txt            # run a saved session
  printf 'open 127.0.0.1 2525\\nEHLO me\\nquit\\n' | smtpcheck console

\b
At the prompt: help, open, starttls, auth, data, bdat, explain, raw, set, quit.
Environment: SMTPCHECK_CONSOLE_HISTORY (history file), SMTPCHECK_PASSWORD (password for
`auth` in script mode), NO_COLOR."""


def history_path() -> str:
    """Where the command history lives across runs."""
    explicit = os.environ.get("SMTPCHECK_CONSOLE_HISTORY")
    if explicit:
        return explicit
    base = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    return os.path.join(base, "smtpcheck", "console_history")


@click.command(
    "console",
    epilog=EXAMPLES,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.argument("host", required=False)
@click.argument("port", required=False, type=click.IntRange(1, 65535))
@click.option("--tls", "implicit_tls", is_flag=True, help="TLS from the first byte (port 465).")
@click.option(
    "--script",
    "script",
    type=click.File("r", encoding="utf-8"),
    help="Run the commands in FILE (- for stdin) without prompting.",
)
@click.option("--logfile", help="Write the transcript to FILE (as `set logfile FILE`).")
@click.option("--timeout", default=30.0, show_default=True, help="Seconds to wait per step.")
@click.option("--tls-verify", is_flag=True, help="Refuse certificates that do not verify.")
@click.option("--ca-file", help="Trust the CA certificates in FILE (PEM).")
@click.option("--dns", help="DNS server for `open user@domain` (IP[:port]).")
@click.option("--no-explain", is_flag=True, help="Do not show each reply's meaning.")
@click.option("--lang", help="en or it (default: from the locale).")
def console(
    host: str | None,
    port: int | None,
    implicit_tls: bool,
    script: IO[str] | None,
    logfile: str | None,
    timeout: float,
    tls_verify: bool,
    ca_file: str | None,
    dns: str | None,
    no_explain: bool,
    lang: str | None,
) -> None:
    """Type SMTP by hand: a telnet replacement that speaks STARTTLS and explains replies.

    Connects to HOST (port 25, or 465 with --tls) when given, then reads commands:
    SMTP lines go to the server as typed; `help` lists the console's own commands.
    """
    import asyncio

    from smtpcheck.console.render import Styled, paint
    from smtpcheck.console.session import ConsoleEngine, Settings
    from smtpcheck.knowledge.i18n import pick_language

    settings = Settings(
        lang=pick_language(lang),
        explain=not no_explain,
        timeout=timeout,
        tls_verify=tls_verify,
        ca_file=ca_file,
        dns=dns,
    )
    startup = []
    if logfile:
        startup.append(f"set logfile {logfile}")
    if host:
        startup.append(f"open {'--tls ' if implicit_tls else ''}{host} {port or ''}".strip())
    interactive = script is None and sys.stdin.isatty() and sys.stdout.isatty()
    colour = "NO_COLOR" not in os.environ and sys.stdout.isatty()

    def emit(lines: list[Styled]) -> None:
        sys.stdout.write(paint(lines, colour))
        sys.stdout.flush()

    if interactive:
        from smtpcheck.console.app import run_app

        code = asyncio.run(run_app(settings, startup, history_path()))
        sys.exit(code)
    from smtpcheck.console.script import ScriptPrompter, run_script, script_lines

    text = script.read() if script is not None else sys.stdin.read()
    prompter = ScriptPrompter(script_lines(text))
    engine = ConsoleEngine(emit, prompter, settings, echo_commands=True)
    prompter.engine = engine

    async def main() -> int:
        for line in startup:
            await engine.handle(line)
        return await run_script(engine, prompter)

    try:
        code = asyncio.run(main())
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)
