"""Turns protocol replies and network failures into report entries with their meaning.

The meaning comes from `knowledge/`; this module only adapts between the layers.
"""

from __future__ import annotations

from smtpcheck.net.errors import FailureKind
from smtpcheck.protocol import Reply
from smtpcheck.report.model import Explanation, ReplyInfo


def reply_info(reply: Reply, step: str, lang: str) -> ReplyInfo:
    return ReplyInfo(
        code=reply.code,
        enhanced_status=str(reply.enhanced_status) if reply.enhanced_status else None,
        lines=list(reply.lines),
        meaning=None,
        anomalies=[f"{a.kind}: {a.detail}" for a in reply.anomalies],
    )


def failure_explanation(
    reply: Reply | None, step: str, lang: str, kind: FailureKind | None = None
) -> Explanation | None:
    return None
