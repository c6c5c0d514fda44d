"""Step-aware hints: likely causes and fixes for a failed reply or connection.

Which hint applies is decided by language-neutral data (`data/rules.toml`): known
server texts (vendor patterns) first, then scored rules on step, code, enhanced code
and text. The words come from `data/<lang>/hints.toml` and `data/<lang>/vendors.toml`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from smtpcheck.knowledge._data import (
    DEFAULT_LANGUAGE,
    check_language,
    language_file,
    lookup_str,
    lookup_strs,
    neutral,
)
from smtpcheck.knowledge.models import StepHint, VendorMatch

STEPS: tuple[str, ...] = (
    "connect", "banner", "ehlo", "starttls", "auth", "mail", "rcpt", "data", "eod", "quit",
)  # fmt: skip

# What a reply answers (protocol.ReplyTo: "greeting", "MAIL", "AUTH response", "end of
# data", "BDAT LAST"...) and common spellings -> step names.
_STEP_ALIASES = {
    "connection": "connect",
    "greeting": "banner",
    "auth response": "auth",
    "bdat last": "eod",
    "helo": "ehlo",
    "lhlo": "ehlo",
    "mail from": "mail",
    "mail_from": "mail",
    "rcpt to": "rcpt",
    "rcpt_to": "rcpt",
    "bdat": "eod",
    "end of data": "eod",
    "dot": "eod",
    "tls": "starttls",
}

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


def normalize_step(step: str | None) -> str | None:
    """A step name from STEPS for a step or protocol verb ("RCPT", "HELO", "BDAT");
    None for None or a verb without a step of its own (RSET, NOOP, VRFY...)."""
    if step is None:
        return None
    name = step.strip().lower()
    name = _STEP_ALIASES.get(name, name)
    return name if name in STEPS else None


@dataclass(frozen=True)
class _Rule:
    """One scored rule of data/rules.toml: which replies a hint fits."""

    hint: str
    steps: frozenset[str]
    codes: frozenset[int]
    classes: frozenset[int]
    enhanced: frozenset[str]  # "subject.detail" when class-free ("X.1.1"), else full
    text: re.Pattern[str] | None

    def score(self, step: str | None, code: int, enhanced: str | None, text: str) -> int:
        """-1 when a stated condition fails, else the rule's specificity."""
        total = 0
        if self.steps:
            if step not in self.steps:
                return -1
            total += 1
        if self.codes:
            if code not in self.codes:
                return -1
            total += 2
        if self.classes and code // 100 not in self.classes:
            return -1
        if self.enhanced:
            if enhanced is None or not (
                enhanced in self.enhanced or enhanced.split(".", 1)[1] in self.enhanced
            ):
                return -1
            total += 4
        if self.text is not None:
            if not self.text.search(text):
                return -1
            total += 8
        return total


@dataclass(frozen=True)
class _Pattern:
    """A known server text (vendor pattern) and what it means."""

    id: str
    vendor: str
    regex: re.Pattern[str]
    hint: str | None


def _enhanced_key(value: str) -> str:
    return value[2:] if value.upper().startswith("X.") else value


@cache
def _rules() -> tuple[_Rule, ...]:
    rules = []
    for raw in neutral("rules").get("rule", []):
        rules.append(
            _Rule(
                hint=str(raw["hint"]),
                steps=frozenset(raw.get("steps", [])),
                codes=frozenset(int(code) for code in raw.get("codes", [])),
                classes=frozenset(int(klass) for klass in raw.get("classes", [])),
                enhanced=frozenset(_enhanced_key(str(e)) for e in raw.get("enhanced", [])),
                text=re.compile(raw["text"], re.IGNORECASE) if "text" in raw else None,
            )
        )
    return tuple(rules)


@cache
def _patterns() -> tuple[_Pattern, ...]:
    return tuple(
        _Pattern(
            id=str(raw["id"]),
            vendor=str(raw["vendor"]),
            regex=re.compile(raw["regex"], re.IGNORECASE),
            hint=str(raw["hint"]) if "hint" in raw else None,
        )
        for raw in neutral("rules").get("pattern", [])
    )


def hint_ids() -> frozenset[str]:
    """Every hint id the rules, patterns and connection failures can produce."""
    ids = {rule.hint for rule in _rules()} | {p.hint for p in _patterns() if p.hint}
    return frozenset(ids | set(CONNECTION_FAILURES.values()))


def pattern_ids() -> tuple[str, ...]:
    return tuple(pattern.id for pattern in _patterns())


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


def match_vendors(text: str, lang: str = DEFAULT_LANGUAGE) -> tuple[VendorMatch, ...]:
    """Known server texts found in `text`, most specific first."""
    check_language(lang)
    if not text:
        return ()
    text = " ".join(text.split())  # multi-line replies wrap sentences anywhere
    return tuple(
        VendorMatch(
            id=pattern.id,
            vendor=pattern.vendor,
            meaning=lookup_str(lang, "vendors", "pattern", pattern.id, "meaning") or "",
            advice=lookup_strs(lang, "vendors", "pattern", pattern.id, "advice"),
            hint_id=pattern.hint,
        )
        for pattern in _patterns()
        if pattern.regex.search(text)
    )


def find_hint(
    step: str | None,
    code: int,
    enhanced: str | None = None,
    text: str = "",
    lang: str = DEFAULT_LANGUAGE,
    vendor_matches: tuple[VendorMatch, ...] | None = None,
) -> StepHint | None:
    """The most specific hint for a 4xx/5xx reply; None for 2xx/3xx replies."""
    if code // 100 not in (4, 5):
        return None
    step = normalize_step(step)
    text = " ".join(text.split())
    matches = match_vendors(text, lang) if vendor_matches is None else vendor_matches
    for match in matches:
        if match.hint_id is not None:
            return get_hint(match.hint_id, lang)
    best: tuple[int, str] | None = None
    for rule in _rules():
        score = rule.score(step, code, enhanced, text)
        if score >= 0 and (best is None or score > best[0]):
            best = (score, rule.hint)
    return get_hint(best[1], lang) if best is not None else None


def explain_connection_failure(kind: str, lang: str = DEFAULT_LANGUAGE) -> StepHint:
    """Causes and fixes for a failure before any reply: one of CONNECTION_FAILURES
    ("refused", "timeout", "unreachable", "name_not_found", "tls", "closed",
    "banner_timeout", "connect_failed"); ValueError for another kind."""
    name = kind.strip().lower().replace("-", "_").replace(" ", "_")
    name = _FAILURE_ALIASES.get(name, name)
    if name not in CONNECTION_FAILURES:
        raise ValueError(
            f"unknown connection failure {kind!r} (one of: {', '.join(CONNECTION_FAILURES)})"
        )
    return get_hint(CONNECTION_FAILURES[name], lang)


def step_name(step: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """How the step is called for a reader, e.g. "RCPT TO (recipient)"."""
    normal = normalize_step(step) or step
    return lookup_str(lang, "hints", "step", normal) or normal


def all_hints(lang: str) -> dict[str, object]:
    """The raw hint table of a language (for data tests)."""
    table: dict[str, object] = language_file(lang, "hints").get("hint", {})
    return table
