"""The heavy half of `smtpcheck send`: imported only once the command really runs.

Takes the `SendOptions` built from click's parameters (cli/send_build.py), asks for
missing AUTH secrets, wires the live transcript (terminal, `--log-file`), runs the
scenario and has the end of the report rendered (report/send_view.py): the verdict,
and for a failed step its causes and fixes; or the JSON report.
"""

from __future__ import annotations

import asyncio
import sys
from typing import IO, Any

import click

from smtpcheck.cli.send import _split_recipients
from smtpcheck.cli.send_build import ProxyUsageError, build_options
from smtpcheck.net.transcript import Transcript
from smtpcheck.report.live import LiveView
from smtpcheck.report.send_view import SendView, ViewOptions, render_end
from smtpcheck.scenarios.send.flow import run_send
from smtpcheck.scenarios.send.options import ExitCode, SendOptions


def _usage_error(message: str, code: ExitCode = ExitCode.USAGE) -> int:
    click.echo(f"smtpcheck send: {message}", err=True)
    return int(code)


def _ask_secrets(options: SendOptions) -> None:
    """Prompt for AUTH user and password (no echo) when they were not given."""
    if not options.auth:
        return
    interactive = sys.stdin.isatty()
    if options.auth_user is None:
        if not interactive:
            raise click.UsageError("--auth needs --auth-user (no terminal to ask on)")
        options.auth_user = click.prompt("AUTH user", err=True)
    if options.auth_password is None:
        if not interactive:
            raise click.UsageError("--auth needs --auth-password (no terminal to ask on)")
        options.auth_password = click.prompt("AUTH password", hide_input=True, err=True)


def _view_options(params: dict[str, Any]) -> ViewOptions:
    silent = int(params["silent"]) if params["silent"] else 0
    if params["silent"] and not str(params["silent"]).isdigit():
        raise click.UsageError("--silent takes 1, 2 or 3")
    no_hints = params["no_hints"]
    return ViewOptions(
        silent=silent,
        hide_send=params["hide_send"] or params["hide_all"],
        hide_receive=params["hide_receive"] or params["hide_all"],
        hide_info=params["hide_informational"] or params["hide_all"],
        suppress_data=params["suppress_data"],
        raw=params["show_raw_text"],
        time_lapse=params["show_time_lapse"],
        no_info_hints=params["no_info_hints"] or no_hints,
        no_send_hints=params["no_send_hints"] or no_hints,
        no_receive_hints=params["no_receive_hints"] or no_hints,
        explain=not params["no_explain"],
    )


def _open(path: str) -> IO[str]:
    if path in ("&STDOUT", "-"):
        return sys.stdout
    if path == "&STDERR":
        return sys.stderr
    try:
        return open(path, "w", encoding="utf-8")
    except OSError as exc:
        raise click.UsageError(f"cannot write {path}: {exc.strerror}") from None


def run(params: dict[str, Any]) -> int:
    try:
        options = build_options(params)
        view_options = _view_options(params)
        if params["dump"]:
            from smtpcheck.cli.send_args import dump_options

            text = dump_options(params, params["show_secrets"])
            if not params["dump_as_body"]:
                sys.stdout.write(text)
                return 0
            options.body = text
        if not options.all_recipients:
            if not sys.stdin.isatty():
                raise click.UsageError("no recipient: give --to ADDRESS")
            options.recipients = _split_recipients((click.prompt("To", err=True),))
        _ask_secrets(options)
        # Errors stay in the transcript on standard output (so a saved transcript is
        # whole); --output-file-stderr sends them elsewhere, as swaks' STDERR does.
        out: IO[str] = sys.stdout
        err: IO[str] = sys.stdout
        if params["output_file"]:
            out = err = _open(params["output_file"])
        if params["output_file_stdout"]:
            out = _open(params["output_file_stdout"])
        if params["output_file_stderr"]:
            err = _open(params["output_file_stderr"])
    except ProxyUsageError as exc:
        return _usage_error(exc.message, ExitCode.PROXY_OPTIONS)
    except click.UsageError as exc:
        return _usage_error(exc.message)
    except (click.Abort, EOFError):
        return _usage_error("aborted")
    as_json = params["output"] == "json"
    log_handle = None
    if params["log_file"]:
        try:
            log_handle = open(params["log_file"], "w", encoding="utf-8")  # noqa: SIM115
        except OSError as exc:
            return _usage_error(f"cannot write {params['log_file']}: {exc.strerror}")
    code = 0
    reports: list[dict[str, Any]] = []
    try:
        for _ in range(params["repeat"]):
            transcript = Transcript(lang=options.lang)
            if log_handle is not None:
                transcript.add_listener(
                    LiveView(log_handle, colour=False, show_time=True, explain=view_options.explain)
                )
            view = None
            if not as_json:
                view_options.lang = options.lang
                view = SendView(out, err, view_options)
                transcript.add_listener(view)
            try:
                report = asyncio.run(run_send(options, transcript))
            except KeyboardInterrupt:
                click.echo("*** interrupted", err=True)
                return 130
            if as_json:
                reports.append(report.to_dict())
            elif view_options.silent == 0 and not view_options.hide_all_output:
                assert view is not None
                render_end(report, out, view.colour, options.lang)
            code = code or report.exit_code
        if as_json:
            # one report, or with --repeat N > 1 a JSON array of the N reports in order
            document = reports[0] if len(reports) == 1 else reports
            import json  # only for --output json

            out.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    finally:
        if log_handle is not None:
            log_handle.close()
        for stream in (out, err):
            if stream not in (sys.stdout, sys.stderr):
                stream.close()
    return code
