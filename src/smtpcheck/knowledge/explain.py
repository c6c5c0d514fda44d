"""Put it together: everything known about one reply, in one language."""

from __future__ import annotations

from smtpcheck.knowledge._data import DEFAULT_LANGUAGE, check_language
from smtpcheck.knowledge.codes import (
    explain_code,
    explain_enhanced,
    normalise_enhanced,
    retry_advice,
)
from smtpcheck.knowledge.hints import find_hint, match_vendors, normalize_step
from smtpcheck.knowledge.i18n import t
from smtpcheck.knowledge.models import Explanation

# Fallback hints say nothing the code's own meaning does not: keep them out of summaries.
_GENERIC_HINTS = frozenset({"transient_generic", "permanent_generic"})


def explain_reply(
    code: int,
    enhanced: str | None = None,
    text: str = "",
    step: str | None = None,
    lang: str = DEFAULT_LANGUAGE,
) -> Explanation:
    """Explain a reply given as plain values (as `protocol.Reply` carries them).

    `step` is a step name ("banner", "rcpt"...) or what a reply answers (a
    `protocol.ReplyTo`: "greeting", "RCPT", "end of data"...). `text` is the
    reply text (lines joined by newlines), used to recognise known server messages.
    Raises ValueError for a malformed code or enhanced code, or an unsupported lang.
    """
    check_language(lang)
    code_info = explain_code(code, lang)
    enhanced_code = normalise_enhanced(enhanced) if enhanced else None
    enhanced_info = explain_enhanced(enhanced_code, lang) if enhanced_code else None
    step_name = normalize_step(step)
    failed = code // 100 in (4, 5)
    vendors = match_vendors(text, lang) if failed else ()
    hint = find_hint(step_name, code, enhanced_code, text, lang, vendor_matches=vendors)

    if hint is not None and hint.id not in _GENERIC_HINTS:
        headline = hint.title
    elif enhanced_info is not None and enhanced_info.known:
        headline = enhanced_info.meaning
    else:
        headline = code_info.meaning
    label = f"{code} {enhanced_code}" if enhanced_code else str(code)
    summary = t(
        "explain.summary",
        lang,
        label=label,
        headline=headline,
        outcome=t(f"outcome.{code_info.outcome}", lang),
    )
    return Explanation(
        code=code,
        enhanced=enhanced_code,
        text=text,
        step=step_name,
        lang=lang,
        outcome=code_info.outcome,
        code_meaning=code_info.meaning,
        class_meaning=code_info.class_meaning,
        category_meaning=code_info.category_meaning,
        code_info=code_info,
        enhanced_meaning=enhanced_info.meaning if enhanced_info else None,
        enhanced_info=enhanced_info,
        step_hint=hint,
        vendor_matches=vendors,
        retry_advice=retry_advice(code, step_name, lang),
        summary=summary,
    )


def explain_text(raw: str, step: str | None = None, lang: str = DEFAULT_LANGUAGE) -> Explanation:
    """Explain reply text pasted by a user (one or more lines, or prose quoting a
    reply). Raises ValueError when no reply code can be found in it."""
    from smtpcheck.knowledge.parse import parse_reply_text  # its regexes: only for pasted text

    parsed = parse_reply_text(raw)
    if parsed.code is None:
        raise ValueError(t("errors.no_code", lang))
    return explain_reply(parsed.code, parsed.enhanced, parsed.text, step, lang)
