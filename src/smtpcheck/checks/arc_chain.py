"""ARC (RFC 8617): the chain of ARC sets forwarders add, verified with dkimpy's `ARC`,
the keys fetched through our resolver first (as for DKIM, `checks.dkim_signatures`).

Only when the message has ARC headers; the result is pass (every seal and the newest
message signature verify), fail (with dkimpy's reason), or none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import dns.asyncresolver

from smtpcheck.checks.dkim_signatures import fetch_key_records, key_lookup, key_name
from smtpcheck.checks.receive_findings import receive_finding
from smtpcheck.checks.tag_list import parse_tag_list
from smtpcheck.dns.resolver import DEFAULT_TIMEOUT
from smtpcheck.report.model import Finding

MAX_ARC_SETS = 50  # RFC 8617 §4.2.1: i= goes up to 50


@dataclass(frozen=True)
class ArcOutcome:
    result: str  # pass, fail, none
    reason: str = ""
    sets: int = 0
    last_domain: str = ""

    def to_dict(self) -> dict[str, object]:
        return {
            "result": self.result,
            "reason": self.reason,
            "sets": self.sets,
            "last_domain": self.last_domain,
        }


def _signers(values: Sequence[str]) -> list[tuple[int, str, str]]:
    out = []
    for value in values[: 2 * MAX_ARC_SETS]:
        tags = {k: "".join(v.split()) for k, v in parse_tag_list(value).tags.items()}
        instance = tags.get("i", "")
        if tags.get("d") and tags.get("s") and instance.isdigit():
            out.append((int(instance), tags["d"].lower(), tags["s"]))
    return out


async def verify_arc(
    resolver: dns.asyncresolver.Resolver,
    raw: bytes,
    seals: Sequence[str],
    signatures: Sequence[str],
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> ArcOutcome:
    """Verify the chain (`seals`: ARC-Seal values, `signatures`: ARC-Message-Signature
    values); never raises for what the message or the keys contain."""
    if not seals and not signatures:
        return ArcOutcome("none")
    import dkim

    signers = _signers([*seals, *signatures])
    records = await fetch_key_records(
        resolver, [key_name(s, d) for _, d, s in signers], timeout=timeout
    )
    try:
        cv, _results, reason = dkim.ARC(raw, minkey=1024).verify(dnsfunc=key_lookup(records))
    except Exception as error:  # dkimpy on hostile input
        cv, _results, reason = b"fail", [], f"{type(error).__name__}: {error}"
    sets = max((i for i, _, _ in signers), default=0)
    last = max(signers, default=(0, "", ""))[1]
    result = "pass" if cv == dkim.CV_Pass else "fail"
    text = reason if isinstance(reason, str) else str(reason)
    return ArcOutcome(result, "" if result == "pass" else text[:200], sets, last)


def judge_arc(outcome: ArcOutcome, lang: str) -> list[Finding]:
    if outcome.result == "none":
        return []
    if outcome.result == "pass":
        return [receive_finding("arc-pass", lang, count=outcome.sets, domain=outcome.last_domain)]
    return [receive_finding("arc-fail", lang, why=outcome.reason or "?")]
