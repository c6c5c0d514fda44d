"""The heavy half of `smtpcheck receive`, imported only when the command runs.

Errors are one line on stderr and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import click

from smtpcheck.knowledge.i18n import pick_language
from smtpcheck.report.model import Report
from smtpcheck.scenarios.receive.facts import (
    MAX_ANALYSED_SIZE,
    ReceiveExit,
    ReceiveOptions,
    SessionFacts,
)

PROG = "smtpcheck receive"


class Usage(Exception):
    """Bad input: one line for the user, exit 1."""


def default_store_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "smtpcheck" / "receive"


def build_options(params: dict[str, Any]) -> ReceiveOptions:
    from smtpcheck.knowledge.receive import ZoneListError, parse_zones

    zones = None
    if params.get("dnsbl_zones"):
        import tomllib

        path = Path(params["dnsbl_zones"])
        try:
            zones = parse_zones(tomllib.loads(path.read_text(encoding="utf-8")))
        except OSError as error:
            raise Usage(f"cannot read {path}: {error.strerror}") from None
        except (tomllib.TOMLDecodeError, ZoneListError, UnicodeDecodeError) as error:
            raise Usage(f"{path}: {error}") from None
    return ReceiveOptions(
        lang=pick_language(params.get("lang")),
        dns=params.get("dns"),
        timeout=float(params.get("timeout") or 10.0),
        bulk=bool(params.get("bulk")),
        zones=zones,
        zones_given=zones is not None,
        dnsbl=not params.get("no_dnsbl"),
    )


def emit(report: Report, params: dict[str, Any], lang: str, *, stream: Any = None) -> None:
    out = stream or sys.stdout
    if params.get("output") == "json":
        out.write(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n")
    else:
        from smtpcheck.report.render_text import render_text

        render_text(report, out, lang, verbose=bool(params.get("verbose")))
    html_file = params.get("html_file")
    if html_file:
        from smtpcheck.report.render_html import render_html

        try:
            Path(html_file).write_text(render_html(report, lang), encoding="utf-8")
        except OSError as error:
            click.echo(f"{PROG}: cannot write {html_file}: {error.strerror}", err=True)


def _given_session(params: dict[str, Any]) -> SessionFacts:
    import ipaddress

    ip = params.get("client_ip")
    if ip:
        try:
            ip = str(ipaddress.ip_address(ip.strip().strip("[]")))
        except ValueError:
            raise Usage(f"--client-ip: not an IP address: {ip!r}") from None
    mail_from = params.get("mail_from")
    if mail_from is not None:
        mail_from = mail_from.strip().strip("<>")
    return SessionFacts(
        client_ip=ip or None,
        helo=params.get("helo") or None,
        mail_from=mail_from,
        source="options",
    )


def analyze(params: dict[str, Any]) -> int:
    from smtpcheck.scenarios.receive.analyse import analyse_message

    options = build_options(params)
    path = Path(params["analyze_file"])
    try:
        size = path.stat().st_size
        if size > MAX_ANALYSED_SIZE:
            raise Usage(f"{path} is {size} bytes; at most {MAX_ANALYSED_SIZE} are analysed")
        raw = path.read_bytes()
    except OSError as error:
        raise Usage(f"cannot read {path}: {error.strerror}") from None
    session = _given_session(params)
    report = asyncio.run(
        analyse_message(raw, session, options, from_headers=bool(params.get("from_headers")))
    )
    if report.exit_code == ReceiveExit.USAGE:
        raise Usage(report.verdict)
    emit(report, params, options.lang)
    return report.exit_code


def listen(params: dict[str, Any]) -> int:
    from smtpcheck.scenarios.receive.analyse import UsageError
    from smtpcheck.scenarios.receive.listen import ReceiveListener, default_config
    from smtpcheck.sink.config import ConfigError, parse_listen

    options = build_options(params)
    try:
        host, port = parse_listen(params["listen"])
        settings: dict[str, Any] = {
            "host": host,
            "port": port,
            "allow_public": bool(params.get("allow_public")),
            "store_dir": params.get("store_dir") or default_store_dir(),
            "starttls": not params.get("no_starttls"),
            "tls_cert": params.get("tls_cert"),
            "tls_key": params.get("tls_key"),
        }
        if params.get("hostname"):
            settings["hostname"] = params["hostname"]
        config = default_config(**settings)
        config.validate()
    except (ConfigError, ValueError) as error:
        raise Usage(str(error)) from None
    lang = options.lang

    def on_report(record: dict[str, Any], report: Report) -> None:
        if params.get("output") == "json":
            sys.stdout.write(json.dumps(report.to_dict(), ensure_ascii=False) + "\n")
            sys.stdout.flush()
            return
        sys.stdout.write(f"\n── message {record.get('id')} ──\n")
        emit(report, {**params, "html_file": None}, lang)
        sys.stdout.flush()

    async def main() -> None:
        try:
            listener = ReceiveListener(config, options, on_report)
        except UsageError as error:
            raise Usage(str(error)) from None
        async with listener:
            click.echo(
                f"{PROG}: listening on {config.host}:{listener.port}, store {config.store_dir}"
                " (send mail to any address here; Ctrl-C to stop)",
                err=True,
            )
            await asyncio.Event().wait()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        click.echo(f"{PROG}: stopped", err=True)
    except OSError as error:
        raise Usage(f"cannot listen on {params['listen']}: {error.strerror or error}") from None
    return 0


def _open_store(params: dict[str, Any]) -> Any:
    from smtpcheck.sink.store import Store

    root = Path(params.get("store_dir") or default_store_dir())
    if not (root / "index.sqlite").exists():
        raise Usage(f"no store at {root} (nothing received yet, or pass --store DIR)")
    try:
        return Store(root, durable=False).open(reconcile=False)
    except Exception as error:  # a corrupt index: say so, no traceback
        raise Usage(f"cannot open store {root}: {error}") from None


def list_graded(params: dict[str, Any]) -> int:
    from smtpcheck.report.visible import visible
    from smtpcheck.scenarios.receive.reports import load_report

    store = _open_store(params)
    rows = []
    for message in store.list_messages():
        report = load_report(store.root, message["id"])
        rows.append(
            {
                "id": message["id"],
                "received_at": message["received_at"],
                "mail_from": message["mail_from"],
                "client": message["client"],
                "subject": message["subject"],
                "status": str(report.worst_status) if report else None,
                "requirements_missed": report.data.get("requirements_missed") if report else None,
                "verdict": report.verdict if report else None,
            }
        )
    if params.get("output") == "json":
        click.echo(json.dumps({"messages": rows}, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        click.echo(f"no messages in {store.root}")
    for index, row in enumerate(rows, 1):
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(row["received_at"]))
        grade = (row["status"] or "not graded").upper()
        click.echo(
            visible(
                f"{index:>3}  {row['id']}  {when}  {grade:<10} {row['client'] or '-'}  "
                f"{row['mail_from'] or '<>'}  {row['subject'] or ''}"
            )
        )
    return 0


def show(params: dict[str, Any]) -> int:
    from smtpcheck.scenarios.receive.reports import load_report

    store = _open_store(params)
    message = store.resolve(params["ident"])
    if message is None:
        raise Usage(f"no message {params['ident']!r} (see `{PROG} list`)")
    report = load_report(store.root, message["id"])
    if report is None:
        raise Usage(f"message {message['id']} has no report (received while not grading?)")
    emit(report, params, pick_language(params.get("lang")))
    return report.exit_code


def outbound(params: dict[str, Any]) -> int:
    from smtpcheck.hostport import HostPortError, split_host_port
    from smtpcheck.report.visible import visible
    from smtpcheck.scenarios.receive.outbound import blocked_verdict, probe_outbound

    try:
        host, port = split_host_port(params["target"], 25)
    except HostPortError as error:
        raise Usage(f"{params['target']!r}: {error}") from None
    probes = asyncio.run(probe_outbound(host, port, timeout=float(params["timeout"])))
    verdict = blocked_verdict(probes)
    if params.get("output") == "json":
        click.echo(
            json.dumps(
                {"target": host, "verdict": verdict, "probes": [p.to_dict() for p in probes]},
                indent=2,
            )
        )
    else:
        for probe in probes:
            shown = probe.greeting or probe.detail
            click.echo(visible(f"{probe.host}:{probe.port}  {probe.status:<8} {shown}"))
        click.echo(
            {
                "open": f"port {port} is reachable from here",
                "blocked": f"port {port} is blocked on the way (the others answer): send through "
                "your provider's relay or a sending service, or ask the provider to open it",
                "closed": f"port {port} refused the connection: nothing listens there, or a "
                "firewall rejects it",
                "unreachable": f"{host} could not be reached on any port from here",
            }[verdict]
        )
    return 0 if verdict == "open" else 4


ACTIONS = {
    "analyze": analyze,
    "listen": listen,
    "list": list_graded,
    "show": show,
    "outbound": outbound,
}


def run_receive_command(params: dict[str, Any], action: str) -> int:
    try:
        return ACTIONS[action](params)
    except Usage as error:
        click.echo(f"{PROG}: {error}", err=True)
        return int(ReceiveExit.USAGE)
    except KeyboardInterrupt:
        click.echo(f"{PROG}: interrupted", err=True)
        return 130
