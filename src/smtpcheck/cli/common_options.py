"""Options and command behaviour that several subcommands share, defined once.

Each command keeps its own help text (what the option means *there*); the name, type,
choices and default live here. Imports only click, so `--help` stays fast.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

LANGUAGES = ("en", "it")
OUTPUT_FORMATS = ("text", "json")


class UsageErrorExitsOne(click.Command):
    """Usage errors exit with status 1 (the project's convention), not click's 2.

    Commands whose exit code 2 means something else (`mx`: no mail) need this.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as error:
            # exit_code is a class attribute in click; override it on this instance only.
            setattr(error, "exit_code", 1)  # noqa: B010
            raise


def lang_option(help: str) -> Callable[[F], F]:
    """`--lang en|it`; None when not given (the locale decides)."""
    return click.option("--lang", type=click.Choice(LANGUAGES), default=None, help=help)


def output_option(help: str, *names: str) -> Callable[[F], F]:
    """`--output text|json` (plus any short `names`, e.g. "-o"), text by default."""
    return click.option(
        *names,
        "--output",
        "output",
        type=click.Choice(OUTPUT_FORMATS),
        default="text",
        show_default=True,
        help=help,
    )


def dns_option(help: str, dest: str = "dns") -> Callable[[F], F]:
    """`--dns IP[:PORT]`: the DNS server to ask instead of the system's."""
    return click.option("--dns", dest, metavar="IP[:PORT]", help=help)
