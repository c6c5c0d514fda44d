"""`smtpcheck mx`: where a domain's mail goes (MX, A, AAAA), what is wrong with it.

This module is imported for `smtpcheck mx --help`, so it imports only click at module
level: the scenario (scenarios/mx.py: asyncio, dnspython) and the renderer
(report/render_mx.py: rich) load when the command runs.
"""

from __future__ import annotations

import json
import sys
from typing import NoReturn

import click

from smtpcheck.cli.common_options import UsageErrorExitsOne, dns_option, lang_option, output_option

EXIT_INTERRUPTED = 130

EPILOG = """\b
Examples:
  smtpcheck mx fabrikam.com
  smtpcheck mx kate@fabrikam.com              # the domain of an address
  smtpcheck mx bücher.example --output json   # IDN: asks for xn--bcher-kva
  smtpcheck mx example.test --dns 127.0.0.1:5353 --timeout 2
  smtpcheck mx example.test --dns [::1]:5353 -6

\b
Exit codes:
  0  mail can be delivered: at least one mail host has an address
  1  usage error (bad option, domain or --dns value)
  2  the domain takes no mail: null MX, does not exist (NXDOMAIN),
     no MX/A/AAAA records, or no mail host has a (selected) address
  3  DNS failure: SERVFAIL, timeout, REFUSED, no DNS server reachable"""


def _fail(message: str, code: int, lang: str) -> NoReturn:
    from smtpcheck.knowledge.i18n import t

    click.echo(t("mx.error", lang, message=message), err=True)
    sys.exit(code)


@click.command(
    "mx",
    cls=UsageErrorExitsOne,  # 2 means "no mail" here
    epilog=EPILOG,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.argument("domain")
@dns_option(
    "Ask this DNS server (IPv6 as [::1]:5353) instead of the system resolver.", "dns_server"
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True, max=300),
    default=5.0,
    show_default=True,
    metavar="SECONDS",
    help="Hard deadline for each DNS query.",
)
@output_option("Report format; JSON is described in docs/json-mx.md.")
@click.option("-4", "family", flag_value=4, type=int, help="Only IPv4 addresses count.")
@click.option("-6", "family", flag_value=6, type=int, help="Only IPv6 addresses count.")
@lang_option("Language of the report and messages, text and JSON (default: from the locale).")
def mx(
    domain: str,
    dns_server: str | None,
    timeout: float,
    output: str,
    family: int | None,
    lang: str | None,
) -> None:
    """Show where mail for DOMAIN goes: its MX records by preference, each
    exchange's IPv4/IPv6 addresses with their TTLs, and what is wrong.

    DOMAIN may be a domain (a trailing dot is fine), an e-mail address, or an
    internationalized name. A domain without MX records but with an address is
    reported as an implicit MX (RFC 5321 §5.1); '0 .' as a null MX (RFC 7505).
    Warnings cover MX records that point at an alias (CNAME), at an IP address,
    or at a name that does not resolve, each with what to change. The DNSSEC AD
    flag is shown when the resolver validates.
    """
    import asyncio

    from smtpcheck.knowledge.i18n import pick_language, t
    from smtpcheck.scenarios.mx import MxError, MxOptions, run_mx

    language = pick_language(lang)
    options = MxOptions(domain, dns_server, timeout, family, language)
    try:
        report = asyncio.run(run_mx(options))
    except MxError as error:
        _fail(error.message, error.exit_code, language)
    except KeyboardInterrupt:
        _fail(t("mx.interrupted", language), EXIT_INTERRUPTED, language)
    if output == "json":
        from smtpcheck.report.render_mx import mx_document

        click.echo(json.dumps(mx_document(report), indent=2, ensure_ascii=False))
    else:
        from smtpcheck.report.render_mx import render_mx_text

        render_mx_text(report, language)
        failure = report.data["text"]["failure"]
        if failure:
            click.echo(failure, err=True)
    sys.exit(report.exit_code)
