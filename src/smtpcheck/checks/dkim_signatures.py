"""DKIM (RFC 6376): every signature of a received message verified with dkimpy, the
keys fetched through OUR resolver.

dkimpy looks keys up synchronously with its own resolver; it accepts a `dnsfunc`, so
the keys are fetched first, concurrently, through `dns.query.ask` (the `--dns` server,
a hard deadline), and dkimpy reads them from that table. Verification itself is CPU
work only. Each signature gives a `SignatureResult` (domain, selector, algorithm, key
size, canonicalisation, signed headers, l=, the result and why); `judge_signatures`
turns them into findings. Key records are judged by the posture check's parser
(`checks.dkim.parse_dkim_key`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import dns.asyncresolver

from smtpcheck.checks.dkim import RECOMMENDED_RSA_BITS, parse_dkim_key
from smtpcheck.checks.receive_findings import receive_finding
from smtpcheck.checks.tag_list import parse_tag_list
from smtpcheck.dns.query import ask, txt_strings
from smtpcheck.dns.resolver import DEFAULT_TIMEOUT, LookupStatus
from smtpcheck.report.model import Finding

MAX_SIGNATURES = 10  # more are not verified (each costs a key lookup)
#: headers a signature should cover when the message has them
IMPORTANT_HEADERS = ("subject", "date", "to", "message-id")


@dataclass(frozen=True)
class KeyRecord:
    """A key lookup's outcome: the record text (None: none published), or the failure."""

    name: str
    text: str | None
    failure: str = ""


@dataclass
class SignatureResult:
    """One DKIM-Signature as verified. `result`: pass, fail, permerror (unusable
    signature or key), temperror (the key could not be fetched)."""

    index: int
    result: str
    reason: str = ""
    domain: str = ""
    selector: str = ""
    algorithm: str = ""
    canonicalization: str = "simple/simple"
    signed_headers: tuple[str, ...] = ()
    length: int | None = None
    key_name: str = ""
    bits: int | None = None
    key_testing: bool = False
    problem: str = ""  # a finding code that explains a non-pass (dkim-key-missing...)

    def to_dict(self) -> dict[str, object]:
        return {
            "result": self.result,
            "reason": self.reason,
            "domain": self.domain,
            "selector": self.selector,
            "algorithm": self.algorithm,
            "canonicalization": self.canonicalization,
            "signed_headers": list(self.signed_headers),
            "length": self.length,
            "key": self.key_name,
            "bits": self.bits,
            "testing": self.key_testing,
        }


@dataclass
class DkimOutcome:
    results: list[SignatureResult] = field(default_factory=list)

    @property
    def passing(self) -> list[SignatureResult]:
        return [r for r in self.results if r.result == "pass"]

    def signed_fields(self) -> set[str]:
        """Header names covered by at least one signature that verified."""
        return {name for r in self.passing for name in r.signed_headers}


def key_name(selector: str, domain: str) -> str:
    return f"{selector}._domainkey.{domain}".lower().strip(".")


async def fetch_key_records(
    resolver: dns.asyncresolver.Resolver, names: Iterable[str], *, timeout: float
) -> dict[str, KeyRecord]:
    """The TXT key record at each name, concurrently, all within `timeout` seconds."""
    wanted = list(dict.fromkeys(name.lower().strip(".") for name in names))

    async def one(name: str) -> KeyRecord:
        try:
            answer = await ask(resolver, name + ".", "TXT", timeout=timeout)
        except (ValueError, UnicodeError) as error:  # a name dnspython refuses (peer input)
            return KeyRecord(name, None, f"bad name: {error}")
        if answer.status.is_failure:
            return KeyRecord(name, None, answer.detail or str(answer.status))
        if answer.status in (LookupStatus.NXDOMAIN, LookupStatus.NODATA):
            return KeyRecord(name, None)
        texts = [t for t in txt_strings(answer.records) if "p=" in t or "v=DKIM1" in t]
        return KeyRecord(name, texts[0] if texts else None)

    try:
        async with asyncio.timeout(timeout + 0.5):
            found = await asyncio.gather(*(one(name) for name in wanted))
    except TimeoutError:
        return {name: KeyRecord(name, None, f"no answer within {timeout:g} s") for name in wanted}
    return {record.name: record for record in found}


def key_lookup(records: dict[str, KeyRecord]) -> Callable[..., str | None]:
    """A dkimpy `dnsfunc` answering from fetched records (no DNS of its own)."""
    import dkim

    def dnsfunc(name: bytes | str, timeout: float = 5) -> str | None:
        text = name.decode("ascii", "replace") if isinstance(name, bytes) else name
        record = records.get(text.lower().strip("."))
        if record is None or record.failure:
            raise dkim.DnsTimeoutError(record.failure if record else "not fetched")
        return record.text

    return dnsfunc


def _tags(value: str) -> dict[str, str]:
    return {name: "".join(text.split()) for name, text in parse_tag_list(value).tags.items()}


def signature_key_names(values: Sequence[str]) -> list[str]:
    """The key names the signatures (DKIM-Signature values) need."""
    names = []
    for value in values[:MAX_SIGNATURES]:
        tags = _tags(value)
        if tags.get("s") and tags.get("d"):
            names.append(key_name(tags["s"], tags["d"]))
    return names


