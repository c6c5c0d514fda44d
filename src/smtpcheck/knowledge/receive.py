"""What `smtpcheck receive` knows, as data: the texts of its findings
(`data/<lang>/receive.toml`), the DNS blocklists it asks (`data/dnsbl.toml`), the names
that look generic or dynamic in a PTR record and the sender requirements of Gmail, Yahoo
and Microsoft (`data/sender_rules.toml`).

Finding codes use hyphens (`ptr-missing`); table names use underscores (`ptr_missing`).
A user's own blocklist file has the form of `dnsbl.toml`; the scenario reads it and
hands the parsed table to `parse_zones`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from smtpcheck.knowledge._data import DEFAULT_LANGUAGE, language_file, lookup, neutral
from smtpcheck.knowledge.i18n import render


def _key(code: str) -> str:
    return code.replace("-", "_")


def receive_text(
    code: str, part: str, lang: str = DEFAULT_LANGUAGE, /, **facts: object
) -> str | None:
    """The `part` ("message" or "fix") of finding `code` in `lang`, filled with `facts`;
    None when the catalogue has no such part (a pass needs no fix). A part with plural
    forms takes its form from the `count` fact."""
    entry = lookup(lang, "receive", _key(code), part)
    if entry is None:
        return None
    return render(entry, lang, facts)


def receive_codes(lang: str = DEFAULT_LANGUAGE) -> frozenset[str]:
    """Every finding code the language's catalogue has text for (tables with a message)."""
    return frozenset(
        name.replace("_", "-")
        for name, table in language_file(lang, "receive").items()
        if isinstance(table, dict) and "message" in table
    )


def receive_word(section: str, key: str, lang: str = DEFAULT_LANGUAGE, /, **facts: object) -> str:
    """A text of the report's vocabulary (`[section] key`), e.g. a provider's name;
    `key` itself when the catalogue lacks it (a data gap must not stop a report)."""
    entry = lookup(lang, "receive", section, key)
    if entry is None:
        return key
    return render(entry, lang, facts)


# ---- DNS blocklists --------------------------------------------------------------------


@dataclass(frozen=True)
class DnsblZone:
    """One blocklist: its zone, who runs it, what it lists (`kind` "ip" or "domain"),
    its answers' meaning keys (`codes`), the answers that are errors, not listings
    (`errors`), and its removal page."""

    name: str
    operator: str
    kind: str
    delist: str | None = None
    codes: Mapping[str, str] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)


class ZoneListError(ValueError):
    """A blocklist file that cannot be used; the message says which entry and why."""


def parse_zones(table: Mapping[str, Any]) -> tuple[DnsblZone, ...]:
    """The zones of a parsed blocklist file (`[[zone]]` entries); ZoneListError if bad."""
    entries = table.get("zone")
    if not isinstance(entries, list) or not entries:
        raise ZoneListError("no [[zone]] entries")
    zones: list[DnsblZone] = []
    for index, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            raise ZoneListError(f"zone {index} is not a table")
        name = entry.get("name")
        kind = entry.get("kind", "ip")
        if not isinstance(name, str) or not name.strip(".").strip():
            raise ZoneListError(f"zone {index} has no name")
        if kind not in ("ip", "domain"):
            raise ZoneListError(f"zone {name}: kind must be ip or domain, not {kind!r}")
        codes = entry.get("codes", {})
        errors = entry.get("errors", {})
        if not isinstance(codes, dict) or not isinstance(errors, dict):
            raise ZoneListError(f"zone {name}: codes and errors must be tables")
        delist = entry.get("delist")
        zones.append(
            DnsblZone(
                name=name.strip().strip(".").lower(),
                operator=str(entry.get("operator", name)),
                kind=kind,
                delist=delist if isinstance(delist, str) and delist else None,
                codes={str(k): str(v) for k, v in codes.items()},
                errors={str(k): str(v) for k, v in errors.items()},
            )
        )
    return tuple(zones)


def default_zones() -> tuple[DnsblZone, ...]:
    """The blocklists asked when the user names none (`data/dnsbl.toml`)."""
    return parse_zones(neutral("dnsbl"))


def dnsbl_meaning(key: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """What an answer's meaning key says ("spamhaus_pbl" -> ...); the key when unknown."""
    return receive_word("dnsbl_meaning", key, lang)


# ---- sender rules ---------------------------------------------------------------------


def generic_ptr_labels() -> tuple[str, ...]:
    """Labels that make a PTR name look generic or dynamic (`dyn`, `pool`, `dsl`...)."""
    table = neutral("sender_rules").get("generic_ptr", {})
    labels = table.get("labels", []) if isinstance(table, dict) else []
    return tuple(str(label).lower() for label in labels)


@dataclass(frozen=True)
class Requirement:
    """One sender requirement: its id (text keys), providers, scope ("all" senders or
    "bulk" ones) and the measured fact it needs."""

    id: str
    providers: tuple[str, ...]
    scope: str
    fact: str


def requirements() -> tuple[Requirement, ...]:
    """The Gmail/Yahoo (2024) and Microsoft (2025) sender requirements, in order."""
    entries = neutral("sender_rules").get("requirement", [])
    out: list[Requirement] = []
    for entry in entries if isinstance(entries, list) else []:
        out.append(
            Requirement(
                id=str(entry["id"]),
                providers=tuple(str(p) for p in entry.get("providers", [])),
                scope=str(entry.get("scope", "all")),
                fact=str(entry.get("fact", "")),
            )
        )
    return tuple(out)
