"""The EHLO reply: every capability explained, and what its absence means.

`capability_steps` gives one child step per advertised keyword with the meaning from
`knowledge/`; `check_ehlo` gives the findings (no STARTTLS, EHLO refused, ...).
"""

from __future__ import annotations

from smtpcheck.checks import make_finding
from smtpcheck.checks.names import is_fqdn
from smtpcheck.knowledge.ehlo import explain_ehlo_keyword
from smtpcheck.protocol import EhloInfo
from smtpcheck.report.model import Finding, Status, Step


def capability_steps(info: EhloInfo, lang: str) -> list[Step]:
    """One `capability` step per keyword, in the order the server sent them."""
    steps = []
    for keyword, params in info.keywords.items():
        known = explain_ehlo_keyword(keyword, params, lang)
        text = " ".join((keyword, *params))
        meaning = known.meaning + (f" ({known.params_meaning})" if known.params_meaning else "")
        steps.append(
            Step(
                name="capability",
                title=text,
                status=Status.INFO,
                detail=meaning,
                data={"keyword": keyword, "params": list(params), "reference": known.reference},
            )
        )
    return steps


def check_ehlo(
    info: EhloInfo | None,
    lang: str,
    *,
    under_tls: bool,
    helo_fallback: bool = False,
    subject: str | None = None,
) -> list[Finding]:
    """Findings about the capabilities (None: only HELO worked)."""
    if info is None:
        return [make_finding(Status.WARN, "ehlo-refused-helo-ok", lang, subject=subject)]
    out: list[Finding] = []
    if not under_tls:
        if info.has("STARTTLS"):
            out.append(make_finding(Status.PASS, "starttls-offered", lang, subject=subject))
        else:
            out.append(make_finding(Status.WARN, "starttls-missing", lang, subject=subject))
        if info.hostname and not is_fqdn(info.hostname):
            out.append(
                make_finding(
                    Status.INFO, "ehlo-name-not-fqdn", lang, subject=subject, name=info.hostname
                )
            )
        if info.size:
            out.append(
                make_finding(
                    Status.INFO,
                    "ehlo-size",
                    lang,
                    subject=subject,
                    mib=f"{info.size / 1048576:.1f}",
                )
            )
    if under_tls and info.has("STARTTLS"):
        out.append(make_finding(Status.INFO, "starttls-after-tls", lang, subject=subject))
    return out