def verify_signatures(
    raw: bytes, values: Sequence[str], records: dict[str, KeyRecord]
) -> DkimOutcome:
    """Verify each signature (`values`: the DKIM-Signature fields, top first) with the
    fetched key `records`; never raises for what the message or the keys contain."""
    import dkim

    outcome = DkimOutcome()
    dnsfunc = key_lookup(records)
    for index, value in enumerate(values[:MAX_SIGNATURES]):
        tags = _tags(value)
        result = SignatureResult(
            index=index,
            result="permerror",
            domain=tags.get("d", "").lower(),
            selector=tags.get("s", ""),
            algorithm=tags.get("a", ""),
            canonicalization=tags.get("c", "simple/simple"),
            signed_headers=tuple(
                h.strip().lower() for h in tags.get("h", "").split(":") if h.strip()
            ),
            length=int(tags["l"]) if tags.get("l", "").isdigit() else None,
        )
        outcome.results.append(result)
        if result.domain and result.selector:
            result.key_name = key_name(result.selector, result.domain)
        record = records.get(result.key_name)
        if record is not None and record.text is not None:
            key = parse_dkim_key(result.selector, record.text)
            result.bits, result.key_testing = key.bits, key.testing
        if result.signed_headers and "from" not in result.signed_headers:
            result.problem, result.reason = "dkim-from-not-signed", "From is not signed"
            continue
        if record is not None and record.failure:
            result.result, result.problem, result.reason = (
                "temperror",
                "dkim-key-dns-failed",
                (record.failure),
            )
            continue
        if record is not None and record.text is None:
            result.problem, result.reason = "dkim-key-missing", f"no key at {result.key_name}"
            continue
        verifier = dkim.DKIM(raw, minkey=1024)
        try:
            valid = verifier.verify(idx=index, dnsfunc=dnsfunc)
        except dkim.ValidationError as error:
            result.result, result.reason = "fail", str(error)
        except dkim.DKIMException as error:
            result.problem, result.reason = "dkim-malformed", str(error)
        except Exception as error:  # dkimpy on hostile input: a bad signature, not a crash
            result.problem, result.reason = "dkim-malformed", f"{type(error).__name__}: {error}"
        else:
            if valid:
                result.result = "pass"
                result.bits = getattr(verifier, "keysize", None) or result.bits
            else:
                result.result, result.reason = "fail", "the signature does not match"
        if result.reason:
            result.reason = result.reason[:200]
    return outcome


async def verify_dkim(
    resolver: dns.asyncresolver.Resolver,
    raw: bytes,
    values: Sequence[str],
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> DkimOutcome:
    """Fetch the keys the signatures need, then verify every signature."""
    records = await fetch_key_records(resolver, signature_key_names(values), timeout=timeout)
    return verify_signatures(raw, values, records)


def judge_signatures(
    outcome: DkimOutcome, present_headers: Iterable[str], lang: str
) -> list[Finding]:
    """The findings for every signature (or for their absence)."""
    if not outcome.results:
        return [receive_finding("dkim-none", lang)]
    present = {name.lower() for name in present_headers}
    out: list[Finding] = []
    for r in outcome.results:
        subject = f"d={r.domain} s={r.selector}"
        d, sel = r.domain or "?", r.selector or "?"
        if r.result == "pass":
            out.append(
                receive_finding(
                    "dkim-pass",
                    lang,
                    subject=subject,
                    algorithm=r.algorithm,
                    bits=r.bits or "?",
                    canon=r.canonicalization,
                    domain=d,
                    selector=sel,
                )
            )
        elif r.problem in ("dkim-key-missing", "dkim-key-dns-failed"):
            out.append(
                receive_finding(
                    r.problem,
                    lang,
                    subject=subject,
                    name=r.key_name,
                    detail=r.reason,
                    domain=d,
                    selector=sel,
                )
            )
        elif r.problem == "dkim-from-not-signed":
            out.append(
                receive_finding(
                    r.problem,
                    lang,
                    subject=subject,
                    headers=":".join(r.signed_headers),
                    domain=d,
                    selector=sel,
                )
            )
        elif r.problem == "dkim-malformed":
            out.append(receive_finding(r.problem, lang, subject=subject, why=r.reason))
        else:
            out.append(
                receive_finding(
                    "dkim-fail",
                    lang,
                    subject=subject,
                    why=r.reason,
                    name=r.key_name,
                    domain=d,
                    selector=sel,
                )
            )
        out += _details(r, present, lang, subject)
    return out


def _details(r: SignatureResult, present: set[str], lang: str, subject: str) -> list[Finding]:
    d, sel = r.domain or "?", r.selector or "?"
    out: list[Finding] = []
    if r.length is not None:
        out.append(
            receive_finding(
                "dkim-length-limit", lang, subject=subject, length=r.length, domain=d, selector=sel
            )
        )
    if r.algorithm.lower() == "rsa-sha1":
        out.append(receive_finding("dkim-sha1", lang, subject=subject, domain=d, selector=sel))
    if r.bits is not None and r.algorithm.startswith("rsa") and r.bits < RECOMMENDED_RSA_BITS:
        out.append(
            receive_finding(
                "dkim-key-weak", lang, subject=subject, bits=r.bits, domain=d, selector=sel
            )
        )
    header_canon = r.canonicalization.split("/")[0].lower()
    if header_canon == "simple":
        out.append(
            receive_finding(
                "dkim-simple-headers",
                lang,
                subject=subject,
                canon=r.canonicalization,
                domain=d,
                selector=sel,
            )
        )
    if r.signed_headers:
        missing = [h for h in IMPORTANT_HEADERS if h in present and h not in r.signed_headers]
        if missing:
            out.append(
                receive_finding(
                    "dkim-unsigned-important",
                    lang,
                    subject=subject,
                    headers=", ".join(missing),
                    domain=d,
                    selector=sel,
                )
            )
    if r.key_testing:
        out.append(
            receive_finding(
                "dkim-testing", lang, subject=subject, name=r.key_name, domain=d, selector=sel
            )
        )
    return out
