"""SPF records (RFC 7208) as data: `parse_spf()` turns record text into mechanisms and
modifiers and lists every syntax error instead of raising; `expand_macros()` expands a
domain-spec for `check_host` (§7). Pure functions: no DNS here (see `checks.spf`).
"""

from __future__ import annotations

import ipaddress
import re
import urllib.parse
from dataclasses import dataclass, field

#: RFC 7208 §3.4: keep the record small enough to fit a 512-byte UDP answer
RECOMMENDED_MAX_LENGTH = 450
MAX_DOMAIN_LENGTH = 253

QUALIFIERS = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}
_DOMAIN_MECHANISMS = {"include", "a", "mx", "ptr", "exists"}
_NEEDS_DOMAIN = {"include", "exists"}
_MODIFIER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9._-]*\Z")
_MACRO = re.compile(r"%\{([slodiphcrtvSLODIPHCRTV])([0-9]*)(r?)([.\-+,/_=]*)\}|%%|%_|%-", re.I)
_LABEL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\Z")
_CIDR = re.compile(r"(?P<body>.*?)(?:/(?P<v4>[0-9]{1,4}))?(?://(?P<v6>[0-9]{1,4}))?\Z")


class MacroError(ValueError):
    """A macro that cannot be expanded (bad syntax, or a letter not allowed there)."""


@dataclass(frozen=True)
class Mechanism:
    """One directive: qualifier ("+", "-", "~", "?"), kind ("ip4", "include"...),
    its domain-spec or network, and the CIDR lengths for a/mx."""

    qualifier: str
    kind: str
    text: str
    domain_spec: str | None = None
    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None
    cidr4: int | None = None
    cidr6: int | None = None

    @property
    def result(self) -> str:
        """What a match means: "pass", "fail", "softfail" or "neutral"."""
        return QUALIFIERS[self.qualifier]

    @property
    def counts_lookup(self) -> bool:
        """True for the terms counted against the 10-lookup limit (§4.6.4)."""
        return self.kind in _DOMAIN_MECHANISMS


@dataclass
class SpfRecord:
    """A parsed record; `errors` lists what makes it a permerror (empty: valid)."""

    text: str
    mechanisms: list[Mechanism] = field(default_factory=list)
    redirect: str | None = None
    explanation: str | None = None
    unknown_modifiers: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def all_mechanism(self) -> Mechanism | None:
        return next((m for m in self.mechanisms if m.kind == "all"), None)


def is_spf_record(text: str) -> bool:
    """True for a TXT string that is an SPF record: "v=spf1" then a space or the end."""
    lowered = text.lower()
    return lowered == "v=spf1" or lowered.startswith("v=spf1 ")


def has_macros(spec: str) -> bool:
    return "%" in spec


def check_domain_spec(spec: str) -> str | None:
    """What is wrong with a domain-spec, or None (§7.1 grammar, macros included)."""
    if not spec:
        return "empty domain"
    if len(spec) > 1024:
        return "domain too long"
    rest = _MACRO.sub("", spec)
    if "%" in rest:
        return f"bad macro in {spec!r}"
    if any(ord(char) < 0x21 or ord(char) > 0x7E for char in rest):
        return f"invalid character in {spec!r}"
    if has_macros(spec):
        return None  # its labels are only known after expansion
    name = spec.rstrip(".")
    labels = name.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return f"not a domain name: {spec!r}"
    if labels[-1].isdigit():
        return f"not a domain name: {spec!r}"
    return None


def _cidr(text: str, limit: int) -> int | None:
    value = int(text)
    if value > limit or (len(text) > 1 and text.startswith("0")):
        raise ValueError(text)
    return value


