"""The steps of an SMTP session, and the many ways callers name them.

Kept apart from the hints so that explaining a successful reply (the transcript's
annotation of every 250) needs neither the hint rules nor the vendor patterns.
"""

from __future__ import annotations

from smtpcheck.knowledge._data import DEFAULT_LANGUAGE, lookup_str

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


def normalize_step(step: str | None) -> str | None:
    """A step name from STEPS for a step or protocol verb ("RCPT", "HELO", "BDAT");
    None for None or a verb without a step of its own (RSET, NOOP, VRFY...)."""
    if step is None:
        return None
    name = step.strip().lower()
    name = _STEP_ALIASES.get(name, name)
    return name if name in STEPS else None


def step_label(step: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """How the step is called for a reader, e.g. "RCPT TO (recipient)"; a step of no
    known name ("proxy", "xclient") as it is."""
    normal = normalize_step(step) or step
    return lookup_str(lang, "hints", "step", normal) or normal
