"""The values the knowledge layer returns: small frozen dataclasses, all text already
in the requested language."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CodeInfo:
    """A basic three-digit reply code (RFC 5321 §4.2)."""

    code: int
    meaning: str  # short one-liner, fit for an inline transcript annotation
    detail: str  # a sentence or two on what it means in practice
    class_meaning: str  # first digit: done / send more / transient / permanent
    category_meaning: str  # second digit: syntax / information / connection / mail system
    outcome: str  # "success" | "intermediate" | "transient" | "permanent"
    reference: str  # e.g. "RFC 5321"; "" when not registered
    known: bool  # False for a well-formed but unregistered code (explained by digits)


@dataclass(frozen=True)
class EnhancedInfo:
    """An enhanced status code class.subject.detail (RFC 3463, IANA registry)."""

    code: str  # "5.1.1"
    meaning: str  # title of the detail, e.g. "Bad destination mailbox address"
    description: str  # what it means; "" when unknown
    causes: tuple[str, ...]  # typical causes, may be empty
    class_meaning: str
    subject_meaning: str
    reference: str
    known: bool  # detail registered in the IANA registry
    deprecated: bool = False


@dataclass(frozen=True)
class StepHint:
    """Likely causes of a failure and what to check or change."""

    id: str  # stable identifier, e.g. "relay_denied"
    title: str
    causes: tuple[str, ...]
    fixes: tuple[str, ...]


@dataclass(frozen=True)
class VendorMatch:
    """A known server text recognised in a reply."""

    id: str  # e.g. "postfix_relay_denied"
    vendor: str  # e.g. "Postfix", "Exchange Online", "Spamhaus"
    meaning: str
    advice: tuple[str, ...]
    hint_id: str | None


@dataclass(frozen=True)
class Explanation:
    """Everything known about one reply, in one language."""

    code: int
    enhanced: str | None
    text: str
    step: str | None  # normalised step name, or None
    lang: str
    outcome: str  # "success" | "intermediate" | "transient" | "permanent"
    code_meaning: str  # short one-liner for inline transcript annotation
    class_meaning: str
    category_meaning: str
    code_info: CodeInfo
    enhanced_meaning: str | None  # title of the enhanced code, if any
    enhanced_info: EnhancedInfo | None
    step_hint: StepHint | None  # only for 4xx/5xx replies
    vendor_matches: tuple[VendorMatch, ...]
    retry_advice: str  # what a sending server does next
    summary: str  # one line: code, meaning and the most specific diagnosis
    #: the likely causes and what to check or change, in the order every interface shows
    #: them: the recognised server text first, then the hint; nothing that contradicts it
    causes: tuple[str, ...] = ()
    fixes: tuple[str, ...] = ()
    annotation: str = ""  # the one line a transcript shows under the reply
    #: what decided the diagnosis: "vendor", "text", "enhanced", "subject", "code",
    #: "step" or "class" (see `knowledge.rules.Basis`); None for 2xx/3xx
    basis: str | None = None
    #: False when the server uses the enhanced code in a sense of its own (its text was
    #: recognised and says otherwise): the code's registered causes are then left out
    enhanced_fits: bool | None = None
    read_as: str | None = None  # for text pasted without a code: the reply it was read as


@dataclass(frozen=True)
class KeywordInfo:
    """An EHLO keyword (SMTP service extension) and what it means for the user."""

    keyword: str  # upper-cased as advertised, e.g. "X-EXPS"
    params: tuple[str, ...]
    name: str  # short name, e.g. "Message size declaration"
    meaning: str  # what it means for the user
    params_meaning: str  # reading of the parameters; "" when none
    reference: str
    status: str  # "standard" | "obsolete" | "vendor" | "private" | "unknown"
    vendor: str | None
    known: bool


@dataclass(frozen=True)
class EhloLineInfo:
    """One line of an EHLO reply: the greeting line or a keyword line."""

    line: str  # the line as received, e.g. "250-SIZE 37748736"
    meaning: str
    keyword: KeywordInfo | None  # None for the greeting line


@dataclass(frozen=True)
class ParsedReply:
    """A reply recovered from free text pasted by a user."""

    code: int | None
    enhanced: str | None
    text: str  # the lines' texts joined by newlines, codes stripped
    lines: tuple[str, ...]
