"""The terminal face of `smtpcheck sink`: run until Ctrl-C, a line per session/message.

Text lines look like

    12:00:01 127.0.0.1:50312 connect
    12:00:01 127.0.0.1:50312 stored 18F2A3B4C5D001 <a@x.test> -> b@y.test 1234 B "Hi"
    12:00:01 127.0.0.1:50312 close 1 msg 0.012 s anomalies: bare-lf-in-data

and `--json` prints each event as one JSON object per line instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
import time
from typing import Any

from smtpcheck.sink.config import SinkConfig


def render(event: dict[str, Any]) -> str | None:
    """One human line for an event (None for events not shown)."""
    stamp = time.strftime("%H:%M:%S")
    kind = event.get("event")
    client = event.get("client", "")
    if kind == "listening":
        tls = f", implicit TLS on {event['tls_port']}" if event.get("tls_port") else ""
        return (
            f"smtpcheck sink listening on {event['host']}:{event['port']}{tls}; "
            f"store {event['store']} (Ctrl-C to stop)"
        )
    if kind == "connect":
        return f"{stamp} {client} connect"
    if kind == "message":
        subject = f' "{event["subject"]}"' if event.get("subject") else ""
        return (
            f"{stamp} {client} stored {event['id']} <{event['mail_from']}> -> "
            f"{', '.join(event['recipients'])} {event['size']} B{subject}"
        )
    if kind == "anomaly":
        return f"{stamp} {client} anomaly {event['kind']}: {event['detail']}"
    if kind == "close":
        kinds = sorted({a["kind"] for a in event.get("anomalies", [])})
        extra = f" anomalies: {', '.join(kinds)}" if kinds else ""
        tls = f" {event['tls']['version']}" if event.get("tls") else ""
        return (
            f"{stamp} {client} close {event['messages']} msg {event['duration']:.3f} s{tls}{extra}"
        )
    if kind == "error":
        return f"{stamp} {client} error: {event['detail']}"
    return None


def serve_forever(config: SinkConfig, as_json: bool = False, quiet: bool = False) -> int:
    """Run the sink in the foreground; returns the exit status."""
    from smtpcheck.sink.server import SinkServer

    def show(event: dict[str, Any]) -> None:
        if quiet and event.get("event") != "listening":
            return
        line = json.dumps(event) if as_json else render(event)
        if line is not None:
            print(line, flush=True)

    async def main() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, stop.set)
        try:
            server = await SinkServer(config, show).start()
        except OSError as exc:
            print(
                f"smtpcheck sink: cannot listen on {config.host}:{config.port}: "
                f"{exc.strerror or exc}",
                file=sys.stderr,
            )
            return 1
        try:
            await stop.wait()
        finally:
            await server.close()
        return 0

    try:
        return asyncio.run(main())
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # last resort: one line, never a traceback
        print(f"smtpcheck sink: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
