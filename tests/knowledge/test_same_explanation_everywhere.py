"""The same reply gets the same explanation in every command.

The demo's `530 5.7.1 Client was not authenticated` (its capture server, dressed as the
seed's Exchange server, refuses an outside sender) must read the same in `explain`,
`send`, `check` and the demo itself: the same summary, the same causes and fixes (the
Exchange receive-connector fix first), in English and in Italian. Real runs: the sink
with the demo's own rules, the CLI as a user types it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from smtpcheck.cli.demo_runner import HOSTNAME, demo_rules
from smtpcheck.knowledge.explain import explain_reply
from smtpcheck.sink.config import SinkConfig
from smtpcheck.sink.personas import get_persona
from smtpcheck.sink.server import ThreadedSink, run_in_thread

REPLY = "530 5.7.1 Client was not authenticated"
SENDER = "chris@outside.example"  # the demo's rules refuse *@outside.example at MAIL


def smtpcheck(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LANG", "LC_ALL", "LANGUAGE")}
    env.update(NO_COLOR="1", COLUMNS="400", LANG="C.UTF-8")
    return subprocess.run(
        [sys.executable, "-m", "smtpcheck", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


@pytest.fixture(scope="module")
def exchange(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreadedSink]:
    """The demo's capture server: Exchange persona, the demo's refusals."""
    config = SinkConfig(
        host="127.0.0.1",
        port=0,
        hostname=HOSTNAME,
        store_dir=tmp_path_factory.mktemp("store"),
        durable=False,
        persona=get_persona("exchange"),
        rules=demo_rules(),
        auth=False,
        starttls=False,
    )
    with run_in_thread(config) as sink:
        yield sink


def _explain(lang: str) -> dict[str, Any]:
    done = smtpcheck("explain", "--lang", lang, "--step", "mail", "--output", "json", REPLY)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)["result"]
    return result


def _step_explanation(report: dict[str, Any], name: str) -> dict[str, Any]:
    def walk(steps: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for step in steps:
            yield step
            yield from walk(step["children"])

    failed = [s for s in walk(report["steps"]) if s["name"] == name and s["explanation"]]
    assert failed, f"no failed {name} step with an explanation"
    explanation: dict[str, Any] = failed[0]["explanation"]
    return explanation


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("lang", ["en", "it"])
def test_explain_send_check_and_demo_agree(exchange: ThreadedSink, lang: str) -> None:
    expected = explain_reply(530, "5.7.1", "Client was not authenticated", "mail", lang)
    assert expected.vendor_matches[0].vendor == "Microsoft Exchange"
    connector_fix = expected.fixes[0]
    assert "Anonymous users" in connector_fix or "Utenti anonimi" in connector_fix

    explained = _explain(lang)
    assert explained["summary"] == expected.summary
    assert tuple(explained["causes"]) == expected.causes
    assert tuple(explained["fixes"]) == expected.fixes

    server = f"127.0.0.1:{exchange.port}"
    sent = smtpcheck(
        "send", "--server", server, "--from", SENDER, "--to", "kate@fabrikam.com",
        "--lang", lang, "--output", "json",
    )  # fmt: skip
    assert sent.returncode != 0
    in_send = _step_explanation(json.loads(sent.stdout), "mail")
    assert in_send["summary"] == expected.summary
    assert tuple(in_send["causes"]) == expected.causes
    assert tuple(in_send["fixes"]) == expected.fixes
    assert in_send["next"] == expected.retry_advice

    checked = smtpcheck(
        "check", "kate@fabrikam.com", "--server", server, "--from", SENDER,
        "--no-starttls", "--lang", lang, "--output", "json",
    )  # fmt: skip
    report = json.loads(checked.stdout)
    in_check = _step_explanation(report, "mail")
    assert (in_check["summary"], tuple(in_check["causes"]), tuple(in_check["fixes"])) == (
        expected.summary,
        expected.causes,
        expected.fixes,
    )
    refused = next(f for f in report["findings"] if f["code"] == "mail-refused")
    assert refused["fix"] == " ".join(expected.fixes)

    text = smtpcheck(
        "send", "--server", server, "--from", SENDER, "--to", "kate@fabrikam.com",
        "--lang", lang,
    )  # fmt: skip
    assert expected.summary in text.stdout
    assert all(f"  - {fix}" in text.stdout for fix in expected.fixes)


@pytest.mark.parametrize("lang", ["en", "it"])
def test_the_demo_shows_the_exchange_fix(lang: str) -> None:
    expected = explain_reply(530, "5.7.1", "Client was not authenticated", "mail", lang)
    done = smtpcheck("demo", "--lang", lang)
    assert done.returncode == 0, done.stdout + done.stderr
    case = re.split(r"\n={78}\n", done.stdout)
    anonymous = next(part for part in case if SENDER in part and "530 5.7.1" in part)
    assert _flat(" ".join(expected.fixes)) in _flat(anonymous)
    # the generic "read the reply" advice of a refused sender is not what it says
    generic = "Read the reply: the server may require authentication"
    assert generic not in anonymous and "Leggere la risposta: il server può" not in anonymous


def test_probe_replies_are_read_as_what_they_answer() -> None:
    """check's probes send RCPT under step names of their own; the explanation takes the
    step from what the reply answers, so a probe's RCPT reads like send's RCPT."""
    from smtpcheck.protocol import Reply
    from smtpcheck.protocol.events import ReplyTo
    from smtpcheck.scenarios.annotate import failure_explanation, short_meaning

    reply = Reply.build(550, "5.1.1 User unknown", command=ReplyTo.RCPT)
    as_probe = failure_explanation(reply, "probe-random", "en")
    as_rcpt = failure_explanation(reply, "rcpt", "en")
    assert as_probe == as_rcpt and as_probe is not None
    assert as_probe.summary == explain_reply(550, "5.1.1", "User unknown", "rcpt").summary
    assert short_meaning(reply, "probe-random", "en") == as_probe.summary
