"""The server that sent a message, judged as the big receivers judge it: its reverse DNS
(present, forward-confirmed, not generic-looking), its HELO/EHLO name (a full name that
resolves and matches the PTR or at least its domain), TLS, and the protocol mistakes the
capture server recorded.

Pure: the scenario looks the names up (`RdnsFacts`, the HELO name's addresses) and hands
the facts here. The labels that make a PTR name look generic are data
(`knowledge/data/sender_rules.toml`); the address written into the name is found here.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence

from smtpcheck.checks.dmarc import organisational_domain
from smtpcheck.checks.names import is_fqdn, normalise
from smtpcheck.checks.rdns import RdnsFacts
from smtpcheck.checks.receive_findings import receive_finding
from smtpcheck.knowledge.receive import generic_ptr_labels, receive_word
from smtpcheck.report.model import Finding

OUTDATED_TLS = ("SSLv2", "SSLv3", "TLSv1", "TLSv1.1")
#: anomaly kinds and the fix that goes with them (the rest: the default fix)
_PIPELINING = {"unadvertised-pipelining", "improper-pipelining", "command-before-greeting"}
_LINE_ENDINGS = {"bare-lf-in-data", "bare-cr-in-data", "smuggling-eod"}
#: anomalies that are about the capture itself, not the client's SMTP
_NOT_THE_CLIENT = {"recovered", "starttls-failed-on-purpose"}
MAX_ANOMALY_FINDINGS = 8


def embedded_address(name: str, ip: str) -> bool:
    """True when the address is written into the name: 1-2-3-4, 1.2.3.4, 4-3-2-1,
    001002003004, 01020304 (hex), or three of its four octets in a row."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    text = name.lower()
    if address.version == 6:
        compact = address.exploded.replace(":", "")
        return compact[-8:] in text.replace("-", "").replace(".", "")
    octets = str(address).split(".")
    digits = re.sub(r"[^0-9a-f]", " ", text)
    tokens = re.findall(r"[0-9]+", text)
    if "".join(f"{int(o):03d}" for o in octets) in text.replace("-", ""):
        return True
    if "".join(f"{int(o):02x}" for o in octets) in digits.replace(" ", ""):
        return True
    for ordered in (octets, list(reversed(octets))):
        for start in range(len(tokens) - 2):
            if tokens[start : start + 3] in (ordered[:3], ordered[1:]):
                return True
    return False


def generic_reason(name: str, ip: str) -> str | None:
    """Why `name` looks like a generic/dynamic PTR, or None."""
    if embedded_address(name, ip):
        return f"contains {ip}"
    keywords = generic_ptr_labels()
    labels = normalise(name).split(".")
    for label in labels[:-2] or labels[:1]:  # not the registered domain itself
        for keyword in keywords:
            if label == keyword or re.match(re.escape(keyword) + r"[-0-9]", label):
                return f"label {label!r}"
    return None


def check_ptr(facts: RdnsFacts, lang: str) -> list[Finding]:
    """PTR present and forward-confirmed; generic-looking names flagged."""
    ip = facts.ip
    if facts.ptr_status in ("nxdomain", "nodata") or (
        facts.ptr_status == "ok" and not facts.ptr_names
    ):
        return [receive_finding("ptr-missing", lang, ip=ip)]
    if facts.ptr_status != "ok":
        return [
            receive_finding(
                "ptr-lookup-failed", lang, ip=ip, detail=facts.detail or facts.ptr_status
            )
        ]
    names = [normalise(name) for name in facts.ptr_names]
    confirmed = [name for name in names if ip in facts.forward.get(name, ())]
    out: list[Finding] = []
    if confirmed:
        out.append(receive_finding("ptr-ok", lang, ip=ip, name=confirmed[0]))
    else:
        out.append(receive_finding("ptr-not-confirmed", lang, ip=ip, name=", ".join(names)))
    name = (confirmed or names)[0]
    why = generic_reason(name, ip)
    if why is not None:
        out.append(receive_finding("ptr-generic", lang, ip=ip, name=name, why=why))
    return out


def ptr_confirmed(facts: RdnsFacts | None) -> bool:
    """True when some PTR name resolves back to the address (FCrDNS)."""
    if facts is None:
        return False
    return any(facts.ip in facts.forward.get(normalise(n), ()) for n in facts.ptr_names)


def check_helo(
    helo: str | None,
    helo_addresses: Sequence[str] | None,
    ptr_names: Sequence[str],
    lang: str,
) -> list[Finding]:
    """The HELO/EHLO name: present, a full name (not a literal), resolving, matching
    the PTR name or at least its organisational domain. `helo_addresses` None: the
    lookup was not made or failed (nothing said about resolving)."""
    if not helo:
        return [receive_finding("helo-missing", lang)]
    if helo.startswith("[") and helo.endswith("]"):
        return [receive_finding("helo-address-literal", lang, helo=helo)]
    if not is_fqdn(helo):
        return [receive_finding("helo-not-fqdn", lang, helo=helo)]
    out: list[Finding] = []
    if helo_addresses is not None and not helo_addresses:
        out.append(receive_finding("helo-does-not-resolve", lang, helo=helo))
    names = [normalise(name) for name in ptr_names]
    if not names:
        return out
    wanted = normalise(helo)
    shown = ", ".join(names)
    if wanted in names:
        out.append(receive_finding("helo-ok", lang, helo=helo))
    elif organisational_domain(wanted) in {organisational_domain(n) for n in names}:
        out.append(receive_finding("helo-same-domain", lang, helo=helo, ptr=shown))
    else:
        out.append(receive_finding("helo-mismatch", lang, helo=helo, ptr=shown))
    return out


def check_tls(tls: Mapping[str, object] | None, known: bool, lang: str) -> list[Finding]:
    """TLS used (version, cipher), not used, or not known (no session seen)."""
    if not known:
        return [receive_finding("tls-unknown", lang)]
    if not tls:
        return [receive_finding("tls-not-used", lang)]
    version = str(tls.get("version") or "?")
    out = [receive_finding("tls-used", lang, version=version, cipher=tls.get("cipher") or "?")]
    if version in OUTDATED_TLS:
        out.append(receive_finding("tls-outdated", lang, version=version))
    return out


def check_anomalies(anomalies: Sequence[Mapping[str, str]], lang: str) -> list[Finding]:
    """One finding per kind of protocol mistake the capture server recorded."""
    out: list[Finding] = []
    seen: set[str] = set()
    for anomaly in anomalies:
        kind = str(anomaly.get("kind", ""))
        if not kind or kind in seen or kind in _NOT_THE_CLIENT:
            continue
        seen.add(kind)
        meaning = receive_word("anomaly", kind, lang)
        if meaning == kind:
            meaning = receive_word("anomaly", "other", lang, kind=kind)
        fix_key = (
            "pipelining"
            if kind in _PIPELINING
            else ("line_endings" if kind in _LINE_ENDINGS else "default")
        )
        out.append(
            receive_finding(
                "smtp-anomaly",
                lang,
                texts={"meaning": meaning, "fix": receive_word("anomaly_fix", fix_key, lang)},
                detail=anomaly.get("detail", ""),
            )
        )
        if len(out) >= MAX_ANOMALY_FINDINGS:
            break
    return out
