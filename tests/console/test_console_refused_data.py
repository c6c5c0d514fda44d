"""A script whose DATA (or `bdat`) is refused: its message is skipped, never run as commands.

In a script the lines after DATA are the message. When the server refuses DATA, those
lines must not reach the server as SMTP commands: a message that holds `MAIL FROM`,
`RCPT TO` and `DATA` lines would otherwise be sent as a second transaction, and
stored. The server is our sink, told by a rule to refuse DATA for one domain.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from clirun import run_cli
from smtpcheck.sink import SinkConfig, run_in_thread
from smtpcheck.sink.rules import Rule, RuleSet, parse_reply
from smtpcheck.sink.server import ThreadedSink

REFUSAL = "554 5.7.1 No messages for refused.test"


@pytest.fixture
def refusing_sink(tmp_path: Path) -> Iterator[ThreadedSink]:
    """The sink, refusing DATA when a recipient is in refused.test (and storing the rest)."""
    rules = RuleSet(rules=[Rule("DATA", match="*@refused.test", reply=parse_reply(REFUSAL))])
    config = SinkConfig(port=0, store_dir=tmp_path / "sink", durable=False, rules=rules)
    with run_in_thread(config) as sink:
        yield sink


def _injected_message(marker: str) -> str:
    """A message whose lines, run as commands, are a whole second transaction."""
    return (
        "Subject: the message that was refused\n"
        "RSET\n"
        "MAIL FROM:<mallory@evil.test>\n"
        "RCPT TO:<victim@example.test>\n"
        "DATA\n"
        f"Subject: injected {marker}\n"
        "\n"
        "injected body\n"
        ".\n"
    )


@pytest.mark.parametrize(
    ("data_line", "sent"),
    [("DATA", "DATA"), ("data", "DATA"), ("DATA BODY=8BITMIME", "DATA BODY=8BITMIME")],
)
def test_a_refused_data_skips_its_message_and_the_script_fails(
    refusing_sink: ThreadedSink, data_line: str, sent: str
) -> None:
    marker = uuid.uuid4().hex
    script = (
        f"open 127.0.0.1 {refusing_sink.port}\n"
        "EHLO contoso.test\n"
        "MAIL FROM:<chris@contoso.test>\n"
        "RCPT TO:<kate@refused.test>\n"
        f"{data_line}\n"
        f"{_injected_message(marker)}"
        "QUIT\n"
    )
    result = run_cli("console", stdin=script, timeout=30)
    out = result.stdout
    assert refusing_sink.messages() == []  # before the fix: the injected message, stored
    assert result.code == 1, out  # the message was not sent: a failed step
    assert f" -> {sent}\n<-  {REFUSAL}\n" in out
    skipped = [line for line in out.splitlines() if line.startswith("*** ")]
    assert skipped == [
        "*** DATA did not start message mode: the message that follows it in the script"
        " is skipped up to its final dot, not sent as commands (script lines skipped: 8)"
    ], out
    assert " -> RSET" not in out and "mallory" not in out  # nothing of it went out
    assert " -> QUIT\n<-  221" in out  # the script goes on after the message


def test_bdat_without_chunking_skips_its_message(refusing_sink: ThreadedSink) -> None:
    marker = uuid.uuid4().hex
    script = (
        f"open 127.0.0.1 {refusing_sink.port}\n"
        "HELO contoso.test\n"  # no EHLO: CHUNKING is not known to be offered
        "MAIL FROM:<chris@contoso.test>\n"
        "RCPT TO:<bob@example.test>\n"
        "bdat\n"
        f"{_injected_message(marker)}"
        "QUIT\n"
    )
    result = run_cli("console", stdin=script, timeout=30)
    out = result.stdout
    assert result.code == 1, out
    assert "*** the server did not advertise CHUNKING" in out
    assert (
        "*** BDAT did not start message mode: the message that follows it in the script"
        " is skipped up to its final dot, not sent as commands (script lines skipped: 8)"
    ) in out
    assert " -> RSET" not in out and "mallory" not in out
    assert " -> QUIT\n<-  221" in out
    assert refusing_sink.messages() == []


def test_a_refused_data_without_a_final_dot_skips_the_rest(refusing_sink: ThreadedSink) -> None:
    script = (
        f"open 127.0.0.1 {refusing_sink.port}\n"
        "EHLO contoso.test\n"
        "MAIL FROM:<chris@contoso.test>\n"
        "RCPT TO:<kate@refused.test>\n"
        "DATA\n"
        "Subject: no end\n"
        "QUIT\n"
    )
    result = run_cli("console", stdin=script, timeout=30)
    assert result.code == 1
    assert (
        "*** DATA did not start message mode: the rest of the script is its message"
        " (no line holds a single dot), skipped (script lines skipped: 2)"
    ) in result.stdout
    assert " -> QUIT" not in result.stdout
    assert refusing_sink.messages() == []


def test_an_accepted_data_still_sends_its_message(refusing_sink: ThreadedSink) -> None:
    """The same script to a recipient the rule lets through: stored, exit 0."""
    marker = uuid.uuid4().hex
    script = (
        f"open 127.0.0.1 {refusing_sink.port}\n"
        "EHLO contoso.test\n"
        "MAIL FROM:<chris@contoso.test>\n"
        "RCPT TO:<bob@example.test>\n"
        "DATA\n"
        f"Subject: accepted {marker}\n"
        "\n"
        "body\n"
        ".\n"
        "QUIT\n"
    )
    result = run_cli("console", stdin=script, timeout=30)
    assert result.code == 0, result.stdout
    messages = refusing_sink.messages()
    assert [m["mail_from"] for m in messages] == ["chris@contoso.test"]
