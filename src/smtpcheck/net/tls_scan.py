"""TLS-quality scans of mail server addresses, run by SSLyze in a worker process.

`scan_tls_quality(targets, ...)` scans every address at once and returns one
`TlsScanFacts` per target, in order, within `time_limit` seconds whatever the servers
do: the worker (`python -m smtpcheck.net.tls_scan_worker`) reports each address after
its version probes and again when done, and is killed when the time is up; an address
it had not finished keeps what was learnt so far (`ScanOutcome.INCOMPLETE`) or
becomes `ScanOutcome.TIMEOUT`.

SSLyze is synchronous and heavy to import, hence the separate process: nothing of it
is loaded by the program that calls this, and a hung handshake cannot outlive the
deadline. `quick=True` leaves out what needs many connections (every cipher suite,
every named group, ROBOT, the cipher-order test).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import replace

from smtpcheck.net.tls_scan_model import ScanOutcome, ScanTarget, TlsScanFacts, facts_from_dict

WORKER_MODULE = "smtpcheck.net.tls_scan_worker"
#: the longest result line accepted from the worker (a weak server's facts list ~100 suites)
LINE_LIMIT = 4 * 1024 * 1024
#: how much of the worker's error output is kept to explain a crash
STDERR_KEPT = 8192


async def scan_tls_quality(
    targets: Sequence[ScanTarget],
    *,
    ehlo: str,
    quick: bool = False,
    time_limit: float = 60.0,
    connection_timeout: float = 10.0,
    connections_per_address: int = 5,
) -> list[TlsScanFacts]:
    """Scan every target at once; one result per target, in the same order.

    `ehlo` is the name sent in EHLO before STARTTLS; `connection_timeout` bounds each
    connection (SSLyze rounds it up to whole seconds); `connections_per_address` is how
    many connections one address gets at a time. Never raises for a server's fault or
    a scanner failure: those become the outcome of the address.
    """
    if not targets:
        return []
    request = {
        "targets": [
            {"host": t.host, "ip": t.ip, "port": t.port, "implicit_tls": t.implicit_tls}
            for t in targets
        ],
        "ehlo": ehlo,
        "quick": quick,
        "connection_timeout": connection_timeout,
        "connections_per_address": connections_per_address,
    }
    started = time.monotonic()
    latest: dict[int, TlsScanFacts] = {}
    finished: set[int] = set()
    stderr = bytearray()
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            WORKER_MODULE,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            limit=LINE_LIMIT,
        )
    except OSError as exc:
        return [
            _failed(t, ScanOutcome.ERROR, f"cannot start the TLS scanner: {exc}") for t in targets
        ]
    assert process.stdin is not None and process.stdout is not None and process.stderr is not None
    errors_task = asyncio.create_task(_collect(process.stderr, stderr))
    reason = "the TLS scanner stopped before it finished"
    try:
        async with asyncio.timeout(time_limit):
            process.stdin.write(json.dumps(request).encode())
            await process.stdin.drain()
            process.stdin.close()
            while len(finished) < len(targets):
                line = await process.stdout.readline()
                if not line:
                    break
                index, final, facts = _parse(line, len(targets))
                if index is None or facts is None:
                    continue
                latest[index] = facts
                if final:
                    finished.add(index)
            await process.wait()
    except TimeoutError:
        reason = f"the time limit ({time_limit:g} s) struck during the scan"
    except (OSError, ValueError) as exc:  # a broken pipe, an over-long line
        reason = f"the TLS scanner failed: {exc}"
    finally:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
        await asyncio.wait({errors_task}, timeout=1.0)
        errors_task.cancel()
    if len(finished) < len(targets) and stderr.strip() and "time limit" not in reason:
        last = stderr.decode("utf-8", "replace").strip().splitlines()[-1]
        reason = f"{reason}: {last}"
    elapsed_ms = (time.monotonic() - started) * 1000
    results = []
    for index, target in enumerate(targets):
        facts = latest.get(index)
        if index in finished and facts is not None:
            results.append(facts)
        elif facts is not None:
            results.append(replace(facts, outcome=ScanOutcome.INCOMPLETE, detail=reason))
        else:
            outcome = ScanOutcome.TIMEOUT if "time limit" in reason else ScanOutcome.ERROR
            results.append(replace(_failed(target, outcome, reason), elapsed_ms=elapsed_ms))
    return results


def _failed(target: ScanTarget, outcome: ScanOutcome, detail: str) -> TlsScanFacts:
    return TlsScanFacts(target=target, outcome=outcome, detail=detail)


def _parse(line: bytes, count: int) -> tuple[int | None, bool, TlsScanFacts | None]:
    """(index, final, facts) of a worker line; (None, False, None) for anything else."""
    try:
        data = json.loads(line)
        index = int(data["index"])
        if not 0 <= index < count:
            return None, False, None
        return index, bool(data["final"]), facts_from_dict(data["facts"])
    except (ValueError, KeyError, TypeError):
        return None, False, None


async def _collect(stream: asyncio.StreamReader, into: bytearray) -> None:
    """Keep the last STDERR_KEPT bytes of the worker's error output."""
    while chunk := await stream.read(4096):
        into += chunk
        del into[:-STDERR_KEPT]
