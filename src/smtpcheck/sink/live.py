"""The terminal face of `smtpcheck sink`: run until Ctrl-C, a line per session/message.

Text lines look like

    12:00:01 127.0.0.1:50312 connect
    12:00:01 127.0.0.1:50312 stored 18F2A3B4C5D001 <a@x.test> -> b@y.test 1234 B "Hi"
    12:00:01 127.0.0.1:50312 close 1 msg 0.012 s anomalies: bare-lf-in-data, bare-lf (42)

and `--json` prints each event as one JSON object per line instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
import time
from collections.abc import Callable
from typing import Any

from smtpcheck.report.visible import visible
from smtpcheck.sink.config import SinkConfig


def render(event: dict[str, Any]) -> str | None:
    """One human line for an event (None for events not shown).

    Whatever a client chose (addresses, subject, the details of an anomaly) goes
    through `visible()`: a terminal must never receive its control sequences.
    """
    stamp = time.strftime("%H:%M:%S")
    kind = event.get("event")
    client = visible(str(event.get("client", "")))
    if kind == "listening":
        tls = f", implicit TLS on {event['tls_port']}" if event.get("tls_port") else ""
        return (
            f"smtpcheck sink listening on {event['host']}:{event['port']}{tls}; "
            f"store {event['store']} (Ctrl-C to stop)"
        )
    if kind == "connect":
        return f"{stamp} {client} connect"
    if kind == "message":
        subject = f' "{visible(event["subject"])}"' if event.get("subject") else ""
        recipients = ", ".join(visible(rcpt) for rcpt in event["recipients"])
        return (
            f"{stamp} {client} stored {event['id']} <{visible(event['mail_from'])}> -> "
            f"{recipients} {event['size']} B{subject}"
        )
    if kind == "anomaly":
        return f"{stamp} {client} anomaly {event['kind']}: {visible(event['detail'])}"
    if kind == "close":
        counts: dict[str, int] = event.get("anomaly_counts") or {}
        kinds = sorted(counts or {a["kind"] for a in event.get("anomalies", [])})
        shown = [f"{k} ({counts[k]})" if counts.get(k, 1) > 1 else k for k in kinds]
        extra = f" anomalies: {', '.join(shown)}" if shown else ""
        tls = f" {event['tls']['version']}" if event.get("tls") else ""
        return (
            f"{stamp} {client} close {event['messages']} msg {event['duration']:.3f} s{tls}{extra}"
        )
    if kind == "error":
        return f"{stamp} {client} error: {visible(event['detail'])}"
    return None


def loop_factory(name: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The event loop to run on: uvloop when installed (`auto`) or asked for, else asyncio.

    uvloop is optional (never a dependency); it roughly halves the per-reply overhead.
    """
    if name == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        if name == "uvloop":
            raise RuntimeError("--loop uvloop: uvloop is not installed") from None
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def serve_forever(config: SinkConfig, as_json: bool = False, quiet: bool = False) -> int:
    """Run the sink in the foreground; returns the exit status."""
    if config.workers > 1:
        return serve_workers(config, as_json, quiet)
    return _serve(config, as_json, quiet)


def serve_workers(config: SinkConfig, as_json: bool, quiet: bool) -> int:
    """`--workers N`: N processes accept on one port (SO_REUSEPORT), share one store.

    Each worker has its own group committer; the Maildir names and message ids carry the
    worker number, and SQLite (WAL, busy timeout) serialises the index writers.
    """
    import os
    import socket

    from smtpcheck.sink.store import Store

    if config.port == 0:
        with socket.socket(socket.AF_INET6 if ":" in config.host else socket.AF_INET) as probe:
            probe.bind((config.host, 0))
            config.port = probe.getsockname()[1]
    Store(config.store_dir, durable=config.durable).open().close()  # schema, before the race
    children: list[int] = []
    for worker in range(1, config.workers):
        pid = os.fork()
        if pid == 0:  # a worker: serve, then leave without running the parent's cleanup
            status = 1
            try:
                status = _serve(config, as_json, quiet, worker)
            finally:
                os._exit(status)
        children.append(pid)
    try:
        status = _serve(config, as_json, quiet, 0)
    finally:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        for pid in children:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
    return status


def _serve(config: SinkConfig, as_json: bool, quiet: bool, worker: int = 0) -> int:
    from smtpcheck.sink import state
    from smtpcheck.sink.server import SinkServer

    if config.workers > 1:
        state.set_worker(worker)

    def show(event: dict[str, Any]) -> None:
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
            # Quiet: no listener at all, so sessions build no event (hot path).
            listener = None if quiet else show
            if worker and not quiet:  # one "listening" line, from worker 0

                def listener(event: dict[str, Any]) -> None:
                    if event.get("event") != "listening":
                        show(event)

            server = await SinkServer(config, listener).start()
        except OSError as exc:
            print(
                f"smtpcheck sink: cannot listen on {config.host}:{config.port}: "
                f"{exc.strerror or exc}",
                file=sys.stderr,
            )
            return 1
        if quiet and worker == 0:
            show(server.listening_event())
        try:
            await stop.wait()
        finally:
            await server.close()
        return 0

    try:
        with asyncio.Runner(loop_factory=loop_factory(config.event_loop)) as runner:
            return runner.run(main())
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # last resort: one line, never a traceback
        print(f"smtpcheck sink: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
