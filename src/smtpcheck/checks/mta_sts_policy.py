"""MTA-STS (RFC 8461) as data: the `_mta-sts` TXT record, the policy file, and which MX
host names a policy's `mx:` patterns cover. Pure functions; they never raise on peer
input (the fetching and the findings are in `checks.mta_sts`). Our own code: the formats
are a few lines of RFC, and no maintained Python library parses them on their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from smtpcheck.checks.tag_list import parse_tag_list

MAX_AGE_LIMIT = 31557600  # §3.2: one year
#: shorter than a day gives senders little protection between fetches (RFC 8461 §3.2
#: suggests weeks or longer)
MAX_AGE_RECOMMENDED = 86400
MODES = ("enforce", "testing", "none")
_ID = re.compile(r"[A-Za-z0-9]{1,32}\Z")
_PATTERN = re.compile(r"(\*\.)?([A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?\.)+[A-Za-z0-9-]+\.?\Z")


@dataclass(frozen=True)
class StsRecord:
    """A `_mta-sts` TXT record: its policy `id`, or what is wrong (`error`)."""

    text: str
    id: str | None
    error: str = ""


def is_sts_record(text: str) -> bool:
    return text.startswith("v=STSv1")


def parse_sts_record(text: str) -> StsRecord:
    tags = parse_tag_list(text)
    if tags.first != "v" or tags.tags.get("v") != "STSv1":
        return StsRecord(text, None, "the record must start with v=STSv1")
    if tags.malformed or tags.repeated:
        return StsRecord(text, None, f"not a field: {(tags.malformed or tags.repeated)[0]!r}")
    policy_id = tags.tags.get("id")
    if policy_id is None:
        return StsRecord(text, None, "the id= field is missing")
    if not _ID.match(policy_id):
        return StsRecord(text, None, f"id={policy_id!r} is not 1 to 32 letters and digits")
    return StsRecord(text, policy_id)


@dataclass
class StsPolicy:
    """A parsed policy file. `errors` make it invalid (senders then ignore it)."""

    version: str | None = None
    mode: str | None = None
    max_age: int | None = None
    mx: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    unknown_keys: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors


def parse_policy(body: str) -> StsPolicy:
    """Parse a policy file (§3.2: `key: value` lines, CRLF or LF)."""
    policy = StsPolicy()
    seen: set[str] = set()
    for number, raw in enumerate(body.replace("\r\n", "\n").split("\n"), start=1):
        line = raw.strip(" \t")
        if not line:
            continue
        key, colon, value = line.partition(":")
        key, value = key.strip(" \t"), value.strip(" \t")
        if not colon or not key:
            policy.errors.append(f"line {number} is not 'key: value'")
            continue
        if key != "mx" and key in seen:
            policy.errors.append(f"{key} appears twice")
            continue
        seen.add(key)
        if key == "version":
            policy.version = value
            if value != "STSv1":
                policy.errors.append(f"version {value!r} is not STSv1")
        elif key == "mode":
            policy.mode = value
            if value not in MODES:
                policy.errors.append(f"mode {value!r} is not enforce, testing or none")
        elif key == "max_age":
            if not value.isdigit() or len(value) > 10 or int(value) > MAX_AGE_LIMIT:
                policy.errors.append(f"max_age {value!r} is not 0 to {MAX_AGE_LIMIT} seconds")
            else:
                policy.max_age = int(value)
        elif key == "mx":
            if _PATTERN.match(value):
                policy.mx.append(value.lower().rstrip("."))
            else:
                policy.errors.append(f"mx {value!r} is not a host name or *.domain pattern")
        else:
            policy.unknown_keys.append(key)
    for required in ("version", "mode", "max_age"):
        if required not in seen:
            policy.errors.append(f"{required} is missing")
    if policy.mode in ("enforce", "testing") and not policy.mx:
        policy.errors.append("no mx: line (needed unless mode is none)")
    return policy


def mx_matches(pattern: str, host: str) -> bool:
    """§4.1: a pattern matches the host name exactly, or `*.` stands for exactly one
    leftmost label (`*.example.com` matches `mx.example.com`, not `a.b.example.com`
    nor `example.com`). Case-insensitive, trailing dots ignored."""
    name = host.lower().rstrip(".")
    wanted = pattern.lower().rstrip(".")
    if wanted.startswith("*."):
        first, dot, rest = name.partition(".")
        return bool(first) and bool(dot) and rest == wanted[2:]
    return name == wanted


def covering_pattern(policy: StsPolicy, host: str) -> str | None:
    """The first `mx:` pattern that covers `host`, or None."""
    return next((pattern for pattern in policy.mx if mx_matches(pattern, host)), None)
