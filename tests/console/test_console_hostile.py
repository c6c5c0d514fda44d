"""Hostile servers cannot hang the console: a bound or a deadline ends each, in one line.

An endless multi-line reply, an endless line without CRLF, a 100,000-line reply and a
reply of 85 KB in 701 lines are stopped by the reply parser's bounds (lines, line
length, whole reply: docs/protocol-contract.md), long before the step's deadline; a
server that never answers, or trickles a reply a byte at a time, by the deadline. Each
ends in one `***` line that names which (and the step), then the console carries on:
the next command in a script, the prompt in a terminal. The deadline given is long for
the bound cases, so a missing bound would show as the deadline's message, and fail here.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from clirun import run_cli
from peers.badserver import HANG, BadServer, BadServerFactory, Step

from .conftest import Start

BANNER = b"220 bad.example.test ESMTP\r\n"
LONG_LINE = b"250-" + b"y" * 116 + b"\r\n"  # 122 octets: 700 of them are 85,400


@dataclass(frozen=True)
class Hostile:
    """One hostile server, the command that meets it, and the one error line expected."""

    behaviour: str
    steps: list[Step] | None
    command: str
    timeout: str  # the console's --timeout
    step: str  # the step the one *** line names
    stopped_by: str  # the words in it that name the bound or the deadline
    still_connected: bool  # a deadline keeps the connection; a broken bound drops it


CASES = {
    "endless multi-line reply": Hostile(
        "endless-multiline",
        None,
        "EHLO contoso.test",
        "30",
        "ehlo",
        "more than 1000 lines",
        still_connected=False,
    ),
    "endless line without CRLF": Hostile(
        "scripted",
        [("", BANNER), ("NOOP", b"250-" + b"x" * (8 << 20)), ("", HANG)],
        "NOOP",
        "30",
        "noop",
        "reply line longer than 8192 octets",
        still_connected=False,
    ),
    "100,000-line reply": Hostile(
        "scripted",
        [("", BANNER), ("VRFY", b"250-a line\r\n" * 99_999 + b"250 the end\r\n"), ("", HANG)],
        "VRFY kate",
        "30",
        "vrfy",
        "more than 1000 lines",
        still_connected=False,
    ),
    "a reply over 64 KiB in fewer than 1000 lines": Hostile(
        "scripted",
        [("", BANNER), ("VRFY", LONG_LINE * 700 + b"250 end\r\n"), ("", HANG)],
        "VRFY kate",
        "30",
        "vrfy",
        "longer than 65536 octets",
        still_connected=False,
    ),
    "a server that never answers": Hostile(
        "scripted",
        [("", BANNER), ("NOOP", HANG)],
        "NOOP",
        "1",
        "noop",
        "no complete reply within 1 s",
        still_connected=True,
    ),
    "a banner trickled a byte at a time": Hostile(
        "slow",
        None,
        "",
        "1",
        "banner",
        "no complete reply within 1 s",
        still_connected=True,
    ),
}


def _start(bad_server: BadServerFactory, case: Hostile) -> BadServer:
    if case.behaviour == "slow":
        return bad_server("slow", interval=0.05)
    if case.steps is None:
        return bad_server(case.behaviour)
    return bad_server("scripted", steps=case.steps)


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_a_script_meets_one_error_line_and_goes_on(
    bad_server: BadServerFactory, case: Hostile
) -> None:
    server = _start(bad_server, case)
    script = f"{case.command}\nstatus\n"
    result = run_cli(
        "console", "--timeout", case.timeout, "127.0.0.1", str(server.port), stdin=script
    )
    out = result.stdout
    assert result.code == 1, out  # a failed step
    errors = [line for line in out.splitlines() if line.startswith("*** ")]
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"*** {case.step}: "), errors[0]
    assert case.stopped_by in errors[0], errors[0]
    after = out.split(errors[0], 1)[1]
    if case.still_connected:
        assert "=== still connected: a late reply will be shown when it comes" in after
        assert "\nConnected to 127.0.0.1" in after  # `status`, run next
    else:
        assert "=== Disconnected: `open` connects again" in after
        assert "\nnot connected: use `open HOST [PORT]`" in after
    assert "Traceback" not in out + result.stderr


@pytest.mark.parametrize(
    "name", ["endless multi-line reply", "endless line without CRLF", "a server that never answers"]
)
def test_at_the_prompt_one_error_line_then_the_prompt(
    bad_server: BadServerFactory, console_pty: Start, name: str
) -> None:
    case = CASES[name]
    server = _start(bad_server, case)
    console = console_pty("--timeout", case.timeout, "127.0.0.1", str(server.port))
    console.expect("220 bad.example.test")
    console.type(case.command)
    console.expect(f"*** {case.step}: ")
    console.expect(case.stopped_by)
    console.expect("still connected" if case.still_connected else "Disconnected")
    console.type("status")
    console.expect("Connected to 127.0.0.1" if case.still_connected else "not connected")
    console.type("exit")
    assert console.finish() == 0
    screen = console.screen
    assert screen.count("*** ") == 1, screen[-3000:]
    assert "Traceback" not in screen


def test_an_endless_line_sent_unasked_at_the_prompt_is_bounded(
    bad_server: BadServerFactory, console_pty: Start
) -> None:
    """At the prompt there is no deadline (the user may think): the bound alone stops it."""
    server = bad_server("scripted", steps=[("", BANNER + b"250-" + b"x" * (8 << 20)), ("", HANG)])
    console = console_pty("127.0.0.1", str(server.port))
    console.expect("220 bad.example.test")
    console.expect("*** idle: ")
    console.expect("reply line longer than 8192 octets")
    console.expect("Disconnected")
    console.type("status")
    console.expect("not connected")
    console.type("exit")
    assert console.finish() == 0
    assert console.screen.count("*** ") == 1
