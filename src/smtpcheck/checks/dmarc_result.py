"""The DMARC result a receiver computes for one message (RFC 7489 §3.1, §6.6): the From
domain's policy, whether SPF and DKIM passed for domains aligned with it (relaxed: the
same organisational domain; strict: the same name), the result, and what the policy
would do with the message.

The record is found and parsed by the posture check (`checks.dmarc.find_dmarc`,
`parse_dmarc`, `organisational_domain`): nothing of it is written again here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import dns.asyncresolver

from smtpcheck.checks.dmarc import find_dmarc, organisational_domain, parse_dmarc
from smtpcheck.checks.receive_findings import receive_finding
from smtpcheck.dns.resolver import DEFAULT_TIMEOUT
from smtpcheck.knowledge.receive import receive_word
from smtpcheck.report.model import Finding


def aligned(domain: str, other: str, mode: str) -> bool:
    """RFC 7489 §3.1: strict ("s") needs the same name, relaxed the same org domain."""
    left, right = domain.lower().rstrip("."), other.lower().rstrip(".")
    if mode == "s":
        return left == right
    return organisational_domain(left) == organisational_domain(right)


@dataclass
class DmarcEvaluation:
    """What a receiver computes. `result`: pass, fail, none (no record), temperror,
    permerror (an invalid record)."""

    domain: str
    result: str = "none"
    record: str | None = None
    found_at: str | None = None
    policy: str | None = None
    pct: int = 100
    testing: bool = False
    adkim: str = "r"
    aspf: str = "r"
    spf_aligned: bool = False
    dkim_aligned_domains: list[str] = field(default_factory=list)
    detail: str = ""

    @property
    def disposition(self) -> str:
        """What the policy does with a failing message: none, quarantine or reject
        (t=y or pct<100 lower it for some messages; see `findings`)."""
        return self.policy or "none"

    def to_dict(self) -> dict[str, object]:
        return {
            "domain": self.domain,
            "result": self.result,
            "record": self.record,
            "found_at": self.found_at,
            "policy": self.policy,
            "pct": self.pct,
            "testing": self.testing,
            "adkim": self.adkim,
            "aspf": self.aspf,
            "spf_aligned": self.spf_aligned,
            "dkim_aligned": list(self.dkim_aligned_domains),
        }


async def evaluate_dmarc(
    resolver: dns.asyncresolver.Resolver,
    from_domain: str,
    *,
    spf_result: str,
    spf_domain: str | None,
    dkim_pass_domains: Sequence[str],
    timeout: float = DEFAULT_TIMEOUT,
) -> DmarcEvaluation:
    """The DMARC evaluation of a message from `from_domain` whose SPF check gave
    `spf_result` for `spf_domain` and whose valid DKIM signatures have `dkim_pass_domains`."""
    evaluation = DmarcEvaluation(domain=from_domain)
    found = await find_dmarc(resolver, from_domain, timeout=timeout)
    if found.failure:
        evaluation.result, evaluation.detail = "temperror", found.failure
        return evaluation
    if found.found_at is None:
        return evaluation
    evaluation.found_at = found.found_at
    evaluation.record = found.records[0]
    if len(found.records) > 1:
        evaluation.result, evaluation.detail = "permerror", f"{len(found.records)} records"
        return evaluation
    record = parse_dmarc(found.records[0])
    if record.errors:
        evaluation.result, evaluation.detail = "permerror", "; ".join(record.errors[:2])
        return evaluation
    tags = record.tags
    policy = tags["p"]
    if found.found_at != from_domain.lower().rstrip("."):
        policy = tags.get("sp", policy)
    evaluation.policy = policy
    pct = tags.get("pct", "100")
    evaluation.pct = int(pct) if pct.isdigit() else 100
    evaluation.testing = tags.get("t", "n").lower() == "y"
    evaluation.adkim = tags.get("adkim", "r").lower()
    evaluation.aspf = tags.get("aspf", "r").lower()
    evaluation.spf_aligned = bool(
        spf_result == "pass" and spf_domain and aligned(spf_domain, from_domain, evaluation.aspf)
    )
    evaluation.dkim_aligned_domains = [
        d for d in dkim_pass_domains if aligned(d, from_domain, evaluation.adkim)
    ]
    passed = evaluation.spf_aligned or bool(evaluation.dkim_aligned_domains)
    evaluation.result = "pass" if passed else "fail"
    return evaluation


def _mode(value: str, lang: str) -> str:
    return receive_word("text", "strict" if value == "s" else "relaxed", lang)


def judge_dmarc(
    evaluation: DmarcEvaluation,
    *,
    spf_result: str,
    spf_domain: str | None,
    dkim_pass_domains: Sequence[str],
    lang: str,
) -> list[Finding]:
    """The findings of an evaluation: the result and what would happen, then how each
    of SPF and DKIM aligned."""
    domain = evaluation.domain
    subject = domain
    if evaluation.result == "temperror":
        return [
            receive_finding(
                "dmarc-temperror", lang, subject=subject, domain=domain, detail=evaluation.detail
            )
        ]
    if evaluation.result == "none":
        return [receive_finding("dmarc-none", lang, subject=subject, domain=domain)]
    if evaluation.result == "permerror":
        return [
            receive_finding(
                "dmarc-invalid", lang, subject=subject, domain=domain, why=evaluation.detail
            )
        ]
    out: list[Finding] = []
    policy = evaluation.disposition
    if evaluation.result == "pass":
        how = [
            receive_word("text", "aligned_by", lang, what=word)
            for word, ok in (
                (receive_word("text", "spf_word", lang), evaluation.spf_aligned),
                (receive_word("text", "dkim_word", lang), bool(evaluation.dkim_aligned_domains)),
            )
            if ok
        ]
        out.append(
            receive_finding(
                "dmarc-pass",
                lang,
                subject=subject,
                domain=domain,
                policy=policy,
                texts={"how": ", ".join(how)},
            )
        )
    else:
        outcome = receive_word("text", f"outcome_{policy}", lang)
        if evaluation.pct < 100 and policy != "none":
            outcome = receive_word(
                "text", "outcome_partial", lang, outcome=outcome, pct=evaluation.pct
            )
        why = f"SPF {spf_result} ({spf_domain or '-'}), DKIM: " + (
            ", ".join(dkim_pass_domains) or receive_word("text", "none", lang)
        )
        out.append(
            receive_finding(
                "dmarc-fail",
                lang,
                subject=subject,
                domain=domain,
                policy=policy,
                why=why,
                texts={"outcome": outcome},
            )
        )
    if evaluation.spf_aligned:
        out.append(
            receive_finding(
                "dmarc-spf-aligned",
                lang,
                subject=subject,
                domain=domain,
                spf_domain=spf_domain,
                mode=_mode(evaluation.aspf, lang),
            )
        )
    else:
        out.append(
            receive_finding(
                "dmarc-spf-unaligned",
                lang,
                subject=subject,
                domain=domain,
                spf_domain=spf_domain or "-",
                spf_result=spf_result,
                mode=_mode(evaluation.aspf, lang),
            )
        )
    if evaluation.dkim_aligned_domains:
        out.append(
            receive_finding(
                "dmarc-dkim-aligned",
                lang,
                subject=subject,
                domain=domain,
                dkim_domain=evaluation.dkim_aligned_domains[0],
                mode=_mode(evaluation.adkim, lang),
            )
        )
    else:
        out.append(
            receive_finding(
                "dmarc-dkim-unaligned",
                lang,
                subject=subject,
                domain=domain,
                mode=_mode(evaluation.adkim, lang),
                dkim_domains=", ".join(dkim_pass_domains) or receive_word("text", "none", lang),
            )
        )
    if policy == "none":
        out.append(receive_finding("dmarc-policy-weak", lang, subject=subject, domain=domain))
    return out
