"""Texts of the domain-posture findings (SPF, DMARC, DKIM, MTA-STS, TLS-RPT, DANE, DNSSEC,
CAA, null MX, IPv6): `data/<lang>/posture.toml`, one table per finding code.

Each table has a `message` and, for anything short of a pass, a `fix`. Codes use
hyphens (`spf-plus-all`); table names use underscores (`spf_plus_all`).
"""

from __future__ import annotations

from smtpcheck.knowledge._data import DEFAULT_LANGUAGE, language_file, lookup
from smtpcheck.knowledge.i18n import render


def _key(code: str) -> str:
    return code.replace("-", "_")


def posture_text(code: str, part: str, lang: str = DEFAULT_LANGUAGE, **facts: object) -> str | None:
    """The `part` ("message" or "fix") of finding `code` in `lang`, filled with `facts`;
    None when the catalogue has no such part (a pass needs no fix). A part with plural
    forms takes its form from the `count` fact."""
    entry = lookup(lang, "posture", _key(code), part)
    if entry is None:
        return None
    return render(entry, lang, facts)


def posture_codes(lang: str = DEFAULT_LANGUAGE) -> frozenset[str]:
    """Every finding code the language's catalogue has text for (hyphenated)."""
    return frozenset(name.replace("_", "-") for name in language_file(lang, "posture"))
