"""Run the web interface on uvicorn, with the capture server in the same process when
asked (`smtpcheck web --sink`, `smtpcheck sink --web`): one event loop serves both, and
each message the sink stores wakes the mailbox pages."""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING, Any

from smtpcheck.web.settings import WebSettings

if TYPE_CHECKING:
    from smtpcheck.sink.config import SinkConfig

WEB_EXTRA = "smtpcheck web needs the web extra: pip install 'smtpcheck[web]'"


def missing_extra() -> str | None:
    """Why the web interface cannot run here, or None."""
    import importlib.util

    for module in ("fastapi", "uvicorn", "jinja2", "multipart"):
        if importlib.util.find_spec(module) is None:
            return f"{WEB_EXTRA} ({module} is not installed)"
    return None


def serve(settings: WebSettings, sink_config: SinkConfig | None = None) -> int:
    """Serve until Ctrl-C or SIGTERM; the exit status."""
    try:
        return asyncio.run(_serve(settings, sink_config))
    except KeyboardInterrupt:
        return 130


async def _serve(settings: WebSettings, sink_config: SinkConfig | None) -> int:
    import uvicorn

    from smtpcheck.web.app import create_app
    from smtpcheck.web.mailbox import Mailbox

    sink: Any = None
    mailbox: Mailbox | None = None
    if sink_config is not None:
        from smtpcheck.sink.server import SinkServer

        def on_event(event: dict[str, Any]) -> None:
            if mailbox is not None:
                mailbox.on_sink_event(event)

        try:
            sink = await SinkServer(sink_config, on_event).start()
        except OSError as exc:
            where = f"{sink_config.host}:{sink_config.port}"
            print(
                f"smtpcheck web: the sink cannot listen on {where}: {exc.strerror or exc}",
                file=sys.stderr,
            )
            return 1
        mailbox = Mailbox(sink.store, sink_config.transcript_dir)
        print(
            f"smtpcheck sink listening on {sink_config.host}:{sink.port}; "
            f"store {sink_config.store_dir}",
            flush=True,
        )
    app = create_app(settings, mailbox)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,
        server_header=False,
        proxy_headers=False,
        timeout_graceful_shutdown=2,
        ssl_certfile=str(settings.tls_cert) if settings.tls_cert else None,
        ssl_keyfile=str(settings.tls_key) if settings.tls_key else None,
    )
    server = uvicorn.Server(config)

    async def announce() -> None:
        while not server.started:
            if server.should_exit:
                return
            await asyncio.sleep(0.05)
        scheme = "https" if settings.tls_cert else "http"
        host = f"[{settings.host}]" if ":" in settings.host else settings.host
        print(f"smtpcheck web on {scheme}://{host}:{settings.port}/ (Ctrl-C to stop)", flush=True)

    announcer = asyncio.create_task(announce())
    try:
        await server.serve()
    finally:
        announcer.cancel()
        if sink is not None:
            await sink.close()
    return 0 if server.started else 1


def serve_sink_with_web(sink_config: SinkConfig, listen: str) -> int:
    """`smtpcheck sink --web [HOST:PORT]`: the sink, with its mailbox in a browser."""
    from smtpcheck.sink.config import ConfigError, parse_listen
    from smtpcheck.web.settings import DEFAULT_PORT, SettingsError

    problem = missing_extra()
    if problem is not None:
        print(f"smtpcheck sink: --web: {problem}", file=sys.stderr)
        return 1
    try:
        host, port = parse_listen(listen, default_port=DEFAULT_PORT)
        settings = WebSettings(host=host, port=port)
        settings.validate()
    except (ConfigError, SettingsError) as exc:
        print(f"smtpcheck sink: --web: {exc}", file=sys.stderr)
        return 1
    return serve(settings, with_transcripts(sink_config))


def with_transcripts(config: SinkConfig) -> SinkConfig:
    """The mailbox shows each session's transcript: keep them beside the store."""
    if config.transcript_dir is None:
        config.transcript_dir = config.store_dir / "transcripts"
    return config
