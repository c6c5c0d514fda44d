"""The one-line reply annotation: `reply_annotation` (what every interface shows, light
for a success) says what `explain_reply` says."""

from __future__ import annotations

import pytest

from smtpcheck.knowledge._data import neutral
from smtpcheck.knowledge.annotation import reply_annotation
from smtpcheck.knowledge.explain import explain_reply
from smtpcheck.protocol import Reply
from smtpcheck.scenarios.annotate import short_meaning


def _full_path(reply: Reply, step: str, lang: str) -> str | None:
    """`short_meaning` as computed before the shortcut: through `explain_reply`."""
    enhanced = str(reply.enhanced_status) if reply.enhanced_status else None
    known = explain_reply(reply.code, enhanced, reply.text, step, lang)
    if known.step_hint is not None and known.outcome in ("transient", "permanent"):
        return known.summary
    if known.enhanced_meaning and known.enhanced_info and known.enhanced_info.known:
        return f"{known.code_meaning}; {known.enhanced}: {known.enhanced_meaning}"
    return known.code_meaning


def _enhanced_codes() -> list[str | None]:
    details = list(neutral("registry")["enhanced_details"])
    return [None, "2.9.99", "3.0.0", *(f"{k}.{d}" for k in (2, 4, 5) for d in details)]


@pytest.mark.parametrize("lang", ["en", "it"])
@pytest.mark.parametrize("code", [200, 211, 220, 221, 235, 250, 251, 252, 253, 299, 334, 354, 399])
def test_success_shortcut_matches_the_full_explanation(code: int, lang: str) -> None:
    for enhanced in _enhanced_codes():
        reply = Reply.build(code, f"{enhanced} Ok" if enhanced else "Ok")
        expected = _full_path(reply, "rcpt", lang)
        parsed = str(reply.enhanced_status) if reply.enhanced_status else None
        assert reply_annotation(code, parsed, reply.text, "rcpt", lang) == expected
        assert short_meaning(reply, "banner", lang) == expected
        assert explain_reply(code, parsed, reply.text, "rcpt", lang).annotation == expected


def test_failures_still_get_their_step_hint() -> None:
    reply = Reply.build(550, "5.1.1 <kate@fabrikam.com>: Recipient address rejected: User unknown")
    assert short_meaning(reply, "rcpt", "en") == _full_path(reply, "rcpt", "en")


def test_codes_outside_the_smtp_range_have_no_meaning() -> None:
    assert short_meaning(Reply.build(199, "odd"), "rcpt", "en") is None
