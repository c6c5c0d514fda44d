"""Step-aware hints: likely causes and fixes for a failed reply or connection, in words.

Which hint applies is decided by language-neutral data (`knowledge.rules` over
`data/rules.toml`): known server texts (vendor patterns) first, then scored rules on
step, code, enhanced code and text. The words come from `data/<lang>/hints.toml` and
`data/<lang>/vendors.toml`.
"""

from __future__ import annotations

from smtpcheck.knowledge._data import (
    DEFAULT_LANGUAGE,
    check_language,
    language_file,
    lookup_str,
    lookup_strs,
)
from smtpcheck.knowledge.models import StepHint, VendorMatch
from smtpcheck.knowledge.rules import (
    choose,
    matching_patterns,
    pattern_hint,
    pattern_ids,
    pattern_vendor,
    rule_hint_ids,
)
from smtpcheck.knowledge.steps import STEPS, normalize_step, step_label

__all__ = [
    "CONNECTION_FAILURES",
    "STEPS",
    "all_hints",
    "explain_connection_failure",
    "find_hint",
    "get_hint",
    "hint_ids",
    "match_vendors",
    "normalize_step",
    "pattern_ids",
    "step_name",
    "vendor_match",
]

CONNECTION_FAILURES: dict[str, str] = {
    "connect_failed": "connect_failed",
    "refused": "connection_refused",
    "timeout": "connection_timeout",
    "unreachable": "network_unreachable",
    "name_not_found": "name_not_found",
    "tls": "tls_failure",
    "closed": "connection_closed",
    "banner_timeout": "tarpitting",
}
_FAILURE_ALIASES = {
    "failed": "connect_failed",
    "connection_refused": "refused",
    "timed_out": "timeout",
    "timedout": "timeout",
    "no_route": "unreachable",
    "host_unreachable": "unreachable",
    "network_unreachable": "unreachable",
    "nxdomain": "name_not_found",
    "dns": "name_not_found",
    "tls_failure": "tls",
    "handshake": "tls",
    "reset": "closed",
    "eof": "closed",
    "tarpit": "banner_timeout",
}


def hint_ids() -> frozenset[str]:
    """Every hint id the rules, patterns and connection failures can produce."""
    return frozenset(rule_hint_ids() | set(CONNECTION_FAILURES.values()))


def get_hint(hint_id: str, lang: str = DEFAULT_LANGUAGE) -> StepHint:
    """The hint with this id, in `lang`; KeyError if no such hint exists."""
    check_language(lang)
    title = lookup_str(lang, "hints", "hint", hint_id, "title")
    if title is None:
        raise KeyError(f"no hint {hint_id!r}")
    return StepHint(
        id=hint_id,
        title=title,
        causes=lookup_strs(lang, "hints", "hint", hint_id, "causes"),
        fixes=lookup_strs(lang, "hints", "hint", hint_id, "fixes"),
    )


def vendor_match(pattern_id: str, lang: str = DEFAULT_LANGUAGE) -> VendorMatch:
    """The known server text `pattern_id`, in `lang`."""
    return VendorMatch(
        id=pattern_id,
        vendor=pattern_vendor(pattern_id),
        meaning=lookup_str(lang, "vendors", "pattern", pattern_id, "meaning") or "",
        advice=lookup_strs(lang, "vendors", "pattern", pattern_id, "advice"),
        hint_id=pattern_hint(pattern_id),
    )


def match_vendors(text: str, lang: str = DEFAULT_LANGUAGE) -> tuple[VendorMatch, ...]:
    """Known server texts found in `text`, most specific first."""
    check_language(lang)
    return tuple(vendor_match(pattern_id, lang) for pattern_id in matching_patterns(text))


def find_hint(
    step: str | None,
    code: int,
    enhanced: str | None = None,
    text: str = "",
    lang: str = DEFAULT_LANGUAGE,
) -> StepHint | None:
    """The most specific hint for a 4xx/5xx reply; None for 2xx/3xx replies.

    `explain_reply` gives the same hint with what decided it and the whole explanation;
    this is for a reply known only in part (an enhanced code alone).
    """
    check_language(lang)
    choice = choose(normalize_step(step), code, enhanced, text)
    return get_hint(choice.hint_id, lang) if choice.hint_id is not None else None


def explain_connection_failure(kind: str, lang: str = DEFAULT_LANGUAGE) -> StepHint:
    """Causes and fixes for a failure before any reply: one of CONNECTION_FAILURES
    ("refused", "timeout", "unreachable", "name_not_found", "tls", "closed",
    "banner_timeout", "connect_failed"); ValueError for another kind."""
    name = kind.strip().lower().replace("-", "_").replace(" ", "_")
    name = _FAILURE_ALIASES.get(name, name)
    if name not in CONNECTION_FAILURES:
        from smtpcheck.knowledge.i18n import t

        kinds = ", ".join(CONNECTION_FAILURES)
        raise ValueError(t("errors.bad_connection", lang, value=kind, kinds=kinds))
    return get_hint(CONNECTION_FAILURES[name], lang)


def step_name(step: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """How the step is called for a reader, e.g. "RCPT TO (recipient)"."""
    return step_label(step, lang)


def all_hints(lang: str) -> dict[str, object]:
    """The raw hint table of a language (for data tests)."""
    table: dict[str, object] = language_file(lang, "hints").get("hint", {})
    return table
