"""`smtpcheck send`: the scripted test transaction, with swaks' option names."""

from __future__ import annotations

import os
import socket
import sys
from typing import Any

import click

from smtpcheck.cli.send_params import apply_options

EXIT_CODES_HELP = """\b
Exit codes (swaks' numbering):
  0  success (also after --quit-after / --drop-after)
  1  bad options or input           2  could not connect
  6  connection closed unexpectedly 7  no mail host found (DNS)
  21 banner not 220                 22 EHLO/HELO/LHLO refused
  23 MAIL FROM refused              24 every RCPT TO refused
  25 DATA refused                   26 message refused after the final dot
  27 QUIT refused                   28 AUTH failed or not offered
  29 STARTTLS/TLS failed            30 PRDR asked for but not offered
  32 EHLO refused after STARTTLS    33 XCLIENT failed or not offered
  34 EHLO refused after XCLIENT     35 bad PROXY options
  36 PROXY header could not be sent
A partial recipient rejection exits 0 but is shown, and listed in the JSON."""

EXAMPLES = """\b
Examples:
  smtpcheck send --server mx1.fabrikam.com --from chris@contoso.com --to kate@fabrikam.com
  smtpcheck send --to kate@fabrikam.com                  # looks up the MX of fabrikam.com
  smtpcheck send -s smtp.example.com:587 --tls --auth --auth-user me@example.com --to x@y.z
  smtpcheck send -s 127.0.0.1:2525 --to a@example.test --quit-after rcpt --output json
  smtpcheck send -s mail.example.com --tls-on-connect --to a@example.com --data @msg.eml"""


def _split_recipients(values: tuple[str, ...]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _parse_timeout(value: str) -> float:
    text = value.strip().lower()
    scale = {"s": 1.0, "m": 60.0, "h": 3600.0}.get(text[-1:])
    number = text[:-1] if scale else text
    try:
        seconds = float(number) * (scale or 1.0)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a duration (e.g. 30, 30s, 2m)") from None
    if seconds <= 0:
        raise click.BadParameter("must be more than 0")
    return seconds


def _default_sender() -> str:
    user = os.environ.get("LOGNAME") or os.environ.get("USER") or "smtpcheck"
    return f"{user}@{socket.gethostname()}"


class SendCommand(click.Command):
    """Reads the config file and SMTPCHECK_OPT_* variables, expands --h-NAME, prompts."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        from smtpcheck.cli.send_args import merge

        try:
            merged = merge(self, args)
        except click.UsageError as exc:
            exc.ctx = ctx
            raise
        except (click.Abort, EOFError):
            raise click.UsageError("aborted", ctx) from None
        return super().parse_args(ctx, merged)


@click.command(
    "send",
    cls=SendCommand,
    epilog=EXAMPLES + "\n\n" + EXIT_CODES_HELP,
    context_settings={"help_option_names": ["--help"], "max_content_width": 100},
)
@apply_options
def send(**params: Any) -> None:
    """Run one SMTP transaction and show exactly what was said.

    Connects, reads the banner, says EHLO, optionally upgrades with STARTTLS and
    authenticates, then sends MAIL FROM, RCPT TO for each recipient, DATA with a test
    message (or yours), and QUIT. Every reply is shown with its meaning; the step that
    fails is explained with its likely causes and fixes.

    Markers: ' -> ' sent, '<-  ' received, ' ~>' / '<~ ' under TLS, '<** ' a reply the
    step did not expect, '=== ' notes, '*** ' errors.
    """
    from smtpcheck.cli.main import import_module

    runner = import_module("smtpcheck.cli.send_runner")  # asyncio and the scenario
    sys.exit(runner.run(params))
