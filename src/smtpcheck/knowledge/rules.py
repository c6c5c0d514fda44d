"""Which hint fits a failed reply, decided from language-neutral data (`data/rules.toml`).

Three kinds of entries, all regular expressions and codes, no words:

- `[[pattern]]`: a known server text (Exchange's `AS(201806281)`, Postfix's "Relay access
  denied"...). The first that matches decides the hint, before any rule. Its `reply` is
  the code that server sends with it, for text pasted without one.
- `[[rule]]`: scored conditions on the step, the code, the enhanced status code and the
  text. The enhanced code outranks the basic code: a rule that holds only by the code,
  its class or the step never picks a hint that the reply's enhanced code contradicts
  (`501 5.1.3` is an address syntax error, whatever 501 rules say).
- `[[reply_text]]`: well-known reply texts without a vendor ("Sender OK", "User
  unknown"), with the reply they come with: for text pasted without a code.

The words for the hints and patterns are in `data/<lang>/hints.toml` and `vendors.toml`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from smtpcheck.knowledge._data import neutral

# Generic fallbacks: they say nothing the reply code's own meaning does not.
GENERIC_HINTS = frozenset({"transient_generic", "permanent_generic"})


class Basis(StrEnum):
    """What decided a hint, most specific first."""

    VENDOR = "vendor"  # a known server text
    TEXT = "text"  # a rule on the reply text
    ENHANCED = "enhanced"  # a rule on the enhanced code's detail (x.1.1)
    SUBJECT = "subject"  # a rule on the enhanced code's subject (x.7.*)
    CODE = "code"  # a rule on the basic code
    STEP = "step"  # a rule on the step and the class
    CLASS = "class"  # a generic fallback by class (4xx, 5xx)


#: the bases that only the basic code, its class or the step support
WEAK_BASES = frozenset({Basis.CODE, Basis.STEP, Basis.CLASS})


@dataclass(frozen=True)
class Choice:
    """The hint picked for a reply, what decided it, and the known texts found in it
    (pattern ids, most specific first; only those that agree with the hint)."""

    hint_id: str | None
    basis: Basis | None
    pattern_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class KnownReply:
    """The reply a text usually comes with: for text pasted without a code."""

    code: int
    enhanced: str | None
    step: str | None
    pattern_id: str | None  # the vendor pattern that recognised it, if any


@dataclass(frozen=True)
class _Rule:
    """One scored rule of data/rules.toml: which replies a hint fits."""

    hint: str
    steps: frozenset[str]
    codes: frozenset[int]
    classes: frozenset[int]
    details: frozenset[str]  # "subject.detail" when class-free ("X.1.1"), else full
    subjects: frozenset[str]  # "7" for "X.7.*"
    text: re.Pattern[str] | None

    @property
    def basis(self) -> Basis:
        if self.text is not None:
            return Basis.TEXT
        if self.details:
            return Basis.ENHANCED
        if self.subjects:
            return Basis.SUBJECT
        if self.codes:
            return Basis.CODE
        if self.steps:
            return Basis.STEP
        return Basis.CLASS

    def score(self, step: str | None, code: int, enhanced: str | None, text: str) -> int:
        """-1 when a stated condition fails, else the rule's specificity: text 16,
        enhanced detail 8, enhanced subject 4, code 2, step 1 (so the enhanced code's
        subject alone outranks the basic code and the step together)."""
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
        if self.details or self.subjects:
            if enhanced is None:
                return -1
            subject_detail = enhanced.split(".", 1)[1]
            if enhanced in self.details or subject_detail in self.details:
                total += 8
            elif subject_detail.split(".")[0] in self.subjects:
                total += 4
            else:
                return -1
        if self.text is not None:
            if not self.text.search(text):
                return -1
            total += 16
        return total


@dataclass(frozen=True)
class _Pattern:
    """A known server text (vendor pattern): its hint and the reply it comes with."""

    id: str
    vendor: str
    regex: re.Pattern[str]
    hint: str | None
    reply: KnownReply | None


def _enhanced_key(value: str) -> str:
    return value[2:] if value.upper().startswith("X.") else value


def _known_reply(raw: dict[str, object], pattern_id: str | None) -> KnownReply | None:
    reply = raw.get("reply")
    if not isinstance(reply, str):
        return None
    code, _, enhanced = reply.partition(" ")
    step = raw.get("step")
    return KnownReply(
        code=int(code),
        enhanced=enhanced or None,
        step=step if isinstance(step, str) else None,
        pattern_id=pattern_id,
    )


@cache
def _rules() -> tuple[_Rule, ...]:
    rules = []
    for raw in neutral("rules").get("rule", []):
        keys = [_enhanced_key(str(e)) for e in raw.get("enhanced", [])]
        rules.append(
            _Rule(
                hint=str(raw["hint"]),
                steps=frozenset(raw.get("steps", [])),
                codes=frozenset(int(code) for code in raw.get("codes", [])),
                classes=frozenset(int(klass) for klass in raw.get("classes", [])),
                details=frozenset(k for k in keys if not k.endswith(".*")),
                subjects=frozenset(k[: -len(".*")] for k in keys if k.endswith(".*")),
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
            reply=_known_reply(raw, str(raw["id"])),
        )
        for raw in neutral("rules").get("pattern", [])
    )


@cache
def _reply_texts() -> tuple[tuple[re.Pattern[str], KnownReply], ...]:
    out = []
    for raw in neutral("rules").get("reply_text", []):
        known = _known_reply(raw, None)
        if known is not None:
            out.append((re.compile(raw["regex"], re.IGNORECASE), known))
    return tuple(out)


def rule_hint_ids() -> frozenset[str]:
    """Every hint id a rule or a pattern can pick."""
    return frozenset({rule.hint for rule in _rules()} | {p.hint for p in _patterns() if p.hint})


def pattern_ids() -> tuple[str, ...]:
    return tuple(pattern.id for pattern in _patterns())


def pattern_vendor(pattern_id: str) -> str:
    """Whose text the pattern recognises ("Postfix", "Exchange Online"...)."""
    return next(p.vendor for p in _patterns() if p.id == pattern_id)


def pattern_hint(pattern_id: str) -> str | None:
    return next(p.hint for p in _patterns() if p.id == pattern_id)


def matching_patterns(text: str) -> tuple[str, ...]:
    """Ids of the known server texts found in `text`, most specific first."""
    if not text:
        return ()
    flat = " ".join(text.split())  # multi-line replies wrap sentences anywhere
    return tuple(p.id for p in _patterns() if p.regex.search(flat))


@cache
def _hint_enhanced() -> dict[str, tuple[frozenset[str], frozenset[str]]]:
    """hint id -> (enhanced details, enhanced subjects) its rules name."""
    found: dict[str, tuple[set[str], set[str]]] = {}
    for rule in _rules():
        details, subjects = found.setdefault(rule.hint, (set(), set()))
        details |= {d.split(".", 1)[1] if d.count(".") == 2 else d for d in rule.details}
        subjects |= rule.subjects
    return {hint: (frozenset(d), frozenset(s)) for hint, (d, s) in found.items()}


def hint_fits_enhanced(hint_id: str, enhanced: str) -> bool | None:
    """Does the hint agree with an enhanced code? None when its rules name no enhanced
    code at all (a hint by step or class, neutral) or the code is x.0.0; False when they
    name others only (e.g. "the recipient does not exist" for 5.1.10, "null MX")."""
    details, subjects = _hint_enhanced().get(hint_id, (frozenset(), frozenset()))
    subject_detail = enhanced.split(".", 1)[1]
    if (not details and not subjects) or subject_detail.startswith("0."):
        return None  # x.0.0, "other or undefined status", says nothing either way
    return subject_detail in details or subject_detail.split(".")[0] in subjects


def choose(step: str | None, code: int, enhanced: str | None, text: str) -> Choice:
    """The hint for a reply (4xx/5xx only; `Choice(None, None)` for 2xx/3xx).

    `step` is a normalised step name, `enhanced` a normalised code ("5.1.1") or None.
    """
    if code // 100 not in (4, 5):
        return Choice(None, None)
    flat = " ".join(text.split())
    found = matching_patterns(flat)
    for pattern_id in found:
        hint = pattern_hint(pattern_id)
        if hint is not None:
            agreeing = tuple(p for p in found if pattern_hint(p) in (None, hint))
            return Choice(hint, Basis.VENDOR, agreeing)
    best: tuple[int, _Rule] | None = None
    for rule in _rules():
        score = rule.score(step, code, enhanced, flat)
        if score < 0 or (best is not None and score <= best[0]):
            continue
        weak = enhanced is not None and rule.basis in WEAK_BASES
        if weak and hint_fits_enhanced(rule.hint, enhanced or "") is False:
            continue  # the enhanced code says otherwise, and it outranks the code
        best = (score, rule)
    if best is None:
        return Choice(None, None, found)
    rule = best[1]
    basis = Basis.CLASS if rule.hint in GENERIC_HINTS else rule.basis
    return Choice(rule.hint, basis, found)


def recognise_text(text: str) -> KnownReply | None:
    """The reply a text without a code usually comes with: a known server text first
    (its vendor's reply), then a well-known reply text. None when nothing matches."""
    flat = " ".join(text.split())
    if not flat:
        return None
    for pattern in _patterns():
        if pattern.reply is not None and pattern.regex.search(flat):
            return pattern.reply
    for regex, known in _reply_texts():
        if regex.search(flat):
            return known
    return None
