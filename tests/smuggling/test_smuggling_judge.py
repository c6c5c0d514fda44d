"""Judging smuggling attempts (checks/smuggling.py), from plain values."""

from __future__ import annotations

import re
from pathlib import Path

from smtpcheck.checks.smuggling import AttemptOutcome, SmugglingAttempt, judge_smuggling
from smtpcheck.knowledge import _data
from smtpcheck.report.model import Status

DOCS = Path(__file__).resolve().parents[2] / "docs" / "tls-quality.md"
SMUGGLED = SmugglingAttempt(
    "<LF>.<LF>",
    AttemptOutcome.SMUGGLED,
    replies=("250 queued as A", "250 Ok", "250 Ok", "354 go", "250 queued as B"),
    second_message=True,
)
ENDS_EARLY = SmugglingAttempt(
    "<LF>.<CR><LF>",
    AttemptOutcome.SMUGGLED,
    replies=("250 queued as A", "250 Ok", "554 no"),
)
KEPT = SmugglingAttempt("<CR>.<CR>", AttemptOutcome.ONE_MESSAGE, replies=("250 queued",))
REJECTED = SmugglingAttempt(
    "<CR><LF>.<LF>", AttemptOutcome.REJECTED, replies=("550 bare LF",), detail="550 bare LF"
)
UNTESTED = SmugglingAttempt("<LF>.<CR>", AttemptOutcome.NOT_TESTED, detail="RCPT: 550 no such user")


def statuses(findings):
    return [(f.code, f.status) for f in findings]


def test_a_server_that_answers_the_smuggled_commands_fails():
    findings = judge_smuggling([SMUGGLED, KEPT], "en", subject="mx [192.0.2.1]",
                               recipient="me@example.test", marker="probe 1234")  # fmt: skip
    assert statuses(findings) == [
        ("smuggling-accepted", Status.FAIL),
        ("smuggling-kept", Status.PASS),
        ("smuggling-messages-sent", Status.INFO),
    ]
    assert "<LF>.<LF>" in findings[0].message and "354 go" in findings[0].message
    assert "smtpd_forbid_bare_newline" in (findings[0].fix or "")
    assert "me@example.test" in findings[2].message and "probe 1234" in findings[2].message
    assert all(f.subject == "mx [192.0.2.1]" for f in findings)


def test_ending_early_without_accepting_the_second_message_still_fails():
    findings = judge_smuggling([ENDS_EARLY], "en")
    assert statuses(findings)[0] == ("smuggling-ends-early", Status.FAIL)


def test_a_server_that_refuses_or_keeps_the_forms_passes():
    findings = judge_smuggling([REJECTED, KEPT], "en")
    assert statuses(findings) == [
        ("smuggling-rejected", Status.PASS),
        ("smuggling-kept", Status.PASS),
        ("smuggling-messages-sent", Status.INFO),
    ]
    assert "550 bare LF" in findings[0].message


def test_forms_that_could_not_be_tried_are_a_warning_and_no_mail_was_sent():
    findings = judge_smuggling([UNTESTED], "en")
    assert statuses(findings) == [("smuggling-not-tested", Status.WARN)]
    assert "RCPT: 550 no such user" in findings[0].message


def test_every_text_is_reachable_documented_and_translated():
    attempts = [SMUGGLED, KEPT, REJECTED, UNTESTED]
    findings = [
        f
        for lang in ("en", "it")
        for group in (attempts, [ENDS_EARLY])
        for f in judge_smuggling(group, lang, recipient="r@x.test", marker="m")
    ]
    catalogue = _data.language_file("en", "smuggling")["check"]["finding"]
    assert {f.code.replace("-", "_") for f in findings} == set(catalogue)
    documented = set(re.findall(r"`(smuggling-[a-z-]+)`", DOCS.read_text(encoding="utf-8")))
    assert {f.code for f in findings} <= documented
    italian = judge_smuggling([KEPT], "it")
    assert italian[0].message.startswith("Il server tratta <CR>.<CR> come contenuto")


def test_server_replies_are_quoted_terminal_safe():
    hostile = SmugglingAttempt(
        "<LF>.<LF>", AttemptOutcome.SMUGGLED, replies=("250 ok\x1b]0;pwned\x07", "250 Ok")
    )
    (finding, *_) = judge_smuggling([hostile], "en")
    assert "\x1b" not in finding.message and "\x07" not in finding.message
