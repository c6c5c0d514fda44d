"""`smtpcheck send` with the arguments most tests share, and swaks beside it.

`send(server, *args)` runs `smtpcheck send --server SERVER [--from SENDER] [--ehlo EHLO]
--timeout STEP_TIMEOUT [--output json] ARGS...` through `clirun.run_cli`;
`server_of(peer)` spells a peer's `host:port` (`server_of(postfix, "tight")` for one of
the Postfix listeners); `swaks(...)` runs real swaks with the same envelope.
"""

from __future__ import annotations

import subprocess
from typing import Any

from clirun import CliResult, run_cli

CLIENT_EHLO = "client.example.test"


def server_of(peer: Any, listener: str | None = None) -> str:
    """`host:port` of a peer: its `port`, or the named one of its `ports`."""
    port = peer.ports[listener] if listener else peer.port
    return f"{peer.host}:{port}"


def send(
    server: str,
    *args: str,
    sender: str | None = None,
    ehlo: str | None = CLIENT_EHLO,
    step_timeout: str = "20s",
    json_out: bool = True,
    timeout: float = 60,
) -> CliResult:
    options = ["--server", server]
    if sender is not None:
        options += ["--from", sender]
    if ehlo is not None:
        options += ["--ehlo", ehlo]
    options += ["--timeout", step_timeout]
    if json_out:
        options += ["--output", "json"]
    return run_cli("send", *options, *args, timeout=timeout)


def swaks(program: str, server: str, sender: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Real swaks against `server`, from `sender`, with our usual HELO name."""
    return subprocess.run(
        [program, "--server", server, "--from", sender, "--helo", CLIENT_EHLO, *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
