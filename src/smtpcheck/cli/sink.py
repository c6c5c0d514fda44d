"""`smtpcheck sink`: run the capture server, and read back what it captured.

    smtpcheck sink [--listen 127.0.0.1:2525] [options]   serve until Ctrl-C
    smtpcheck sink list [--json]                          captured messages
    smtpcheck sink show ID [--raw | --json | --export FILE]
    smtpcheck sink sessions [--json]                      sessions and their anomalies
    smtpcheck sink clear [--yes]

Errors are one line on stderr and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from smtpcheck.report.visible import visible, visible_bytes
from smtpcheck.sink.config import ConfigError, Limits, SinkConfig, default_store_dir, parse_listen

STORE_OPTION = click.option(
    "--store",
    "store_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help=f"Store directory (Maildir + index). Default: {default_store_dir()}",
)


def _fail(message: str, code: int = 2) -> None:
    click.echo(f"smtpcheck sink: {message}", err=True)
    sys.exit(code)


def _open_store(ctx: click.Context, store_dir: Path | None) -> Any:
    from smtpcheck.sink.store import Store

    root = store_dir or (ctx.obj or {}).get("store_dir") or default_store_dir()
    if not (Path(root) / "index.sqlite").exists():
        _fail(f"no store at {root} (nothing captured yet, or pass --store DIR)", 1)
    try:
        return Store(Path(root)).open()
    except Exception as exc:  # a corrupt or unreadable index: say so, no traceback
        _fail(f"cannot open store {root}: {exc}", 1)


@click.group(invoke_without_command=True)
@click.option(
    "--listen",
    default="127.0.0.1:2525",
    show_default=True,
    help="HOST:PORT (or a bare PORT, on 127.0.0.1) to listen on; loopback unless --allow-public.",
)
@click.option("--allow-public", is_flag=True, help="Allow a non-loopback listen address.")
@click.option(
    "--tls-listen",
    default=None,
    metavar="HOST:PORT",
    help="Also listen with implicit TLS (SMTPS) on this address (or a bare PORT).",
)
@click.option("--hostname", default=None, help="Name in the banner, EHLO reply and certificate.")
@STORE_OPTION
@click.option("--no-fsync", is_flag=True, help="Skip fsync (faster, not crash-safe).")
@click.option("--lmtp", is_flag=True, help="Speak LMTP (LHLO, one reply per recipient).")
@click.option("--tls-cert", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--tls-key", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--no-starttls", is_flag=True, help="Do not offer STARTTLS.")
@click.option("--no-auth", is_flag=True, help="Do not offer AUTH.")
@click.option(
    "--users",
    "users_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="user:password file for AUTH (default: accept anyone).",
)
@click.option("--auth-requires-tls", is_flag=True, help="Offer AUTH only under TLS.")
@click.option("--max-size", type=int, default=None, help="Message size limit in bytes.")
@click.option("--max-recipients", type=int, default=100, show_default=True)
@click.option("--max-connections", type=int, default=100, show_default=True)
@click.option("--max-line-length", type=int, default=4096, show_default=True)
@click.option(
    "--idle-timeout",
    type=float,
    default=300.0,
    show_default=True,
    help="Seconds without a byte from the client before 421 and close.",
)
@click.option(
    "--command-timeout",
    type=float,
    default=60.0,
    show_default=True,
    help="Seconds within which a started command line must be complete.",
)
@click.option(
    "--data-timeout",
    type=float,
    default=60.0,
    show_default=True,
    help="Seconds a message's content starts with; each byte earns more (--min-data-rate).",
)
@click.option(
    "--min-data-rate",
    type=float,
    default=500.0,
    show_default=True,
    metavar="BYTES_PER_S",
    help="Slowest content rate accepted (each byte earns 1/RATE s more); 0: no minimum.",
)
@click.option(
    "--message-timeout",
    type=float,
    default=600.0,
    show_default=True,
    help="Seconds one message's content (DATA or all its BDAT chunks) may take at most.",
)
@click.option(
    "--transcript-limit",
    type=click.IntRange(min=0),
    default=64 * 1024 * 1024,
    show_default=True,
    metavar="BYTES",
    help="Most bytes kept in one session's --transcript file.",
)
@click.option(
    "--persona",
    default="smtpcheck",
    show_default=True,
    help="Greeting/EHLO/replies of a known server: smtpcheck, exchange, postfix.",
)
@click.option(
    "--rules",
    "rules_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="TOML rules file (see docs/sink.md).",
)
@click.option(
    "--reply",
    "reply_rules",
    multiple=True,
    metavar="CMD[:PATTERN]=REPLY",
    help='Answer CMD with REPLY, e.g. --reply "RCPT:*@x.test=550 5.1.1 No".',
)
@click.option("--delay", "delay_rules", multiple=True, metavar="CMD[:PATTERN]=SECONDS")
@click.option("--disconnect", "disconnect_rules", multiple=True, metavar="CMD[:PATTERN]")
@click.option("--tarpit", "tarpit_rules", multiple=True, metavar="CMD[:PATTERN][=INTERVAL]")
@click.option(
    "--greylist",
    type=float,
    default=None,
    metavar="SECONDS",
    help="Greylist: 451 at first RCPT, accepted on a retry after SECONDS.",
)
@click.option("--banner", default=None, help='Custom greeting, e.g. "220 mx.test hello".')
@click.option("--banner-delay", type=float, default=0.0, help="Wait before the greeting.")
@click.option("--reject-connect", is_flag=True, help="Answer 421 at connect and close.")
@click.option("--starttls-fail", is_flag=True, help="Accept STARTTLS, then fail the handshake.")
@click.option(
    "--transcript",
    "transcript_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write byte-exact session transcripts to this directory.",
)
@click.option("--show-secrets", is_flag=True, help="Keep AUTH payloads in transcripts.")
@click.option("--json", "as_json", is_flag=True, help="Live events as JSON lines.")
@click.option("--quiet", is_flag=True, help="No live lines.")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Processes sharing the port (SO_REUSEPORT) and the store.",
)
@click.option(
    "--writer",
    type=click.Choice(["process", "thread"]),
    default="process",
    show_default=True,
    help="Where the store is written: a writer process, or a thread of the server.",
)
@click.option(
    "--loop",
    "event_loop",
    type=click.Choice(["auto", "asyncio", "uvloop"]),
    default="auto",
    show_default=True,
    help="Event loop; auto uses uvloop when it is installed.",
)
@click.option(
    "--web",
    "web_listen",
    is_flag=False,
    flag_value="127.0.0.1:8025",
    default=None,
    metavar="[HOST:PORT]",
    help="Also show the mailbox in a browser (loopback, default 127.0.0.1:8025; needs "
    "the web extra). More options: smtpcheck web --sink.",
)
@click.pass_context
def sink(ctx: click.Context, /, **options: Any) -> None:
    """Run a local capture SMTP server that keeps every message and never relays.

    With a subcommand (list, show, sessions, clear), read back what it captured.
    """
    ctx.ensure_object(dict)
    ctx.obj["store_dir"] = options["store_dir"]
    if ctx.invoked_subcommand is not None:
        return
    try:
        config = build_config(options)
    except (ConfigError, ValueError, KeyError) as exc:
        _fail(str(exc).strip("'\""))
    if options["web_listen"]:
        from smtpcheck.web.serve import serve_sink_with_web

        sys.exit(serve_sink_with_web(config, options["web_listen"]))
    from smtpcheck.sink.live import serve_forever

    sys.exit(serve_forever(config, as_json=options["as_json"], quiet=options["quiet"]))


def build_config(options: dict[str, Any]) -> SinkConfig:
    """Turn the command-line options into a SinkConfig (ValueError on bad input)."""
    from smtpcheck.sink.auth import load_users
    from smtpcheck.sink.personas import get_persona
    from smtpcheck.sink.rules import Greylist, RuleSet, load_rules, parse_reply, parse_shorthand

    host, port = parse_listen(options["listen"])
    tls_port = None
    if options["tls_listen"]:
        tls_host, tls_port = parse_listen(options["tls_listen"], default_port=2465)
        if tls_host != host:
            raise ConfigError("--tls-listen must use the same host as --listen")
    persona = get_persona(options["persona"])
    limits = Limits(
        max_message_size=options["max_size"],
        max_recipients=options["max_recipients"],
        max_connections=options["max_connections"],
        max_line_length=options["max_line_length"],
        idle_timeout=options["idle_timeout"],
        command_timeout=options["command_timeout"],
        data_timeout=options["data_timeout"],
        min_data_rate=options["min_data_rate"],
        message_timeout=options["message_timeout"],
        transcript_limit=options["transcript_limit"],
    )
    rules = load_rules(options["rules_file"]) if options["rules_file"] else RuleSet()
    flags = RuleSet()
    for kind in ("reply", "delay", "disconnect", "tarpit"):
        flags.rules += [parse_shorthand(kind, spec) for spec in options[f"{kind}_rules"]]
    if options["greylist"] is not None:
        flags.greylist = Greylist(delay=options["greylist"])
    if options["banner"]:
        parse_reply(options["banner"])
        flags.greeting_text = options["banner"]
    if options["reject_connect"]:
        flags.greeting_text = "421 4.3.2 {hostname} Service not available, closing channel"
    flags.greeting_delay = options["banner_delay"]
    flags.starttls_fail = options["starttls_fail"]
    rules.extend(flags)
    config = SinkConfig(
        host=host,
        port=port,
        tls_port=tls_port,
        allow_public=options["allow_public"],
        store_dir=options["store_dir"] or default_store_dir(),
        durable=not options["no_fsync"],
        lmtp=options["lmtp"],
        limits=limits,
        starttls=not options["no_starttls"],
        tls_cert=options["tls_cert"],
        tls_key=options["tls_key"],
        auth=not options["no_auth"],
        auth_requires_tls=options["auth_requires_tls"],
        persona=persona,
        rules=rules,
        transcript_dir=options["transcript_dir"],
        show_secrets=options["show_secrets"],
        live=not options["quiet"],
        event_loop=options["event_loop"],
        workers=options["workers"],
        writer=options["writer"],
    )
    if options["hostname"]:
        config.hostname = options["hostname"]
    if options["users_file"]:
        load_users(options["users_file"])  # fail now, not at the first AUTH
        config.users_file = options["users_file"]
    config.validate()
    return config


@sink.command("list")
@STORE_OPTION
@click.option("--json", "as_json", is_flag=True, help="One JSON document.")
@click.option("--limit", type=int, default=None, help="Only the last N messages.")
@click.pass_context
def list_messages(
    ctx: click.Context, store_dir: Path | None, as_json: bool, limit: int | None
) -> None:
    """List captured messages, oldest first."""
    store = _open_store(ctx, store_dir)
    messages = store.list_messages(limit)
    if as_json:
        click.echo(json.dumps({"messages": [_summary(m) for m in messages]}, indent=2))
        return
    if not messages:
        click.echo(f"no messages in {store.root}")
    for m in messages:
        flags = " !" if m["anomalies"] else ""
        click.echo(
            f"{m['id']}  {_time(m['received_at'])}  {m['size']:>8}  "
            f"{visible(m['mail_from'] or '<>')} -> {visible(', '.join(m['recipients']))}  "
            f"{visible(m['subject'] or '')}{flags}"
        )


@sink.command("show")
@click.argument("ident", metavar="ID")
@STORE_OPTION
@click.option("--json", "as_json", is_flag=True, help="Everything the index holds, as JSON.")
@click.option("--raw", is_flag=True, help="The message bytes exactly as received.")
@click.option(
    "--export",
    type=click.Path(path_type=Path),
    default=None,
    help="Write the message to an .eml file (or into a directory).",
)
@click.pass_context
def show(
    ctx: click.Context,
    ident: str,
    store_dir: Path | None,
    as_json: bool,
    raw: bool,
    export: Path | None,
) -> None:
    """Show one message: by id, unique id prefix, or position in `list` (1 = oldest)."""
    store = _open_store(ctx, store_dir)
    message = store.resolve(ident)
    if message is None:
        _fail(f"no message {ident!r} (see `smtpcheck sink list`)", 1)
    try:
        if export is not None:
            click.echo(str(store.export_eml(message, export)))
        elif raw:
            sys.stdout.buffer.write(store.raw(message, with_trace=False))
        elif as_json:
            click.echo(json.dumps(message, indent=2))
        else:
            for key in (
                "id",
                "mail_from",
                "recipients",
                "client",
                "helo",
                "protocol",
                "tls",
                "auth",
                "size",
                "subject",
                "path",
            ):
                click.echo(f"{key + ':':<12} {visible(_shown(message[key]))}")
            click.echo(f"{'received:':<12} {_time(message['received_at'])}")
            for anomaly in message["anomalies"]:
                click.echo(f"{'anomaly:':<12} {anomaly['kind']}: {visible(anomaly['detail'])}")
            click.echo("")
            data = store.raw(message, with_trace=False).replace(b"\r\n", b"\n")
            lines = data.split(b"\n")  # each line made visible; the lines stay lines
            click.echo("\n".join(visible_bytes(line) for line in lines), nl=False)
    except OSError as exc:
        _fail(f"cannot read message {message['id']}: {exc}", 1)


@sink.command("sessions")
@STORE_OPTION
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def sessions(ctx: click.Context, store_dir: Path | None, as_json: bool) -> None:
    """List recorded sessions with their protocol anomalies."""
    store = _open_store(ctx, store_dir)
    records = store.list_sessions()
    if as_json:
        click.echo(json.dumps({"sessions": records}, indent=2))
        return
    for s in records:
        kinds = ", ".join(sorted({a["kind"] for a in s["anomalies"]})) or "no anomalies"
        tls = s["tls"]["version"] if s["tls"] else "plain"
        click.echo(
            f"{s['id']}  {_time(s['started_at'])}  {visible(s['client'] or '')}  "
            f"{visible(s['helo'] or '-')}  {tls}  {s['messages']} msg  {visible(kinds)}"
        )


@sink.command("clear")
@STORE_OPTION
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def clear(ctx: click.Context, store_dir: Path | None, yes: bool) -> None:
    """Delete every captured message and session record."""
    store = _open_store(ctx, store_dir)
    from smtpcheck.knowledge.i18n import tn

    # the sink speaks English (no --lang); its counts still take the right form
    if not yes and not click.confirm(
        tn("sink.confirm_clear", store.count(), "en", root=store.root)
    ):
        _fail("nothing deleted", 1)
    click.echo(tn("sink.deleted", store.clear(), "en"))


def _summary(m: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "id",
        "received_at",
        "mail_from",
        "recipients",
        "subject",
        "size",
        "client",
        "protocol",
        "tls",
        "auth",
        "anomalies",
    )
    return {k: m[k] for k in keys}


def _shown(value: Any) -> str:
    """A field of `show`: lists joined, AUTH and TLS facts as `key=value`."""
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, dict):
        return " ".join(f"{key}={item}" for key, item in value.items())
    return "" if value is None else str(value)


def _time(ts: float) -> str:
    import time

    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))
