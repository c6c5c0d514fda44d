"""Basic reply codes (RFC 5321 §4.2) and enhanced status codes (RFC 3463, IANA)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from smtpcheck.knowledge._data import (
    DEFAULT_LANGUAGE,
    check_language,
    lookup_str,
    lookup_strs,
    neutral,
)

if TYPE_CHECKING:
    from smtpcheck.knowledge.models import CodeInfo, EnhancedInfo

_OUTCOMES = {2: "success", 3: "intermediate", 4: "transient", 5: "permanent"}
_ENHANCED_RE = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})$")


def validate_code(code: int) -> int:
    """Return `code` if it is a well-formed SMTP reply code (2xx-5xx), else ValueError."""
    if not 200 <= code <= 599:
        raise ValueError(f"{code} is not an SMTP reply code (three digits, 2xx to 5xx)")
    return code


def normalise_enhanced(enhanced: str) -> str:
    """'5.01.1 ' -> '5.1.1'; ValueError unless it is class.subject.detail (RFC 3463)."""
    match = _ENHANCED_RE.match(enhanced.strip())
    if match is None:
        raise ValueError(
            f"{enhanced!r} is not an enhanced status code (class.subject.detail, like 5.1.1)"
        )
    klass, subject, detail = (int(part) for part in match.groups())
    return f"{klass}.{subject}.{detail}"


def outcome_of(code: int) -> str:
    """'success', 'intermediate', 'transient' or 'permanent' from the first digit."""
    return _OUTCOMES[validate_code(code) // 100]


def class_meaning(code: int, lang: str = DEFAULT_LANGUAGE) -> str:
    """Meaning of the first digit (§4.2.1)."""
    return lookup_str(lang, "replies", "class", str(validate_code(code) // 100)) or ""


def category_meaning(code: int, lang: str = DEFAULT_LANGUAGE) -> str:
    """Meaning of the second digit (§4.2.1); '' for digits RFC 5321 does not define."""
    return lookup_str(lang, "replies", "category", str(validate_code(code) // 10 % 10)) or ""


def code_meaning(code: int, lang: str = DEFAULT_LANGUAGE) -> str:
    """`explain_code(code, lang).meaning` alone: the one-liner that annotates each reply
    in a transcript, without building the whole `CodeInfo`."""
    check_language(lang)
    validate_code(code)
    meaning = lookup_str(lang, "replies", "code", str(code), "meaning")
    if meaning is None:
        meaning = lookup_str(lang, "replies", "unknown", "meaning") or ""
    return meaning


def enhanced_meaning(enhanced: str, lang: str = DEFAULT_LANGUAGE) -> str | None:
    """`explain_enhanced(enhanced, lang).meaning` when the code is registered (`known`),
    else None; for annotating each reply without building the whole `EnhancedInfo`."""
    check_language(lang)
    key = normalise_enhanced(enhanced).split(".", 1)[1]
    if not neutral("registry")["enhanced_details"].get(key, ""):
        return None
    return lookup_str(lang, "enhanced", "detail", key, "meaning")


def success_annotation(code: int, enhanced: str | None = None, lang: str = DEFAULT_LANGUAGE) -> str:
    """The transcript's line under a reply that is no failure: the code's meaning and the
    enhanced code's when it is registered, from the code tables alone (the common case,
    every 250 of a session, loads neither the hint rules nor the result types).
    `knowledge.annotation.reply_annotation` picks it or a failure's diagnosis."""
    validate_code(code)
    meaning = code_meaning(code, lang)
    if not enhanced:
        return meaning
    detail = enhanced_meaning(enhanced, lang)
    return f"{meaning}; {normalise_enhanced(enhanced)}: {detail}" if detail else meaning


def explain_code(code: int, lang: str = DEFAULT_LANGUAGE) -> CodeInfo:
    """What a basic reply code means. Unregistered but well-formed codes are read by
    their digits (`known=False`); codes outside 2xx-5xx raise ValueError."""
    from smtpcheck.knowledge.models import CodeInfo

    check_language(lang)
    validate_code(code)
    reference = str(neutral("registry")["reply_codes"].get(str(code), ""))
    meaning = lookup_str(lang, "replies", "code", str(code), "meaning")
    detail = lookup_str(lang, "replies", "code", str(code), "detail")
    known = bool(reference) and meaning is not None
    if meaning is None:
        meaning = lookup_str(lang, "replies", "unknown", "meaning") or ""
        detail = lookup_str(lang, "replies", "unknown", "detail")
    return CodeInfo(
        code=code,
        meaning=meaning,
        detail=detail or "",
        class_meaning=class_meaning(code, lang),
        category_meaning=category_meaning(code, lang),
        outcome=outcome_of(code),
        reference=reference,
        known=known,
    )


def explain_enhanced(enhanced: str, lang: str = DEFAULT_LANGUAGE) -> EnhancedInfo:
    """What an enhanced status code ("5.1.1") means. Malformed codes raise ValueError;
    well-formed but unregistered ones are read by class and subject (`known=False`)."""
    from smtpcheck.knowledge.models import EnhancedInfo

    check_language(lang)
    code = normalise_enhanced(enhanced)
    klass, subject, detail = code.split(".")
    registry = neutral("registry")
    key = f"{subject}.{detail}"
    reference = str(registry["enhanced_details"].get(key, ""))
    meaning = lookup_str(lang, "enhanced", "detail", key, "meaning")
    known = bool(reference) and meaning is not None
    if not known:
        meaning = lookup_str(lang, "enhanced", "unknown", "meaning")
    return EnhancedInfo(
        code=code,
        meaning=meaning or "",
        description=(lookup_str(lang, "enhanced", "detail", key, "description") or "")
        if known
        else "",
        causes=lookup_strs(lang, "enhanced", "detail", key, "causes") if known else (),
        class_meaning=lookup_str(lang, "enhanced", "class", klass) or "",
        subject_meaning=lookup_str(lang, "enhanced", "subject", subject)
        or lookup_str(lang, "enhanced", "unknown", "subject")
        or "",
        reference=reference or str(registry["enhanced_classes"].get(klass, "")),
        known=known,
        deprecated=key in registry.get("deprecated_details", []),
    )


def retry_advice(code: int, step: str | None = None, lang: str = DEFAULT_LANGUAGE) -> str:
    """What a sending server does after this reply: go on, retry later, or bounce."""
    validate_code(code)
    for key in (f"{code}_{step}" if step else None, str(code)):
        if key is not None:
            advice = lookup_str(lang, "replies", "retry_override", key)
            if advice:
                return advice
    return lookup_str(lang, "replies", "retry", str(code // 100)) or ""
