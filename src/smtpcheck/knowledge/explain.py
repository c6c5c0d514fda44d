"""Put it together: everything known about one reply, in one language.

`explain_reply` is the one place a reply gets its diagnosis: `explain`, `send`, `check`,
the demo and the console all show what it returns (its `summary`, `causes`, `fixes`),
so the same reply reads the same everywhere. Its one-line `annotation` is
`annotation.reply_annotation`, which the transcripts call directly: for a success it needs
only the code tables. `explain_text` reads what a person pastes, code or not.
"""

from __future__ import annotations

import dataclasses

from smtpcheck.knowledge._data import DEFAULT_LANGUAGE, check_language
from smtpcheck.knowledge.codes import (
    explain_code,
    explain_enhanced,
    normalise_enhanced,
    retry_advice,
    success_annotation,
)
from smtpcheck.knowledge.i18n import t
from smtpcheck.knowledge.models import EnhancedInfo, Explanation, StepHint, VendorMatch
from smtpcheck.knowledge.steps import normalize_step

# A diagnosis decided by these (`knowledge.rules.Basis`) outranks the enhanced code's
# own meaning in the headline.
_DECISIVE = frozenset({"vendor", "text", "enhanced"})


def _unique(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(item for item in items if item))


def _headline(
    hint: StepHint | None, basis: str | None, enhanced: EnhancedInfo | None, code_meaning: str
) -> str:
    """The diagnosis in a few words. A known server text, a text rule or a rule on the
    enhanced code's detail name the hint; otherwise a registered, specific enhanced
    code (not x.y.0, "other") speaks before a hint picked by code, step or class."""
    if hint is not None and basis in _DECISIVE:
        return hint.title
    known = enhanced is not None and enhanced.known
    if known and enhanced is not None and not enhanced.code.endswith(".0"):
        return enhanced.meaning
    if hint is not None and basis != "class":
        return hint.title
    if known and enhanced is not None:
        return enhanced.meaning
    return code_meaning


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
    hint: StepHint | None = None
    vendors: tuple[VendorMatch, ...] = ()
    basis: str | None = None
    fits = None
    failed = code // 100 in (4, 5)
    if failed:  # the rules and patterns: for failures only
        from smtpcheck.knowledge.hints import get_hint, vendor_match
        from smtpcheck.knowledge.rules import choose, hint_fits_enhanced

        choice = choose(step_name, code, enhanced_code, text)
        basis = str(choice.basis) if choice.basis is not None else None
        hint = get_hint(choice.hint_id, lang) if choice.hint_id is not None else None
        vendors = tuple(vendor_match(p, lang) for p in choice.pattern_ids)
        if hint is not None and enhanced_info is not None and enhanced_info.known:
            fits = hint_fits_enhanced(hint.id, enhanced_info.code)

    label = f"{code} {enhanced_code}" if enhanced_code else str(code)
    headline = _headline(hint, basis, enhanced_info, code_info.meaning)
    summary = t(
        "explain.summary",
        lang,
        label=label,
        headline=headline,
        outcome=t(f"outcome.{code_info.outcome}", lang),
    )
    causes = _unique([m.meaning for m in vendors] + list(hint.causes if hint else ()))
    fixes = _unique([a for m in vendors for a in m.advice] + list(hint.fixes if hint else ()))
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
        causes=causes,
        fixes=fixes,
        annotation=summary if failed else success_annotation(code, enhanced_code, lang),
        basis=basis,
        enhanced_fits=fits,
    )


def explain_text(raw: str, step: str | None = None, lang: str = DEFAULT_LANGUAGE) -> Explanation:
    """Explain reply text pasted by a user: one or more lines, prose quoting a reply, or
    a server's text without its code ("Relay access denied"), read as the reply that
    text comes with (`read_as` says which). Raises ValueError when there is no code and
    the text is not one the knowledge recognises."""
    from smtpcheck.knowledge.parse import parse_reply_text  # its regexes: only for pasted text

    parsed = parse_reply_text(raw)
    if parsed.code is not None:
        return explain_reply(parsed.code, parsed.enhanced, parsed.text, step, lang)
    from smtpcheck.knowledge.hints import vendor_match
    from smtpcheck.knowledge.rules import recognise_text

    known = recognise_text(parsed.text) if parsed.enhanced is None else None
    if known is None:
        raise ValueError(t("errors.no_code", lang))
    explanation = explain_reply(known.code, known.enhanced, parsed.text, step or known.step, lang)
    reply = f"{known.code} {known.enhanced}" if known.enhanced else str(known.code)
    if known.pattern_id is not None:
        vendor = vendor_match(known.pattern_id, lang).vendor
        note = t("explain.read_as_vendor", lang, reply=reply, vendor=vendor)
    else:
        note = t("explain.read_as", lang, reply=reply)
    return dataclasses.replace(explanation, read_as=note)
