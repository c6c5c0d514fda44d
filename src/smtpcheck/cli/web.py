"""`smtpcheck web`: serve the web interface (check live, history, explain, MX, mailbox).

Only click is imported here; FastAPI, uvicorn and the rest load when the command runs,
and only if the optional `web` extra is installed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from smtpcheck.cli.common_options import dns_option

EXAMPLES = """\b
Examples:
  smtpcheck web                                  # http://127.0.0.1:8025/
  smtpcheck web --sink                           # and a capture server on 127.0.0.1:2525
  smtpcheck web --listen 0.0.0.0:8025 --allow-public --token-file /etc/smtpcheck/token \\
      --public-name checks.example.com --tls-cert cert.pem --tls-key key.pem
  smtpcheck web --allow-targets 10.0.0.0/8 --allow-ports 2525   # check internal servers too
  curl -H 'Content-Type: application/json' -d '{"target": "kate@fabrikam.com"}' \\
      http://127.0.0.1:8025/api/checks

\b
Security: it listens on loopback unless --allow-public, which requires a token
(--token-file or SMTPCHECK_WEB_TOKEN; there is no default). Checks may connect only to
public addresses on ports 25, 465 and 587, checked again for every address connected
to; --allow-targets and --allow-ports widen that. The API is described at
/api/openapi.json. Needs the web extra: pip install 'smtpcheck[web]'.
"""


def _fail(message: str) -> NoReturn:
    click.echo(f"smtpcheck web: {message}", err=True)
    sys.exit(1)


@click.command("web", context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXAMPLES)
@click.option(
    "--listen",
    default="127.0.0.1:8025",
    show_default=True,
    metavar="HOST:PORT",
    help="Where to serve the pages (loopback unless --allow-public).",
)
@click.option("--allow-public", is_flag=True, help="Allow a non-loopback listen address.")
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File holding the token every request must carry (or SMTPCHECK_WEB_TOKEN).",
)
@click.option(
    "--public-name",
    multiple=True,
    metavar="NAME",
    help="A Host name the pages are reached by (repeatable), besides loopback.",
)
@click.option(
    "--allow-targets",
    default="",
    metavar="CIDR,...",
    help="Let checks connect to these ranges too (e.g. 10.0.0.0/8, 127.0.0.0/8).",
)
@click.option(
    "--allow-ports",
    default="",
    metavar="PORT,...",
    help="Let checks use these ports too (besides 25, 465, 587).",
)
@dns_option("DNS server the checks ask instead of the system's.")
@click.option(
    "--tls-ca",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Trust the CA certificates in FILE instead of the system store.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=30.0,
    show_default=True,
    help="Deadline of each network step of a check, in seconds.",
)
@click.option(
    "--timeout-total",
    type=click.FloatRange(min=1),
    default=180.0,
    show_default=True,
    help="Deadline of a whole check, in seconds.",
)
@click.option("--ehlo", metavar="NAME", help="Name checks send with EHLO (default: this host's).")
@click.option("--from", "sender", metavar="ADDRESS", help="MAIL FROM address of the checks.")
@click.option(
    "--history",
    "history_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="SQLite file of past checks (default: beside the sink's store).",
)
@click.option(
    "--max-checks",
    type=click.IntRange(1, 100),
    default=4,
    show_default=True,
    help="Checks running at once, all clients together.",
)
@click.option(
    "--checks-per-minute",
    type=click.IntRange(1, 1000),
    default=10,
    show_default=True,
    help="Checks one client address may start in a minute.",
)
@click.option("--sink", "with_sink", is_flag=True, help="Also run the capture server (Mailbox).")
@click.option(
    "--sink-listen",
    default="127.0.0.1:2525",
    show_default=True,
    metavar="HOST:PORT",
    help="Where the capture server listens (with --sink).",
)
@click.option(
    "--store",
    "store_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The capture server's store directory (with --sink).",
)
@click.option(
    "--tls-cert",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Serve HTTPS with this certificate (PEM)...",
)
@click.option(
    "--tls-key",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="...and this private key.",
)
def web(**params: Any) -> None:
    """Serve a web interface for check, explain, MX and the sink's mailbox.

    A check's steps appear live as they finish, then the verdict, what matters most
    and the full tree; each result has a permalink and downloads (JSON, and the same
    HTML file as `check --html`). Past checks are kept (searchable, re-runnable,
    comparable). With --sink, mail captured by the sink appears as it arrives.
    """
    from smtpcheck.web.serve import missing_extra

    problem = missing_extra()
    if problem is not None:
        _fail(problem)
    settings, sink_config = _build(params)
    from smtpcheck.web.serve import serve

    sys.exit(serve(settings, sink_config))


def _build(params: dict[str, Any]) -> tuple[Any, Any]:
    from smtpcheck.sink.config import ConfigError, SinkConfig, default_store_dir, parse_listen
    from smtpcheck.web.policy import PolicyError, parse_networks, parse_ports
    from smtpcheck.web.serve import with_transcripts
    from smtpcheck.web.settings import DEFAULT_PORT, Limits, SettingsError, WebSettings

    try:
        host, port = parse_listen(params["listen"], default_port=DEFAULT_PORT)
        token = os.environ.get("SMTPCHECK_WEB_TOKEN") or None
        if params["token_file"] is not None:
            try:
                token = params["token_file"].read_text(encoding="utf-8").strip() or None
            except OSError as exc:
                raise SettingsError(f"cannot read {params['token_file']}: {exc.strerror}") from None
        settings = WebSettings(
            host=host,
            port=port,
            allow_public=params["allow_public"],
            token=token,
            allowed_hosts=tuple(params["public_name"]),
            allow_targets=parse_networks(params["allow_targets"]),
            allow_ports=parse_ports(params["allow_ports"]),
            dns=params["dns"],
            tls_ca=params["tls_ca"],
            timeout=params["timeout"],
            timeout_total=params["timeout_total"],
            ehlo=params["ehlo"],
            sender=params["sender"],
            limits=Limits(
                max_checks=params["max_checks"],
                checks_per_minute=params["checks_per_minute"],
            ),
            tls_cert=params["tls_cert"],
            tls_key=params["tls_key"],
        )
        if params["history_path"] is not None:
            settings.history_path = params["history_path"]
        settings.validate()
        sink_config = None
        if params["with_sink"]:
            sink_host, sink_port = parse_listen(params["sink_listen"])
            sink_config = SinkConfig(
                host=sink_host,
                port=sink_port,
                store_dir=params["store_dir"] or default_store_dir(),
                writer="thread",
            )
            sink_config.validate()
            sink_config = with_transcripts(sink_config)
    except (ConfigError, SettingsError, PolicyError) as exc:
        _fail(str(exc))
    return settings, sink_config
