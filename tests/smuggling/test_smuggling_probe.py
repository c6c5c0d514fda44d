"""The SMTP smuggling probe against real servers: vulnerable Postfix, fixed Postfix, Exim,
our sink, and servers that stop the transaction before the message."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from peers.badserver import HANG
from smtpcheck.checks.smuggling import AttemptOutcome, judge_smuggling
from smtpcheck.report.model import Status
from smtpcheck.scenarios.smuggling import FORMS, SmugglingOptions, message_bytes, probe_smuggling
from smtpcheck.sink.config import SinkConfig
from smtpcheck.sink.server import ThreadedSink, run_in_thread
from smtpcheck.transcript_entry import Direction

#: the forms a bare-LF-tolerant server (Postfix before its fix) ends DATA at
LF_FORMS = {"<LF>.<LF>", "<CR><LF>.<LF>", "<LF>.<CR><LF>"}


def options(recipient: str = "bob@example.test", **changes) -> SmugglingOptions:
    changes.setdefault("timeout", 10)
    return SmugglingOptions(
        sender="tester@client.example.test",
        recipient=recipient,
        ehlo="client.example.test",
        **changes,
    )


def probe(port: int, opts: SmugglingOptions, host: str = "mx.example.test"):
    return asyncio.run(probe_smuggling(host, "127.0.0.1", port, opts))


def outcomes(run) -> dict[str, AttemptOutcome]:
    return {attempt.form: attempt.outcome for attempt in run.attempts}


def test_the_message_carries_the_form_then_the_smuggled_transaction():
    opts = options()
    data = message_bytes(opts, FORMS[0], 1)
    outer, smuggled = data.split(b"\n.\n")
    assert b"\r\n.\r\n" not in outer
    assert smuggled.startswith(
        b"MAIL FROM:<tester@client.example.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n"
    )
    assert smuggled.endswith(b"\r\n.\r\n") and smuggled.count(b"\r\n.\r\n") == 1
    assert f"Subject: {opts.marker} #1 <LF>.<LF> (smuggled)".encode() in smuggled


def test_postfix_that_tolerates_bare_lf_is_vulnerable_and_two_messages_arrive(postfix):
    opts = options()
    run = probe(postfix.bare_lf_port, opts)
    found = outcomes(run)
    assert {form for form, outcome in found.items() if outcome is AttemptOutcome.SMUGGLED} == (
        LF_FORMS
    )
    first = run.attempts[0]
    assert first.second_message and first.replies[3].startswith("354")
    findings = judge_smuggling(run.attempts, "en", recipient=opts.recipient, marker=opts.marker)
    assert findings[0].code == "smuggling-accepted" and findings[0].status is Status.FAIL
    # the proof a user would see: the message arrived in two parts
    outer = postfix.wait_for_delivery("bob", f"{opts.marker} #1 <LF>.<LF> (outer)")
    postfix.wait_for_delivery("bob", f"{opts.marker} #1 <LF>.<LF> (smuggled)")
    assert b"MAIL FROM" not in outer.raw
    sent = [e.data for e in run.transcripts[0].entries if e.direction is Direction.SENT]
    assert any(b"\n.\nMAIL FROM:<tester@client.example.test>\r\n" in data for data in sent)


def test_postfix_that_rejects_bare_lf_is_not(postfix):
    opts = options()
    run = probe(postfix.tight_port, opts)
    found = outcomes(run)
    assert AttemptOutcome.SMUGGLED not in found.values()
    assert {form for form, o in found.items() if o is AttemptOutcome.REJECTED} >= LF_FORMS
    rejected = next(a for a in run.attempts if a.outcome is AttemptOutcome.REJECTED)
    assert "bare <LF>" in (rejected.detail or "")
    findings = judge_smuggling(run.attempts, "en")
    assert Status.FAIL not in {f.status for f in findings}
    assert "smuggling-rejected" in {f.code for f in findings}
    kept = postfix.wait_for_delivery("bob", f"{opts.marker} #4 <CR>.<CR> (outer)")
    assert b"MAIL FROM:<tester@client.example.test>" in kept.raw  # one message, all of it


def test_exim_keeps_every_form_in_the_message(exim):
    run = probe(exim.port, options(), host="exim.example.test")
    assert set(outcomes(run).values()) == {AttemptOutcome.ONE_MESSAGE}
    assert [f.code for f in judge_smuggling(run.attempts, "en")] == [
        "smuggling-kept",
        "smuggling-messages-sent",
    ]


@pytest.fixture
def strict_sink(tmp_path: Path) -> Iterator[ThreadedSink]:
    config = SinkConfig(port=0, hostname="sink.test", store_dir=tmp_path / "store",
                        durable=False, auth=False)  # fmt: skip
    with run_in_thread(config) as sink:
        yield sink


def test_our_sink_ends_data_only_at_crlf_dot_crlf(strict_sink):
    opts = options(recipient="someone@sink.test")
    run = probe(strict_sink.port, opts, host="sink.test")
    assert set(outcomes(run).values()) == {AttemptOutcome.ONE_MESSAGE}
    assert all(len(attempt.replies) == 1 for attempt in run.attempts)


def test_a_refused_recipient_means_nothing_was_tested_or_sent(postfix):
    run = probe(postfix.main_port, options(recipient="denied@example.test", forms=FORMS[:2]))
    assert set(outcomes(run).values()) == {AttemptOutcome.NOT_TESTED}
    assert "550 5.7.1" in (run.attempts[0].detail or "")
    findings = judge_smuggling(run.attempts, "en")
    assert [(f.code, f.status) for f in findings] == [("smuggling-not-tested", Status.WARN)]


def test_a_server_that_hangs_after_the_message_hits_the_step_deadline(bad_server):
    steps = [
        ("", b"220 hang.example.test ESMTP\r\n"),
        ("EHLO", b"250 hang.example.test\r\n"),
        ("MAIL", b"250 ok\r\n"),
        ("RCPT", b"250 ok\r\n"),
        ("DATA", b"354 go\r\n"),
        ("From:", HANG),
    ]
    server = bad_server("scripted", steps=steps)
    _, port = server.address
    run = probe(port, options(forms=FORMS[:1], timeout=1))
    (attempt,) = run.attempts
    assert attempt.outcome is AttemptOutcome.NOT_TESTED
    assert "no complete reply within 1 s" in (attempt.detail or "")


def test_nothing_listening_is_not_tested(postfix):
    from peers.process import free_port

    port = free_port([postfix.host], set())
    run = probe(port, options(forms=FORMS[:1]))
    assert run.attempts[0].outcome is AttemptOutcome.NOT_TESTED
