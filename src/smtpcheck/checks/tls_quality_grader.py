"""What the TLS-quality checks share: `Grader` collects one address's findings.

Each check function (`checks.tls_quality_crypto`, `checks.tls_quality_features`) adds
its verdicts through `Grader.add`, which fills in the address and the language and reads
the texts from `knowledge/data/<lang>/tls_quality.toml`. `checks.tls_quality` orders them.
"""

from __future__ import annotations

from collections.abc import Iterable

from smtpcheck.checks import make_catalogue_finding
from smtpcheck.knowledge.i18n import catalogue_text
from smtpcheck.report.model import Finding, Status

CATALOGUE = "tls_quality"
#: most items of a list named in one finding; the rest are counted ("and 7 more")
LISTED = 6


class Grader:
    """Builds the findings of one address."""

    def __init__(self, lang: str, subject: str) -> None:
        self.lang = lang
        self.subject = subject
        self.findings: list[Finding] = []

    def add(self, status: Status, code: str, /, **fmt: object) -> None:
        self.findings.append(
            make_catalogue_finding(CATALOGUE, status, code, self.lang, subject=self.subject, **fmt)
        )

    def listing(self, items: Iterable[str]) -> str:
        """'a, b, c' with at most LISTED items named, in the reader's language."""
        unique = list(dict.fromkeys(items))
        shown = ", ".join(unique[:LISTED])
        if len(unique) > LISTED:
            more = catalogue_text(CATALOGUE, "list_more", self.lang, count=len(unique) - LISTED)
            shown = f"{shown} {more}"
        return shown
