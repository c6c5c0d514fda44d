"""Turns protocol replies and network failures into report entries with their meaning.

The meaning comes from `knowledge/`; this module only adapts between the layers: a
one-line annotation for the live transcript, and causes and fixes for a failed step.
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


def _knowledge(reply: Reply, step: str, lang: str) -> Knowledge | None:
    from smtpcheck.knowledge.explain import explain_reply  # hints, vendors: failures only

    enhanced = str(reply.enhanced_status) if reply.enhanced_status else None
    try:
        return explain_reply(reply.code, enhanced, reply.text, step, lang)
    except ValueError:  # a code outside 200-599: the parser keeps it, knowledge cannot
        return None


def short_meaning(reply: Reply, step: str, lang: str) -> str | None:
    """One line for the transcript: what the code (and the enhanced code) says."""
    if reply.code // 100 in (2, 3):
        return _success_meaning(reply, lang)
    known = _knowledge(reply, step, lang)
    if known is None:
        return None
    if known.step_hint is not None and known.outcome in ("transient", "permanent"):
        return known.summary
    if known.enhanced_meaning and known.enhanced_info and known.enhanced_info.known:
        return f"{known.code_meaning}; {known.enhanced}: {known.enhanced_meaning}"
    return known.code_meaning


def _success_meaning(reply: Reply, lang: str) -> str | None:
    """`short_meaning` of a 2xx/3xx reply, the common case, from the code tables alone.

    No step hint applies to these (hints are for 4xx/5xx), so the full `explain_reply`
    would give the same line after loading the hint rules and vendor patterns.
    """
    from smtpcheck.knowledge.codes import code_meaning, enhanced_meaning

    try:
        meaning = code_meaning(reply.code, lang)
        if reply.enhanced_status is None:
            return meaning
        enhanced = str(reply.enhanced_status)
        detail = enhanced_meaning(enhanced, lang)
    except ValueError:
        return None
    return f"{meaning}; {enhanced}: {detail}" if detail else meaning


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
        if known is None:
            return None
        causes = list(known.step_hint.causes) if known.step_hint else []
        fixes = list(known.step_hint.fixes) if known.step_hint else []
        for match in known.vendor_matches:
            causes.insert(0, match.meaning)
            fixes[:0] = list(match.advice)
        if known.retry_advice:
            causes.append(known.retry_advice)
        return Explanation(summary=known.summary, causes=causes, fixes=fixes)
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
