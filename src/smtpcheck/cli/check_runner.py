"""The heavy half of `smtpcheck check`, imported only when the command runs."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import click

from smtpcheck.knowledge.i18n import pick_language
from smtpcheck.localname import local_fqdn
from smtpcheck.report.model import Report
from smtpcheck.scenarios.check.options import CheckExit, CheckOptions
from smtpcheck.scenarios.check.run import run_check


def default_ehlo() -> str:
    """This machine's fully qualified name, found without DNS (no getfqdn: its reverse
    lookup could leave the machine)."""
    return local_fqdn()


def build_options(params: dict[str, Any]) -> CheckOptions:
    ehlo = params["ehlo"] or default_ehlo()
    sender = params["sender"] or f"smtpcheck@{ehlo if '.' in ehlo else 'localhost.localdomain'}"
    no_probes = params["no_probes"]
    extra: dict[str, Any] = {}
    if params["relay_rcpt"]:
        extra["relay_recipient"] = params["relay_rcpt"]
    return CheckOptions(
        target=params["target"],
        server=params["server"],
        port=params["port"],
        first=params["first"],
        dns=params["dns"],
        ehlo=ehlo,
        sender=sender,
        null_sender=params["null_sender"],
        send=params["send"],
        probe_postmaster=not (no_probes or params["no_postmaster_probe"]),
        probe_random=not (no_probes or params["no_random_probe"]),
        probe_relay=not (no_probes or params["no_relay_probe"]),
        starttls=not params["no_starttls"],
        tls_ca=params["tls_ca"],
        timeout=params["timeout"],
        timeout_total=params["timeout_total"],
        lang=pick_language(params["lang"]),
        **extra,
    )


def emit(
    report: Report, options: CheckOptions, output: str, verbose: bool, html_file: str | None
) -> None:
    if output == "json":
        json.dump(report.to_dict(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        from smtpcheck.report.render_text import render_text

        render_text(report, sys.stdout, options.lang, verbose=verbose)
    if html_file:
        from smtpcheck.report.render_html import render_html

        try:
            Path(html_file).write_text(render_html(report, options.lang), encoding="utf-8")
        except OSError as exc:
            click.echo(f"smtpcheck check: cannot write {html_file}: {exc.strerror}", err=True)


def run_check_command(params: dict[str, Any]) -> int:
    options = build_options(params)
    try:
        report = asyncio.run(run_check(options))
    except KeyboardInterrupt:
        click.echo("smtpcheck check: interrupted", err=True)
        return 130
    if report.exit_code == CheckExit.USAGE:
        click.echo(f"smtpcheck check: {report.verdict}", err=True)
        return int(CheckExit.USAGE)
    emit(report, options, params["output"], params["verbose"], params["html_file"])
    return report.exit_code
