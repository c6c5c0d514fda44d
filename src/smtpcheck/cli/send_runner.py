"""The heavy half of `smtpcheck send`: imported only once the command really runs.

Turns click's parameters into `SendOptions`, asks for missing AUTH secrets, wires the
live transcript (terminal, `--log-file`), runs the scenario and renders the end of the
report: the verdict, and for a failed step its causes and fixes; or the JSON report.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from typing import IO, Any

import click

from smtpcheck.cli.send import _default_sender, _parse_timeout, _split_recipients
from smtpcheck.knowledge.i18n import t
from smtpcheck.net.tls import TlsOptions
from smtpcheck.net.transcript import Transcript
from smtpcheck.report.live import LiveView
from smtpcheck.report.model import Report, Status
from smtpcheck.scenarios.send import run_send
from smtpcheck.scenarios.send_options import ExitCode, SendOptions, TlsMode, normalise_quit_point


def _usage_error(message: str) -> int:
    click.echo(f"smtpcheck send: {message}", err=True)
    return int(ExitCode.USAGE)


def build_options(params: dict[str, Any]) -> SendOptions:
    """Validate and convert; raises click.UsageError with a one-line message."""
    modes = [
        m
        for m, on in (
            (TlsMode.STARTTLS, params["tls_required"]),
            (TlsMode.OPTIONAL, params["tls_optional"]),
            (TlsMode.ON_CONNECT, params["tls_on_connect"]),
        )
        if on
    ]
    if len(modes) > 1:
        raise click.UsageError("choose one of --tls, --tls-optional and --tls-on-connect")
    if params["ipv4"] and params["ipv6"]:
        raise click.UsageError("-4 and -6 exclude each other")
    sender = params["sender"]
    if sender is None:
        sender = _default_sender()
    elif sender.strip() == "<>":
        sender = ""
    try:
        quit_after = normalise_quit_point(params["quit_after"]) if params["quit_after"] else None
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    try:
        timeout = _parse_timeout(params["timeout"])
    except click.BadParameter as exc:
        raise click.UsageError(f"--timeout: {exc.message}") from None
    auth = params["auth"]
    mechanisms: tuple[str, ...] = ()
    if auth and auth.upper() != "ANY":
        mechanisms = tuple(m.strip().upper() for m in auth.split(",") if m.strip())
    lang = params["lang"]
    if lang is None:
        from smtpcheck.knowledge.i18n import pick_language

        lang = pick_language(None)
    return SendOptions(
        server=params["server"],
        port=params["port"],
        family=socket.AF_INET if params["ipv4"] else socket.AF_INET6 if params["ipv6"] else 0,
        local_interface=params["local_interface"],
        ehlo=params["ehlo"] or socket.gethostname() or "localhost",
        sender=sender,
        recipients=_split_recipients(params["to"]),
        tls_mode=modes[0] if modes else TlsMode.NONE,
        tls=TlsOptions(
            verify=params["tls_verify"],
            ca_file=params["tls_ca"],
            sni=params["tls_sni"],
            min_version=params["tls_min_version"],
            max_version=params["tls_max_version"],
            client_cert=params["tls_cert"],
            client_key=params["tls_key"],
        ),
        tls_verify_ca=params["tls_verify"],
        tls_verify_host=params["tls_verify"],
        auth=auth is not None,
        auth_mechanisms=mechanisms,
        auth_user=params["auth_user"],
        auth_password=params["auth_password"],
        data=params["data"],
        body=params["body"],
        headers=list(params["headers"]),
        dsn_notify=params["dsn_notify"],
        dsn_ret=params["dsn_ret"],
        dsn_envid=params["dsn_envid"],
        quit_after=quit_after,
        timeout=timeout,
        dns=params["dns"],
        show_secrets=params["show_secrets"],
        lang=lang,
    )


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


def render_end(report: Report, stream: IO[str], colour: bool, lang: str = "en") -> None:
    """After the live transcript: the verdict and, for a failure, causes and fixes."""
    bold, red, green, reset = (
        ("\033[1m", "\033[1;31m", "\033[1;32m", "\033[0m") if colour else ("", "", "", "")
    )
    for finding in report.findings:
        stream.write(
            f"{red if finding.status is Status.FAIL else bold}!!! {finding.message}{reset}\n"
        )
    failed = [s for s in report.steps if s.status is Status.FAIL and s.explanation]
    for step in failed[-1:]:
        assert step.explanation is not None
        stream.write(f"\n{bold}{step.explanation.summary}{reset}\n")
        for cause in step.explanation.causes:
            stream.write(f"  - {cause}\n")
        if step.explanation.fixes:
            stream.write(f"{bold}{t('send.what_to_do', lang)}:{reset}\n")
            for fix in step.explanation.fixes:
                stream.write(f"  - {fix}\n")
    colour_code = green if report.exit_code == 0 else red
    exit_text = t("send.exit", lang, code=report.exit_code)
    stream.write(f"\n{colour_code}{report.verdict}{reset} ({exit_text})\n")


def run(params: dict[str, Any]) -> int:
    try:
        options = build_options(params)
        _ask_secrets(options)
    except click.UsageError as exc:
        return _usage_error(exc.message)
    except (click.Abort, EOFError):
        return _usage_error("aborted")
    transcript = Transcript()
    as_json = params["output"] == "json"
    log_handle = None
    if params["log_file"]:
        try:
            log_handle = open(params["log_file"], "w", encoding="utf-8")  # noqa: SIM115
        except OSError as exc:
            return _usage_error(f"cannot write {params['log_file']}: {exc.strerror}")
        transcript.add_listener(
            LiveView(log_handle, colour=False, show_time=True, explain=not params["no_explain"])
        )
    view = None
    if not as_json:
        view = LiveView(sys.stdout, show_time=params["show_time"], explain=not params["no_explain"])
        transcript.add_listener(view)
    try:
        report = asyncio.run(run_send(options, transcript))
    except KeyboardInterrupt:
        click.echo("*** interrupted", err=True)
        return 130
    finally:
        if log_handle is not None:
            log_handle.close()
    if as_json:
        sys.stdout.write(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        assert view is not None
        render_end(report, sys.stdout, view.colour, options.lang)
    return report.exit_code
