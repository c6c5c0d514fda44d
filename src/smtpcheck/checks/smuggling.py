"""SMTP smuggling: judging what the probe saw, one attempt per end-of-data form.

The probe (`scenarios.smuggling`) sends, after a normal MAIL/RCPT/DATA, a message that
carries one non-standard end of data (`<LF>.<LF>`, `<CR>.<CR>`, ...) followed by a
second MAIL FROM / RCPT TO / DATA and message, then the real `<CR><LF>.<CR><LF>`. A
server that ends the message at the non-standard form answers the smuggled commands:
more replies arrive than the one to the message. That is what a sending server that
passes such a message on unchanged lets an attacker exploit (forged mail that passes
SPF for the sending domain; SEC Consult, December 2023).

`judge_smuggling(attempts, lang)` gives the findings (server replies quoted terminal-safe
and bounded); texts from
`knowledge/data/<lang>/smuggling.toml`, codes in docs/tls-quality.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from smtpcheck.checks import make_catalogue_finding
from smtpcheck.checks.posture_findings import quote
from smtpcheck.report.model import Finding, Status

CATALOGUE = "smuggling"
#: replies quoted in a finding: the message's, then MAIL, RCPT, DATA and the second message's
SHOWN_REPLIES = 5


class AttemptOutcome(StrEnum):
    """What the server did with one end-of-data form."""

    SMUGGLED = "smuggled"  # it ended the message there and answered what followed
    REJECTED = "rejected"  # it refused the message (or hung up) because of the form
    ONE_MESSAGE = "one-message"  # it kept the form as message content: one reply
    NOT_TESTED = "not-tested"  # the transaction never reached the message


@dataclass(frozen=True)
class SmugglingAttempt:
    """One form tried in one transaction."""

    form: str  # as written in reports: "<LF>.<LF>"
    outcome: AttemptOutcome
    #: the replies after the message was sent, "code text" (first line), in order
    replies: tuple[str, ...] = ()
    #: the smuggled transaction got as far as DATA (354): a second message was accepted
    second_message: bool = False
    detail: str | None = None  # NOT_TESTED: why; REJECTED: how


def _finding(status: Status, code: str, lang: str, subject: str | None, **fmt: object) -> Finding:
    return make_catalogue_finding(CATALOGUE, status, code, lang, subject=subject, **fmt)


def judge_smuggling(
    attempts: list[SmugglingAttempt],
    lang: str,
    *,
    subject: str | None = None,
    recipient: str = "",
    marker: str = "",
) -> list[Finding]:
    """Findings for one server: vulnerable forms first, then what it did with the rest.

    `recipient` and `marker` (the subject words of the probe's messages) let the
    findings tell the user where to look for a message that arrived in two parts.
    """
    by_outcome: dict[AttemptOutcome, list[SmugglingAttempt]] = {}
    for attempt in attempts:
        by_outcome.setdefault(attempt.outcome, []).append(attempt)
    smuggled = by_outcome.get(AttemptOutcome.SMUGGLED, [])
    rejected = by_outcome.get(AttemptOutcome.REJECTED, [])
    kept = by_outcome.get(AttemptOutcome.ONE_MESSAGE, [])
    untested = by_outcome.get(AttemptOutcome.NOT_TESTED, [])
    out: list[Finding] = []
    if smuggled:
        accepted = [a.form for a in smuggled if a.second_message]
        code = "smuggling-accepted" if accepted else "smuggling-ends-early"
        replies = " | ".join(map(quote, smuggled[0].replies[:SHOWN_REPLIES]))
        out.append(
            _finding(
                Status.FAIL,
                code,
                lang,
                subject,
                forms=", ".join(a.form for a in smuggled),
                replies=replies,
            )
        )
    if rejected:
        out.append(
            _finding(
                Status.PASS,
                "smuggling-rejected",
                lang,
                subject,
                forms=", ".join(a.form for a in rejected),
                reply=quote(rejected[0].detail or "-"),
            )
        )
    if kept:
        forms = ", ".join(a.form for a in kept)
        out.append(_finding(Status.PASS, "smuggling-kept", lang, subject, forms=forms))
    if untested:
        out.append(
            _finding(
                Status.WARN,
                "smuggling-not-tested",
                lang,
                subject,
                forms=", ".join(a.form for a in untested),
                reason=quote(untested[0].detail or "-"),
            )
        )
    sent = len(kept) + len(smuggled)  # messages the server took (a smuggled one: two)
    if sent:
        out.append(
            _finding(
                Status.INFO,
                "smuggling-messages-sent",
                lang,
                subject,
                count=sent,
                recipient=recipient,
                marker=marker,
            )
        )
    return out
