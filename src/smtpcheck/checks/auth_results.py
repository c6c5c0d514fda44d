"""Authentication-Results (RFC 8601): the header a big receiver would add for what was
found (SPF, DKIM, DMARC, ARC), written with the `authres` package; and the reverse, the
results a receiver recorded in a message analysed without its session
(`--from-headers`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

#: the authserv-id of the header we write
AUTHSERV_ID = "smtpcheck.receive"


@dataclass
class RecordedResults:
    """What a receiver wrote in its Authentication-Results: method -> result, plus the
    properties worth showing (smtp.mailfrom, header.d, header.from...)."""

    authserv_id: str
    results: dict[str, str] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        return ", ".join(f"{method}={result}" for method, result in self.results.items())


def build_header(
    *,
    spf: tuple[str, str | None, str | None] | None,
    dkim: Sequence[tuple[str, str, str, str]],
    dmarc: tuple[str, str] | None,
    arc: str | None,
) -> str:
    """The Authentication-Results field, e.g. "Authentication-Results: smtpcheck.receive;
    spf=pass smtp.mailfrom=...". `spf`: (result, mailfrom, helo); `dkim`: (result,
    domain, selector, algorithm) per signature ("none" when there is none); `dmarc`:
    (result, from domain); `arc`: the chain's result, None to leave it out."""
    import authres
    import authres.arc
    import authres.dmarc

    results: list[object] = []
    if spf is not None:
        result, mailfrom, helo = spf
        results.append(
            authres.SPFAuthenticationResult(
                result=result, smtp_mailfrom=mailfrom or None, smtp_helo=helo or None
            )
        )
    if not dkim:
        results.append(authres.DKIMAuthenticationResult(result="none"))
    for result, domain, selector, algorithm in dkim:
        results.append(
            authres.DKIMAuthenticationResult(
                result=result,
                header_d=domain or None,
                header_s=selector or None,
                header_a=algorithm or None,
            )
        )
    if dmarc is not None:
        results.append(
            authres.dmarc.DMARCAuthenticationResult(result=dmarc[0], header_from=dmarc[1] or None)
        )
    if arc is not None:
        results.append(authres.arc.ARCAuthenticationResult(result=arc))
    return str(authres.AuthenticationResultsHeader(authserv_id=AUTHSERV_ID, results=results))


def parse_recorded(values: Sequence[str]) -> RecordedResults | None:
    """The first Authentication-Results field (the newest, added by the last receiver)
    that parses; None when none does."""
    import authres
    import authres.arc
    import authres.dmarc

    context = authres.FeatureContext(authres.dmarc, authres.arc)
    for value in values:
        try:
            header = context.parse("Authentication-Results: " + value)
        except Exception:  # authres on a malformed or hostile header: try the next one
            continue
        recorded = RecordedResults(authserv_id=str(header.authserv_id))
        for result in header.results:
            method = str(result.method).lower()
            if method in recorded.results:
                continue
            recorded.results[method] = str(result.result).lower()
            for prop in result.properties:
                key = f"{prop.type}.{prop.name}".lower()
                recorded.properties.setdefault(f"{method}:{key}", str(prop.value))
        return recorded
    return None
