"""The heavy half of `smtpcheck check`, imported only when the command runs."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import click

from smtpcheck.report.model import Report
from smtpcheck.scenarios.check.options import CheckExit, CheckOptions, build_options
from smtpcheck.scenarios.check.run import run_check


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