def _parse_directive(term: str, record: SpfRecord) -> None:
    qualifier = "+"
    body = term
    if body[:1] in QUALIFIERS:
        qualifier, body = body[0], body[1:]
    name, separator, argument = body.partition(":")
    cidr_match = _CIDR.match(argument) if separator else None
    kind = name.lower()
    if not separator and "/" in name and name.split("/", 1)[0].lower() in ("a", "mx"):
        # "a/24" or "mx//64": the lengths follow the name directly
        kind = name.split("/", 1)[0].lower()
        cidr_match = _CIDR.match(name[len(kind) :])
    if kind == "all":
        if separator or body.lower() != "all":
            record.errors.append(f"'all' takes no argument: {term!r}")
            return
        record.mechanisms.append(Mechanism(qualifier, "all", term))
        return
    if kind in ("ip4", "ip6"):
        if not separator:
            record.errors.append(f"{kind} needs an address: {term!r}")
            return
        try:
            network = ipaddress.ip_network(argument, strict=False)
        except ValueError:
            record.errors.append(f"bad address in {term!r}")
            return
        if (kind == "ip4") != (network.version == 4) or argument.count("/") > 1:
            record.errors.append(f"bad address in {term!r}")
            return
        record.mechanisms.append(Mechanism(qualifier, kind, term, network=network))
        return
    if kind not in _DOMAIN_MECHANISMS:
        record.errors.append(f"unknown mechanism {term!r}")
        return
    spec: str | None = None
    cidr4 = cidr6 = None
    if kind in ("a", "mx") and cidr_match is not None:
        if not separator and cidr_match["body"]:
            record.errors.append(f"bad prefix length in {term!r}")
            return
        try:
            if cidr_match["v4"] is not None:
                cidr4 = _cidr(cidr_match["v4"], 32)
            if cidr_match["v6"] is not None:
                cidr6 = _cidr(cidr_match["v6"], 128)
        except ValueError:
            record.errors.append(f"bad prefix length in {term!r}")
            return
        argument = cidr_match["body"] if separator else ""
    if separator:
        spec = argument
        problem = check_domain_spec(spec)
        if problem:
            record.errors.append(f"{problem} in {term!r}")
            return
    elif kind in _NEEDS_DOMAIN:
        record.errors.append(f"{kind} needs a domain: {term!r}")
        return
    record.mechanisms.append(Mechanism(qualifier, kind, term, spec, None, cidr4, cidr6))


def parse_spf(text: str) -> SpfRecord:
    """Parse one SPF record's text; never raises (errors go into `.errors`)."""
    record = SpfRecord(text=text)
    terms = text.split(" ")
    if not terms or terms[0].lower() != "v=spf1":
        record.errors.append("the record does not start with v=spf1")
        return record
    for term in terms[1:]:
        if not term:
            continue  # runs of spaces are tolerated by every evaluator
        name, equals, value = term.partition("=")
        if equals and _MODIFIER_NAME.match(name) and ":" not in name:
            lowered = name.lower()
            problem = check_domain_spec(value) if lowered in ("redirect", "exp") else None
            if problem:
                record.errors.append(f"{problem} in {term!r}")
            elif lowered == "redirect":
                if record.redirect is not None:
                    record.errors.append("more than one redirect= modifier")
                record.redirect = value
            elif lowered == "exp":
                if record.explanation is not None:
                    record.errors.append("more than one exp= modifier")
                record.explanation = value
            else:
                record.unknown_modifiers.append(term)
            continue
        _parse_directive(term, record)
    return record


@dataclass(frozen=True)
class MacroContext:
    """What macros expand to: the client IP, the sender, the current domain, HELO."""

    ip: ipaddress.IPv4Address | ipaddress.IPv6Address
    sender: str
    domain: str
    helo: str = ""


def _macro_value(letter: str, context: MacroContext) -> str:
    local, _, sender_domain = context.sender.rpartition("@")
    match letter:
        case "s":
            return context.sender
        case "l":
            return local or "postmaster"
        case "o":
            return sender_domain
        case "d":
            return context.domain
        case "i":
            if context.ip.version == 4:
                return str(context.ip)
            return ".".join(context.ip.exploded.replace(":", ""))
        case "p":
            return "unknown"  # §7.3: SHOULD NOT be used; we do not validate the PTR here
        case "v":
            return "in-addr" if context.ip.version == 4 else "ip6"
        case "h":
            return context.helo
    raise MacroError(f"macro letter {letter!r} is only allowed in exp=")


def expand_macros(spec: str, context: MacroContext) -> str:
    """Expand a domain-spec's macros (§7.3, §7.4); the result is cut from the left to
    253 characters as §7.3 says. Raises MacroError."""
    problem = check_domain_spec(spec) if has_macros(spec) else None
    if problem:
        raise MacroError(problem)

    def replace(match: re.Match[str]) -> str:
        whole = match.group(0)
        if whole == "%%":
            return "%"
        if whole == "%_":
            return " "
        if whole == "%-":
            return "%20"
        letter, digits, reverse, delimiters = match.groups()
        value = _macro_value(letter.lower(), context)
        parts = re.split("[" + re.escape(delimiters or ".") + "]", value)
        if reverse:
            parts.reverse()
        if digits:
            keep = int(digits)
            if keep == 0:
                raise MacroError("a macro keeps zero labels")
            parts = parts[-keep:]
        expanded = ".".join(parts)
        if letter.isupper():
            expanded = urllib.parse.quote(expanded, safe="")
        return expanded

    result = _MACRO.sub(replace, spec)
    while len(result) > MAX_DOMAIN_LENGTH and "." in result:
        result = result.split(".", 1)[1]
    return result
