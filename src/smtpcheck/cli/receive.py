"""`smtpcheck receive`: grade the mail a server sends.

    smtpcheck receive [--listen 127.0.0.1:2525]          listen; grade each message live
    smtpcheck receive --analyze FILE.eml [--client-ip IP --helo NAME --mail-from ADDR]
    smtpcheck receive --analyze FILE.eml --from-headers   session read from its headers
    smtpcheck receive list | show ID [--output json | --html FILE]
    smtpcheck receive outbound HOST[:PORT]                can this machine reach port 25?

Only click is imported here; the scenario, dnspython, dkimpy and the sink load when a
command runs (`cli/receive_runner.py`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from smtpcheck.cli.common_options import dns_option, lang_option, output_option

EXAMPLES = """\b
Examples:
  smtpcheck receive                                   # listen on 127.0.0.1:2525
  smtpcheck receive --listen 0.0.0.0:25 --allow-public --hostname mx.example.org
  smtpcheck receive --analyze msg.eml --client-ip 192.0.2.10 \\
      --helo mail.example.org --mail-from bounce@example.org
  smtpcheck receive --analyze delivered.eml --from-headers --lang it
  smtpcheck receive --analyze msg.eml --bulk --output json
  smtpcheck receive list
  smtpcheck receive show 3 --html report.html
  smtpcheck receive outbound mx.example.org           # is port 25 blocked here?
"""

STORE_OPTION = click.option(
    "--store",
    "store_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where messages and reports are kept (default: ~/.local/share/smtpcheck/receive).",
)


def _seconds(ctx: click.Context, param: click.Parameter, value: float) -> float:
    if value <= 0:
        raise click.BadParameter("must be more than 0 seconds")
    return value


def _run(params: dict[str, Any], action: str) -> None:
    from smtpcheck.cli.receive_runner import run_receive_command

    sys.exit(run_receive_command(params, action))


@click.group(
    "receive",
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=EXAMPLES,
)
@click.option(
    "--listen",
    default="127.0.0.1:2525",
    show_default=True,
    metavar="HOST:PORT",
    help="Where to listen for mail (loopback unless --allow-public).",
)
@click.option("--allow-public", is_flag=True, help="Allow a non-loopback listen address.")
@click.option("--hostname", default=None, help="Name in the banner, EHLO reply and certificate.")
@click.option("--tls-cert", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--tls-key", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option(
    "--no-starttls", is_flag=True, help="Do not offer STARTTLS (to see a client without)."
)
@STORE_OPTION
@click.option(
    "--analyze",
    "analyze_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="FILE",
    help="Grade a saved message (.eml) instead of listening.",
)
@click.option("--client-ip", metavar="IP", help="With --analyze: the address it came from.")
@click.option("--helo", metavar="NAME", help="With --analyze: the HELO/EHLO name it used.")
@click.option(
    "--mail-from",
    metavar="ADDRESS",
    help="With --analyze: the envelope sender (MAIL FROM); '' for the null sender.",
)
@click.option(
    "--from-headers",
    is_flag=True,
    help="With --analyze: take the session from Received/Return-Path and compare with "
    "the receiver's Authentication-Results.",
)
@click.option("--bulk", is_flag=True, help="Treat the mail as bulk (5,000 a day or more).")
@dns_option("Ask this DNS server instead of the system's.")
@click.option(
    "--dnsbl-zones",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="FILE",
    help="Blocklists to ask, a TOML file in the form of the built-in list (see docs).",
)
@click.option("--no-dnsbl", is_flag=True, help="Do not ask any blocklist.")
@click.option(
    "-t",
    "--timeout",
    type=float,
    default=10.0,
    show_default=True,
    callback=_seconds,
    help="Deadline of the DNS work for one message, in seconds.",
)
@output_option("Report format on standard output.", "-o")
@click.option(
    "--html",
    "html_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="FILE",
    help="Also write the report as one self-contained HTML file.",
)
@click.option("-v", "--verbose", is_flag=True, help="Every finding, passes included.")
@lang_option("Language of the report (default: from LANG).")
@click.pass_context
def receive(ctx: click.Context, /, **params: Any) -> None:
    """Grade the mail a server sends: reverse DNS, HELO, TLS, SPF, DKIM, DMARC, ARC,
    blocklists, the message's format, and the Gmail/Yahoo/Microsoft sender rules.

    Without --analyze it listens (the capture server of `smtpcheck sink`): point the
    server under test at it and send one message to any address; each message is
    graded as it arrives, kept, and listed by `receive list`.

    \b
    Exit codes (--analyze): 0 every requirement met, 1 bad input,
    2 warnings only, 3 a requirement missed or another failure.
    """
    ctx.ensure_object(dict)
    ctx.obj["params"] = params
    if ctx.invoked_subcommand is not None:
        return
    _run(params, "analyze" if params["analyze_file"] else "listen")


@receive.command("list")
@STORE_OPTION
@output_option("List format.", "-o")
@click.pass_context
def list_reports(ctx: click.Context, store_dir: Path | None, output: str) -> None:
    """List the graded messages, oldest first."""
    params = dict(ctx.obj["params"])
    params.update(store_dir=store_dir or params["store_dir"], output=output)
    _run(params, "list")


@receive.command("show")
@click.argument("ident", metavar="ID")
@STORE_OPTION
@output_option("Report format.", "-o")
@click.option("--html", "html_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-v", "--verbose", is_flag=True)
@lang_option("Language of the labels (the findings keep the language they were made in).")
@click.pass_context
def show(ctx: click.Context, /, ident: str, **options: Any) -> None:
    """Show the report of one message: by id, unique id prefix, or position in `list`."""
    params = dict(ctx.obj["params"])
    params.update({k: v for k, v in options.items() if v not in (None, False)})
    params["output"] = options["output"]
    params["ident"] = ident
    _run(params, "show")


@receive.command("outbound")
@click.argument("target", metavar="HOST[:PORT]")
@click.option("-t", "--timeout", type=float, default=10.0, show_default=True, callback=_seconds)
@output_option("Result format.", "-o")
@click.pass_context
def outbound(ctx: click.Context, target: str, timeout: float, output: str) -> None:
    """Can this machine reach port 25 of TARGET (a mail server you name)?

    Connects to port 25 and, to compare, 587 and 465: a timeout on 25 while the others
    answer means port 25 is filtered on the way (many home and cloud networks block
    it). Nothing is sent but QUIT.

    \b
    Exit codes: 0 reachable, 1 bad input, 4 blocked or unreachable.
    """
    params = dict(ctx.obj["params"])
    params.update(target=target, timeout=timeout, output=output)
    _run(params, "outbound")
