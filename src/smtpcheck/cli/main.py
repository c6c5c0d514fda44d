"""The `smtpcheck` entry point: a click group whose subcommands load lazily.

Each subcommand lives in its own module under `smtpcheck.cli` and is imported only
when it is invoked (or when its help is shown), so `smtpcheck --help` and
`smtpcheck explain` never pay for asyncio, dnspython or cryptography.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
from collections.abc import Iterator
from types import ModuleType
from typing import Any

from smtpcheck import __version__


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while modules are imported.

    Importing creates many long-lived objects (classes, functions, their dicts) and next
    to no garbage, yet those allocations set off collection after collection (dozens
    during `send`'s start-up) that each walk the new objects for nothing. Afterwards the
    objects that exist are moved out of the collector's sight (`gc.freeze()`: modules and
    their contents live as long as the process), and the collector is back on (if it was
    on), however the block ends. Kept because an A/B of bench/startup.py --baseline
    shows it pays.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


with collector_paused():
    import click  # under collector_paused: see above

# name -> (module, attribute, one-line help shown in `smtpcheck --help`)
SUBCOMMANDS: dict[str, tuple[str, str, str]] = {
    "send": ("smtpcheck.cli.send", "send", "Run a scripted SMTP transaction (swaks-style)."),
    "explain": ("smtpcheck.cli.explain", "explain", "Explain a reply code or reply text, offline."),
    "mx": ("smtpcheck.cli.mx", "mx", "Show where a domain's mail goes (MX, A, AAAA)."),
    "check": ("smtpcheck.cli.check", "check", "Test every mail server of an address or domain."),
    "sink": ("smtpcheck.cli.sink", "sink", "Run a local capture SMTP server."),
    "receive": (
        "smtpcheck.cli.receive",
        "receive",
        "Grade the mail a server sends (SPF, DKIM, DMARC...).",
    ),
    "demo": ("smtpcheck.cli.demo", "demo", "Offline demo against the embedded capture server."),
    "console": (
        "smtpcheck.cli.console",
        "console",
        "Type SMTP by hand: a telnet replacement that speaks STARTTLS and explains replies.",
    ),
    "web": ("smtpcheck.cli.web", "web", "Serve a web page for check, explain and the mailbox."),
}


class LazyGroup(click.Group):
    """A group that imports a subcommand's module only when it is needed."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name, (module, _, _) in SUBCOMMANDS.items() if _available(module)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = SUBCOMMANDS.get(cmd_name)
        if entry is None:
            return None
        module_name, attribute, _ = entry
        # Import it straight away (no find_spec first: importlib.util and a second path
        # search for every command run); a module left out of this build means no command.
        try:
            module = import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            return None
        command: click.Command = getattr(module, attribute)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Short help comes from the table, so listing commands imports nothing.
        rows = [(name, SUBCOMMANDS[name][2]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def import_module(name: str) -> ModuleType:
    """`importlib.import_module` under `collector_paused()` (a subcommand, send's runner)."""
    with collector_paused():
        return importlib.import_module(name)


def _available(module_name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module_name) is not None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="smtpcheck")
def cli() -> None:
    """smtpcheck tests, explains and helps fix SMTP mail flow.

    Run `smtpcheck COMMAND --help` for the manual of each command.
    """


#: exit code for a failure of smtpcheck itself (a bug), as sysexits' EX_SOFTWARE
INTERNAL_ERROR = 70


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point: a bug gives one line, not a traceback.

    Set SMTPCHECK_DEBUG=1 to see the traceback of such a failure.
    """
    import os
    import sys

    try:
        from smtpcheck.cli import data_cache

        data_cache.install()  # parsed knowledge tables kept between runs
        return cli.main(args=argv, prog_name="smtpcheck", standalone_mode=True)
    except KeyboardInterrupt:
        sys.stderr.write("smtpcheck: interrupted\n")
        sys.exit(130)
    except Exception as exc:  # anything click did not handle is a bug of ours
        if os.environ.get("SMTPCHECK_DEBUG"):
            raise
        sys.stderr.write(
            f"smtpcheck: internal error: {type(exc).__name__}: {exc} "
            "(run again with SMTPCHECK_DEBUG=1 for details, and please report it)\n"
        )
        sys.exit(INTERNAL_ERROR)


if __name__ == "__main__":  # pragma: no cover
    main()
