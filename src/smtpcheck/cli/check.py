"""`smtpcheck check ADDRESS|DOMAIN`: find where the mail goes and test every door.

Only click is imported at module level; the scenario, dnspython, cryptography and rich
load when the command runs (see `run_check_command`).
"""

from __future__ import annotations

import sys

import click

from smtpcheck.cli.common_options import dns_option, lang_option, output_option

EXAMPLES = """\b
Examples:
  smtpcheck check kate@fabrikam.com
  smtpcheck check fabrikam.com --first
  smtpcheck check kate@fabrikam.com --server mail1.fabrikam.com --send
  smtpcheck check kate@fabrikam.com --output json > report.json
  smtpcheck check kate@fabrikam.com --html report.html --lang it
"""


def _seconds(ctx: click.Context, param: click.Parameter, value: float) -> float:
    if value <= 0:
        raise click.BadParameter("must be more than 0 seconds")
    return value


@click.command("check", context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXAMPLES)
@click.argument("target", metavar="ADDRESS|DOMAIN")
@click.option(
    "-s", "--server", metavar="HOST[:PORT]", help="Test this host only, without MX lookup."
)
@click.option(
    "-p",
    "--port",
    type=click.IntRange(1, 65535),
    default=25,
    show_default=True,
    help="Port to test (587, 465 or 2525 instead of 25).",
)
@click.option("--first", is_flag=True, help="Stop at the first host that accepts the recipient.")
@dns_option("Ask this DNS server instead of the system's.")
@click.option("--ehlo", metavar="NAME", help="Name to send with EHLO (default: this host's FQDN).")
@click.option(
    "-f",
    "--from",
    "sender",
    metavar="ADDRESS",
    help="MAIL FROM address (default: smtpcheck@ the EHLO name).",
)
@click.option("--null-sender", is_flag=True, help="Use the null sender <> for MAIL FROM.")
@click.option(
    "--send",
    is_flag=True,
    help="Send a uniquely identified test message (DATA); default: QUIT before DATA.",
)
@click.option(
    "--no-probes", is_flag=True, help="Skip the postmaster, unknown-user and relay probes."
)
@click.option("--no-postmaster-probe", is_flag=True, help="Skip the postmaster@ probe.")
@click.option("--no-random-probe", is_flag=True, help="Skip the unknown-recipient probe.")
@click.option("--no-relay-probe", is_flag=True, help="Skip the open-relay probe.")
@click.option("--relay-rcpt", metavar="ADDRESS", help="Foreign recipient for the relay probe.")
@click.option("--no-starttls", is_flag=True, help="Do not try STARTTLS.")
@click.option(
    "--tls-ca",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Trust the CA certificates in FILE instead of the system store.",
)
@click.option(
    "-t",
    "--timeout",
    type=float,
    default=30.0,
    show_default=True,
    callback=_seconds,
    help="Deadline of each network step, in seconds.",
)
@click.option(
    "--timeout-total",
    type=float,
    default=180.0,
    show_default=True,
    callback=_seconds,
    help="Deadline of the whole check, in seconds.",
)
@output_option("Report format on standard output.", "-o")
@click.option(
    "--html",
    "html_file",
    type=click.Path(dir_okay=False, writable=True),
    metavar="FILE",
    help="Also write the report as one self-contained HTML file.",
)
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="Every capability, every finding and the full transcripts.",
)
@lang_option("Language of the report (default: from LANG).")
def check(**params: object) -> None:
    """Test where mail for ADDRESS (or DOMAIN) goes and say what is wrong.

    Looks up the MX hosts (as `smtpcheck mx` does), then tests every address of every
    host at once: TCP connect, greeting, reverse DNS, EHLO and each capability,
    STARTTLS with the certificate checked (trust, dates, name, key), MAIL FROM,
    RCPT TO the address, and probes (postmaster@ accepted, an unknown user refused,
    no open relay). With a domain only, postmaster@DOMAIN is the recipient.

    \b
    Exit codes: 0 no problem, 1 bad input, 2 warnings only,
    3 failures but mail gets through somewhere, 4 mail cannot be delivered.
    """
    from smtpcheck.cli.check_runner import run_check_command

    sys.exit(run_check_command(params))
