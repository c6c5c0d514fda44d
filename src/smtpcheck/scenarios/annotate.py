"""Turns protocol replies and network failures into report entries with their meaning.

The meaning comes from `knowledge/` (`explain_reply`; its one-line `annotation` is
`reply_annotation`, which loads no hint rules for a success); this module
only adapts between the layers: the one-line annotation for the live transcript, and
the summary, causes and fixes of a failed step. `send`, `check`, the demo and the
console all come through here, so a reply reads the same in each.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smtpcheck.net.errors import FailureKind
from smtpcheck.protocol import Reply
from smtpcheck.report.model import Explanation, ReplyInfo

if TYPE_CHECKING:
    from smtpcheck.knowledge.models import Explanation as Knowledge

#: session failure kinds -> the knowledge layer's connection failure names
_FAILURES = {
    FailureKind.REFUSED: "refused",
    FailureKind.TIMEOUT: "timeout",
    FailureKind.UNREACHABLE: "unreachable",
    FailureKind.NAME_NOT_FOUND: "name_not_found",
    FailureKind.TLS: "tls",
    FailureKind.CLOSED: "closed",
    FailureKind.RESET: "closed",
}


def _inputs(reply: Reply, step: str) -> tuple[int, str | None, str, str]:
    """What knowledge is asked about a reply, the same whoever asks: the step is what
    the protocol recorded the reply answers (`Reply.command`: "RCPT", "end of data"...),
    the scenario's step name only when the protocol has none, so a probe's RCPT reads
    like any other RCPT."""
    enhanced = str(reply.enhanced_status) if reply.enhanced_status else None
    answered = str(reply.command) if reply.command is not None else step
    return reply.code, enhanced, reply.text, answered


def _knowledge(reply: Reply, step: str, lang: str) -> Knowledge | None:
    """The one explanation of a reply (`knowledge.explain.explain_reply`)."""
    from smtpcheck.knowledge.explain import explain_reply

    try:
        return explain_reply(*_inputs(reply, step), lang)
    except ValueError:  # a code outside 200-599: the parser keeps it, knowledge cannot
        return None


def short_meaning(reply: Reply, step: str, lang: str) -> str | None:
    """One line for the transcript: `knowledge.annotation.reply_annotation`, which is the
    explanation's `annotation` (for a failure, its summary)."""
    from smtpcheck.knowledge.annotation import reply_annotation

    try:
        return reply_annotation(*_inputs(reply, step), lang)
    except ValueError:
        return None


def report_explanation(known: Knowledge) -> Explanation:
    """A reply's explanation as a report carries it: the same summary, causes and fixes
    that `explain` shows, and what a sending server does next."""
    return Explanation(
        summary=known.summary,
        causes=list(known.causes),
        fixes=list(known.fixes),
        next=known.retry_advice or None,
    )


def reply_info(reply: Reply, step: str, lang: str) -> ReplyInfo:
    return ReplyInfo(
        code=reply.code,
        enhanced_status=str(reply.enhanced_status) if reply.enhanced_status else None,
        lines=list(reply.lines),
        meaning=short_meaning(reply, step, lang),
        anomalies=[f"{a.kind}: {a.detail}" for a in reply.anomalies],
    )


def failure_explanation(
    reply: Reply | None, step: str, lang: str, kind: FailureKind | None = None
) -> Explanation | None:
    """Causes and fixes for a step that failed, with or without a reply."""
    if reply is not None:
        known = _knowledge(reply, step, lang)
        return report_explanation(known) if known is not None else None
    name = _FAILURES.get(kind) if kind is not None else None
    if name is None:
        return None
    if name == "timeout" and step == "banner":
        name = "banner_timeout"
    elif name == "timeout" and step != "connect":
        return None  # a reply that never came: the transcript says enough
    from smtpcheck.knowledge.hints import explain_connection_failure

    hint = explain_connection_failure(name, lang)
    return Explanation(summary=hint.title, causes=list(hint.causes), fixes=list(hint.fixes))
