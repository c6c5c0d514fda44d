"""`smtpcheck demo`: the seed's test session and its classic failures, fully offline.

Starts the capture server on loopback as `mail1.fabrikam.com` (the Exchange persona,
with rules that reproduce the failures) and a built-in DNS server for fabrikam.com and
contoso.com, runs `check` against them for each case, and stops everything before
returning. No network beyond 127.0.0.1.
"""

from __future__ import annotations

import sys

import click

from smtpcheck.cli.common_options import lang_option


@click.command("demo", context_settings={"help_option_names": ["-h", "--help"]})
@lang_option("Language of the explanations (default: from LANG).")
@click.option("--no-explain", is_flag=True, help="Do not annotate replies with their meaning.")
def demo(lang: str | None, no_explain: bool) -> None:
    """Run the offline demo: a successful session, then the classic failures.

    Everything happens on 127.0.0.1: `smtpcheck check` finds the MX of fabrikam.com
    through a built-in DNS server and tests smtpcheck's own capture server dressed as
    the Exchange server of the seed article (mail1.fabrikam.com): the successful
    session, an unknown recipient (550 5.1.1), a server that takes no anonymous mail
    (530 5.7.1), an invalid EHLO name (501 5.5.4), and a refused connection.
    Nothing is left running afterwards.
    """
    from smtpcheck.cli.demo_runner import run_demo

    sys.exit(run_demo(lang, explain=not no_explain))
