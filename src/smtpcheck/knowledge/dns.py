"""What DNS outcomes mean for mail delivery, in words: lookups over `data/<lang>/dns.toml`.

The dns layer (`smtpcheck.dns`) returns codes and facts: an `MxStatus`, a
`LookupStatus`, an `MxFinding` code with the host names it concerns, an input error
code. This module turns them into sentences in the reader's language:

- `explain_mx_status(status, lang)`      -> `MxStatusText` (meaning, advice)
- `explain_lookup_status(status, lang)`  -> one sentence
- `explain_mx_finding(code, lang, **facts)` -> `MxFindingText` (title, message, fix)
- `explain_dns_input_error(code, lang, **facts)` -> the one-line reason a domain or
  `--dns` value was refused
- `explain_no_mail_targets(domain, status, lang, ...)` -> why there is nowhere to deliver
- `explain_dns_error(code, lang, **facts)` -> any of the dns layer's exceptions
  (`DnsError`: a refused input, or nowhere to deliver) in words

It takes plain strings (the enums are `StrEnum`s, so they pass as they are) and
imports nothing from `smtpcheck.dns`: no dnspython, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from smtpcheck.knowledge._data import DEFAULT_LANGUAGE, check_language, language_file, lookup_str

__all__ = [
    "MxFindingText",
    "MxStatusText",
    "explain_dns_error",
    "explain_dns_input_error",
    "explain_lookup_status",
    "explain_mx_finding",
    "explain_mx_status",
    "explain_no_mail_targets",
    "lookup_statuses",
    "mx_finding_codes",
    "mx_statuses",
]

_FILE = "dns"


@dataclass(frozen=True)
class MxStatusText:
    """What the outcome of a domain's MX lookup means (`meaning`, a sentence without a
    final full stop) and what to do about it (`advice`, one or two full sentences)."""

    status: str
    meaning: str
    advice: str


@dataclass(frozen=True)
class MxFindingText:
    """One MX finding in words: a short `title`, the `message` saying what is wrong (no
    final full stop) and the `fix` saying what to change (full sentences)."""

    code: str
    title: str
    message: str
    fix: str


def _required(lang: str, *path: str) -> str:
    text = lookup_str(lang, _FILE, *path)
    if text is None:
        raise KeyError(f"no DNS text for {'.'.join(path)!r}")
    return text


def _fill(template: str, facts: dict[str, object]) -> str:
    try:
        return template.format(**facts)
    except KeyError as missing:
        raise KeyError(f"missing fact {missing} for {template!r}") from None


def mx_statuses() -> tuple[str, ...]:
    """Every MX status the data explains (the values of `smtpcheck.dns.MxStatus`)."""
    return tuple(language_file(DEFAULT_LANGUAGE, _FILE)["mx_status"])


def lookup_statuses() -> tuple[str, ...]:
    """Every lookup status the data explains (the values of `smtpcheck.dns.LookupStatus`)."""
    return tuple(language_file(DEFAULT_LANGUAGE, _FILE)["lookup_status"])


def mx_finding_codes() -> tuple[str, ...]:
    """Every MX finding code the data explains (e.g. "mx-cname")."""
    return tuple(language_file(DEFAULT_LANGUAGE, _FILE)["finding"])


def explain_mx_status(status: str, lang: str = DEFAULT_LANGUAGE) -> MxStatusText:
    """The meaning of an MX outcome ("mx", "null_mx", "servfail", ...) and the advice.

    Raises KeyError for a status the data does not know (a programming error).
    """
    check_language(lang)
    return MxStatusText(
        status=str(status),
        meaning=_required(lang, "mx_status", status, "meaning"),
        advice=_required(lang, "mx_status", status, "advice"),
    )


def explain_lookup_status(status: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """What one DNS query's outcome ("ok", "nxdomain", "timeout", ...) means."""
    check_language(lang)
    return _required(lang, "lookup_status", status)


def explain_mx_finding(code: str, lang: str = DEFAULT_LANGUAGE, **facts: object) -> MxFindingText:
    """An MX finding (`MxFinding.code` with its `facts`) in words.

    Facts fill the {placeholders}: `host`, `domain`, `target`, `rdtype`, ... as the
    finding carries them. Two facts are special: `variant` picks `message_<variant>`
    over `message` when the data has it (e.g. "nxdomain" for mx-dangling), and `status`
    (a lookup status) provides `{meaning}`, that status explained in `lang`. A
    non-empty `detail` (the resolver's technical detail) is appended in parentheses.
    """
    check_language(lang)
    values = {key: value for key, value in facts.items() if value is not None}
    variant = str(values.pop("variant", "") or "")
    if "status" in values and "meaning" not in values:
        values["meaning"] = explain_lookup_status(str(values["status"]), lang)
    template = None
    if variant:
        template = lookup_str(lang, _FILE, "finding", code, f"message_{variant}")
    if template is None:
        template = _required(lang, "finding", code, "message")
    message = _fill(template, values)
    detail = str(values.get("detail") or "")
    if detail:
        message += f" ({detail})"
    return MxFindingText(
        code=code,
        title=_fill(_required(lang, "finding", code, "title"), values),
        message=message,
        fix=_fill(_required(lang, "finding", code, "fix"), values),
    )


def explain_dns_input_error(code: str, lang: str = DEFAULT_LANGUAGE, **facts: object) -> str:
    """Why a domain or `--dns` value was refused (`InvalidDomainError.code`,
    `DnsConfigError.code`), one line; `text` is what the user typed."""
    check_language(lang)
    return _fill(_required(lang, "input", code), dict(facts))


def explain_no_mail_targets(
    domain: str,
    status: str,
    lang: str = DEFAULT_LANGUAGE,
    *,
    family: int | None = None,
    ascii_domain: str | None = None,
) -> str:
    """Why there is nowhere to deliver mail for `domain` (`NoMailTargetsError`).

    With status "mx" or "implicit_mx" the hosts exist but have no address (of IPv
    `family`, if given); otherwise the MX status itself is the reason.
    """
    check_language(lang)
    if status in ("mx", "implicit_mx"):
        named = ascii_domain or domain
        if family:
            reason = _required(lang, "targets", "no_address_family").format(
                domain=named, family=family
            )
        else:
            reason = _required(lang, "targets", "no_address").format(domain=named)
    else:
        reason = explain_mx_status(status, lang).meaning
    return _required(lang, "targets", "cannot_deliver").format(domain=domain, reason=reason)


def explain_dns_error(code: str, lang: str = DEFAULT_LANGUAGE, **facts: object) -> str:
    """A dns-layer exception (`smtpcheck.dns.errors.DnsError`: its `code` and `facts`)
    in words: a refused domain or `--dns` value, or nowhere to deliver mail."""
    if code == "no_mail_targets":
        family = str(facts.get("family") or "")
        return explain_no_mail_targets(
            str(facts["domain"]),
            str(facts["status"]),
            lang,
            family=int(family) if family else None,
            ascii_domain=str(facts.get("ascii_domain") or facts["domain"]),
        )
    return explain_dns_input_error(code, lang, **facts)
