"""The one line a transcript shows under a reply, for every interface: `reply_annotation`.

A failure (4xx, 5xx) gets its diagnosis, the summary of `explain.explain_reply` (what
`explain` prints); any other reply `codes.success_annotation`, from the code tables
alone, so a session's successes load no hint rules. Kept apart from codes.py and
explain.py so that neither imports the other in a circle.
"""

from __future__ import annotations

from smtpcheck.knowledge._data import DEFAULT_LANGUAGE
from smtpcheck.knowledge.codes import success_annotation, validate_code


def reply_annotation(
    code: int,
    enhanced: str | None = None,
    text: str = "",
    step: str | None = None,
    lang: str = DEFAULT_LANGUAGE,
) -> str:
    """The transcript's line for a reply; `explain_reply(...).annotation` is the same
    line. ValueError for a malformed code or enhanced code."""
    validate_code(code)
    if code // 100 in (4, 5):
        from smtpcheck.knowledge.explain import explain_reply  # hints: failures only

        return explain_reply(code, enhanced, text, step, lang).summary
    return success_annotation(code, enhanced, lang)
