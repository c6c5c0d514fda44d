"""The sender requirements of the big mailbox providers, item by item: Gmail and Yahoo
(February 2024: every sender, and 5,000 messages a day or more) and Microsoft's
Outlook.com (May 2025, 5,000 a day or more). Which items exist, for whom, and which
measured fact each needs is data (`knowledge/data/sender_rules.toml`); their texts and
fixes are in `receive.toml`. Pure: the scenario passes what the other checks measured.

A bulk item missed by a message not known to be bulk is a warning (it applies from
5,000 messages a day), a failure when the message is bulk or `--bulk` was given.
"""

from __future__ import annotations

from dataclasses import dataclass

from smtpcheck.checks.receive_findings import receive_finding
from smtpcheck.knowledge.receive import Requirement, receive_word, requirements
from smtpcheck.report.model import Finding


@dataclass(frozen=True)
class Measured:
    """What the checks found, as the requirements need it. None: not known (no SMTP
    session was seen, so the client and TLS could not be judged)."""

    spf: str | None
    dkim_pass: bool
    dmarc: str
    fcrdns: bool | None
    tls: bool | None
    format_problems: int
    one_click_unsubscribe: bool
    is_bulk: bool


def _fact(fact: str, measured: Measured, lang: str) -> tuple[bool | None, str]:
    """(met, why-not) for one fact; met None: cannot be known from here."""
    word = receive_word
    spf = measured.spf
    spf_why = word("text", "why_spf", lang, result=spf or word("text", "unknown", lang))
    dkim_why = word("text", "why_dkim", lang, result="pass" if measured.dkim_pass else "none/fail")
    both = f"{spf_why}, {dkim_why}"
    if fact == "spf_or_dkim":
        if spf is None and not measured.dkim_pass:
            return None, both
        return (spf == "pass" or measured.dkim_pass), both
    if fact == "spf_and_dkim":
        if spf is None and measured.dkim_pass:
            return None, both
        return (spf == "pass" and measured.dkim_pass), both
    if fact == "spf_pass":
        return (None if spf is None else spf == "pass"), spf_why
    if fact == "dkim_pass":
        return measured.dkim_pass, dkim_why
    unseen = word("text", "why_unknown_session", lang)
    if fact == "fcrdns":
        return measured.fcrdns, unseen if measured.fcrdns is None else word(
            "text", "why_no_ptr", lang
        )
    if fact == "tls":
        return measured.tls, unseen if measured.tls is None else word("text", "why_no_tls", lang)
    if fact == "rfc5322":
        why = word("text", "why_format", lang, count=measured.format_problems)
        return measured.format_problems == 0, why
    if fact == "dmarc_record":
        if measured.dmarc == "temperror":
            return None, word("text", "why_dmarc", lang, result=measured.dmarc)
        return measured.dmarc not in ("none", "permerror"), word("text", "why_no_dmarc", lang)
    if fact == "dmarc_pass":
        return measured.dmarc == "pass", word("text", "why_dmarc", lang, result=measured.dmarc)
    if fact == "one_click_unsubscribe":
        return measured.one_click_unsubscribe, word("text", "why_unsubscribe", lang)
    return None, word("text", "why_not_checkable", lang)


def provider_name(requirement: Requirement, lang: str) -> str:
    return receive_word("provider", "+".join(requirement.providers), lang)


def check_requirements(measured: Measured, lang: str) -> list[tuple[Requirement, Finding]]:
    """Every requirement with its finding, in the data file's order."""
    out: list[tuple[Requirement, Finding]] = []
    for requirement in requirements():
        met, why = _fact(requirement.fact, measured, lang)
        texts = {
            "provider": provider_name(requirement, lang),
            "requirement": receive_word("requirement_text", requirement.id, lang),
            "fix": receive_word("requirement_fix", requirement.id, lang),
            "why": why,
        }
        if met:
            code = "requirement-met"
        elif met is None and requirement.fact == "not_checkable":
            code = "requirement-not-checkable"
        elif met is None:
            code = "requirement-unknown"
        elif requirement.scope == "bulk" and not measured.is_bulk:
            code = "requirement-missed-if-bulk"
        else:
            code = "requirement-missed"
        out.append((requirement, receive_finding(code, lang, texts=texts)))
    return out
