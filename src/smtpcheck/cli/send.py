"""`smtpcheck send`: the scripted test transaction, with swaks' option names."""

from __future__ import annotations

import os
import socket
import sys
from typing import Any

import click

EXIT_CODES_HELP = """\b
Exit codes (swaks' numbering for the stages both tools share):
  0  success (also when stopped by --quit-after)
  1  bad options or input          2  could not connect
  6  connection closed unexpectedly 7  no mail host found (DNS)
  21 banner not 220                22 EHLO/HELO refused
  23 MAIL FROM refused             24 every RCPT TO refused
  25 DATA refused                  26 message refused after the final dot
  27 QUIT refused                  28 AUTH failed or not offered
  29 STARTTLS/TLS failed           32 EHLO refused after STARTTLS
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


@click.command(
    "send",
    epilog=EXAMPLES + "\n\n" + EXIT_CODES_HELP,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "-s",
    "--server",
    metavar="HOST[:PORT]",
    help="Server to talk to: name, IPv4, [IPv6]:port or IPv6/port. "
    "Without it, the MX hosts of the last --to domain are tried in order.",
)
@click.option(
    "-p",
    "--port",
    type=click.IntRange(1, 65535),
    help="Port (default 25; 465 with --tls-on-connect).",
)
@click.option("-4", "ipv4", is_flag=True, help="Connect over IPv4 only.")
@click.option("-6", "ipv6", is_flag=True, help="Connect over IPv6 only.")
@click.option(
    "--local-interface",
    "-li",
    "local_interface",
    metavar="ADDRESS",
    help="Source address to connect from.",
)
@click.option(
    "--ehlo",
    "--helo",
    "ehlo",
    metavar="NAME",
    help="Name sent with EHLO (HELO if EHLO is refused). Default: this host's name.",
)
@click.option(
    "-f",
    "--from",
    "sender",
    metavar="ADDRESS",
    help="Envelope sender (MAIL FROM). '<>' or '' for the null sender.",
)
@click.option(
    "-t",
    "--to",
    "to",
    multiple=True,
    required=True,
    metavar="ADDRESS[,ADDRESS]",
    help="Envelope recipient (RCPT TO); repeat or give a comma list.",
)
@click.option(
    "--tls",
    "tls_required",
    is_flag=True,
    help="Use STARTTLS; fail (exit 29) if it is not offered or fails.",
)
@click.option(
    "--tls-optional",
    "-tlso",
    "tls_optional",
    is_flag=True,
    help="Use STARTTLS if the server offers it, else go on in clear.",
)
@click.option(
    "--tls-on-connect",
    "-tlsc",
    "tls_on_connect",
    is_flag=True,
    help="Implicit TLS from the first byte (port 465, 'SMTPS').",
)
@click.option(
    "--tls-verify",
    is_flag=True,
    help="Verify the server certificate (chain and host name). Off by default, "
    "so servers with self-signed certificates can be tested.",
)
@click.option(
    "--tls-ca",
    "--tls-ca-path",
    "tls_ca",
    type=click.Path(dir_okay=False),
    help="CA certificates (PEM) to verify against, instead of the system store.",
)
@click.option(
    "--tls-sni",
    metavar="NAME",
    help="Server name sent in SNI and verified (default: the host connected to).",
)
@click.option("--tls-min-version", metavar="VERSION", help="Lowest TLS version, e.g. tlsv1_2.")
@click.option("--tls-max-version", metavar="VERSION", help="Highest TLS version, e.g. tlsv1_2.")
@click.option("--tls-cert", type=click.Path(dir_okay=False), help="Client certificate (PEM).")
@click.option("--tls-key", type=click.Path(dir_okay=False), help="Key of the client certificate.")
@click.option(
    "-a",
    "--auth",
    "auth",
    is_flag=False,
    flag_value="ANY",
    default=None,
    metavar="[MECH[,MECH]]",
    help="Authenticate. Optional list of mechanisms (PLAIN, LOGIN, CRAM-MD5, "
    "CRAM-SHA1); bare --auth picks the best one the server offers.",
)
@click.option("-au", "--auth-user", metavar="USER", help="AUTH user name (prompted if missing).")
@click.option(
    "-ap",
    "--auth-password",
    metavar="PASSWORD",
    help="AUTH password (prompted without echo if missing). Never shown in "
    "transcripts, logs or JSON unless --show-secrets.",
)
@click.option(
    "-d",
    "--data",
    metavar="TEXT|@FILE|-",
    help="The whole message (headers and body): text with \\n for newlines, "
    "@file, or - for standard input. Dot-stuffing and CRLF are done for you.",
)
@click.option(
    "--header",
    "headers",
    multiple=True,
    metavar="'NAME: value'",
    help="Set a header (replaces one of the same name); repeatable.",
)
@click.option("--body", metavar="TEXT|@FILE|-", help="Message body for the default message.")
@click.option(
    "--dsn-notify", metavar="WHEN", help="DSN NOTIFY on each RCPT: success,failure,delay or never."
)
@click.option(
    "--dsn-ret",
    type=click.Choice(["full", "hdrs"], case_sensitive=False),
    help="DSN RET on MAIL: return the full message or headers only.",
)
@click.option("--dsn-envid", metavar="ID", help="DSN ENVID on MAIL (envelope identifier).")
@click.option(
    "-q",
    "--quit-after",
    metavar="STEP",
    help="Stop (with QUIT) after: connect, banner, ehlo, tls, auth, mail, rcpt, data.",
)
@click.option(
    "--timeout",
    default="30s",
    show_default=True,
    metavar="DURATION",
    help="Hard deadline for each step (connect, each reply, TLS handshake).",
)
@click.option("--dns", metavar="IP[:PORT]", help="DNS resolver for the MX lookup.")
@click.option(
    "--show-time",
    "--show-time-lapse",
    "show_time",
    is_flag=True,
    help="Show how long each reply took.",
)
@click.option(
    "--log-file",
    type=click.Path(dir_okay=False, writable=True),
    help="Also write the full transcript to this file.",
)
@click.option(
    "--output",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Live transcript, or one JSON report at the end.",
)
@click.option("--no-explain", is_flag=True, help="Do not annotate replies with their meaning.")
@click.option(
    "--show-secrets",
    is_flag=True,
    help="Show AUTH exchanges in clear in the transcript (off by default).",
)
@click.option(
    "--lang",
    type=click.Choice(["en", "it"]),
    default=None,
    help="Language of explanations (default: from LANG).",
)
def send(**params: Any) -> None:
    """Run one SMTP transaction and show exactly what was said.

    Connects, reads the banner, says EHLO, optionally upgrades with STARTTLS and
    authenticates, then sends MAIL FROM, RCPT TO for each recipient, DATA with a test
    message (or yours), and QUIT. Every reply is shown with its meaning; the step that
    fails is explained with its likely causes and fixes.

    Markers: ' -> ' sent, '<-  ' received, ' ~>' / '<~ ' under TLS, '<** ' a reply the
    step did not expect, '=== ' notes, '*** ' errors.
    """
    from smtpcheck.cli.send_runner import run

    sys.exit(run(params))
