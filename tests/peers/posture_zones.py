"""The posture lab's DNS data: a signed `test.` zone (the lab's trust anchor) delegating
to `good.test` (signed, the clean domain that must get no false finding), `faults.test`
(signed: one planted fault per subdomain), `unsigned.test` (a delegation without DS:
insecure) and `bogus.test` (signed, but its DS in `test.` matches no key: bogus).

`LabKeys` carries what the zones quote from keys made at run time: the SPKI digest of
the Postfix certificate (TLSA), DKIM public keys. Addresses stay on loopback;
`HTTPS_IP` is where the nginx peer serves the MTA-STS policies.
"""

from __future__ import annotations

from dataclasses import dataclass

HTTPS_IP = "127.0.8.1"
ANCHOR = "test"
SIGNED_CHILDREN = ("good.test", "faults.test", "bogus.test")
UNSIGNED_CHILDREN = ("unsigned.test",)
#: the zone whose DS is copied under bogus.test's name (so no key of bogus.test matches)
BOGUS_DS_FROM = "good.test"
SOA = "@ SOA ns.test. hostmaster.test. 1 3600 900 604800 300\n@ NS ns.test.\n"


@dataclass(frozen=True)
class LabKeys:
    postfix_spki_sha256: str  # hex, the Postfix certificate's public key (TLSA 3 1 1)
    standby_spki_sha256: str  # hex, a key not in use (rollover record, "no match" cases)
    dkim_2048: str  # base64 SubjectPublicKeyInfo
    dkim_1024: str
    dkim_512: str
    dkim_ed25519: str  # base64 of the raw 32-byte key


def txt(value: str) -> str:
    """A TXT value in zone-file syntax, split into 255-byte character-strings."""
    chunks = [value[i : i + 255] for i in range(0, len(value), 255)] or [""]
    return " ".join('"' + chunk.replace('"', '\\"') + '"' for chunk in chunks)


def anchor_zone() -> str:
    lines = [f"$ORIGIN {ANCHOR}.", "$TTL 300", SOA.strip(), "ns A 127.0.0.1"]
    for child in (*SIGNED_CHILDREN, *UNSIGNED_CHILDREN):
        lines.append(f"{child.split('.')[0]} NS ns.test.")
    return "\n".join(lines) + "\n"


def good_zone(keys: LabKeys) -> str:
    return f"""$ORIGIN good.test.
$TTL 300
{SOA}@ MX 10 mx.good.test.
mx A 127.0.0.1
mx AAAA ::1
@ TXT {txt("v=spf1 ip4:127.0.0.0/8 ip6:::1 -all")}
_dmarc TXT {txt("v=DMARC1; p=reject; rua=mailto:dmarc@good.test")}
selector1._domainkey TXT {txt("v=DKIM1; k=rsa; p=" + keys.dkim_2048)}
_mta-sts TXT {txt("v=STSv1; id=20260101T000000")}
mta-sts A {HTTPS_IP}
_smtp._tls TXT {txt("v=TLSRPTv1; rua=mailto:tlsrpt@good.test")}
_25._tcp.mx TLSA 3 1 1 {keys.postfix_spki_sha256}
_25._tcp.mx TLSA 3 1 1 {keys.standby_spki_sha256}
@ CAA 0 issue "ca.test"
www CNAME host.unsigned.test.
sub A 127.0.0.1
sub MX 10 mx.good.test.
dmarcext.faults.test._report._dmarc TXT {txt("v=DMARC1")}
"""


def unsigned_zone(keys: LabKeys) -> str:
    return f"""$ORIGIN unsigned.test.
$TTL 300
{SOA}@ MX 10 mx.unsigned.test.
mx A 127.0.0.1
host A 127.0.0.1
@ TXT {txt("v=spf1 -all")}
_25._tcp.mx TLSA 3 1 1 {keys.postfix_spki_sha256}
"""


def bogus_zone(keys: LabKeys) -> str:
    return f"""$ORIGIN bogus.test.
$TTL 300
{SOA}@ MX 10 mx.bogus.test.
mx A 127.0.0.1
_25._tcp.mx TLSA 3 1 1 {keys.postfix_spki_sha256}
"""


#: faults.test: subdomain -> its records (owner names relative to faults.test)
def _fault_records(keys: LabKeys) -> list[str]:
    records: list[str] = []

    def add(owner: str, kind: str, value: str) -> None:
        records.append(f"{owner} {kind} {value}")

    # SPF
    add("plusall", "TXT", txt("v=spf1 +all"))
    add("neutral", "TXT", txt("v=spf1 ?all"))
    add("softfail", "TXT", txt("v=spf1 ip4:127.0.0.1 ~all"))
    add("noall", "TXT", txt("v=spf1 ip4:127.0.0.1"))
    add("twospf", "TXT", txt("v=spf1 -all"))
    add("twospf", "TXT", txt("v=spf1 ip4:127.0.0.1 -all"))
    add("badspf", "TXT", txt("v=spf1 ip4:999.1.1.1 foo -all"))
    includes = " ".join(f"include:l{i}.faults.test" for i in range(1, 7))
    add("manylookups", "TXT", txt(f"v=spf1 {includes} -all"))
    for i in range(1, 7):
        add(f"l{i}", "TXT", txt("v=spf1 a -all"))
        add(f"l{i}", "A", f"127.0.3.{i}")
    add("void", "TXT", txt("v=spf1 a:nx1.faults.test a:nx2.faults.test a:nx3.faults.test -all"))
    add("inclmissing", "TXT", txt("v=spf1 include:nospf.faults.test -all"))
    add("nospf", "A", "127.0.0.1")
    add("loop", "TXT", txt("v=spf1 include:loop2.faults.test -all"))
    add("loop2", "TXT", txt("v=spf1 include:loop.faults.test -all"))
    add("ptr", "TXT", txt("v=spf1 ptr -all"))
    add("macro", "TXT", txt("v=spf1 exists:%{ir}._spf.faults.test -all"))
    add("1.0.0.127._spf", "A", "127.0.0.2")
    add("redirect", "TXT", txt("v=spf1 redirect=softfail.faults.test"))
    add("mxmany", "TXT", txt("v=spf1 mx -all"))
    for i in range(11):
        add("mxmany", "MX", f"{10 + i} m{i}.mxmany.faults.test.")
    ranges = " ".join(f"ip4:127.0.{i}.0/24" for i in range(40))
    add("longspf", "TXT", txt(f"v=spf1 {ranges} -all"))
    # DMARC
    add("_dmarc.dmarcnone", "TXT", txt("v=DMARC1; p=none"))
    add("_dmarc.dmarcbad", "TXT", txt("v=DMARC1; p=maybe"))
    add("_dmarc.dmarctwo", "TXT", txt("v=DMARC1; p=reject"))
    add("_dmarc.dmarctwo", "TXT", txt("v=DMARC1; p=none"))
    add("_dmarc.dmarcpct", "TXT", txt("v=DMARC1; p=quarantine; pct=50; rua=mailto:d@faults.test"))
    add(
        "_dmarc.dmarcsp",
        "TXT",
        txt("v=DMARC1; p=reject; sp=none; np=quarantine; rua=mailto:d@faults.test"),
    )
    add(
        "_dmarc.dmarcext",
        "TXT",
        txt("v=DMARC1; p=reject; rua=mailto:d@good.test,mailto:x@unsigned.test"),
    )
    add(
        "_dmarc.dmarctesting",
        "TXT",
        txt("v=DMARC1; p=reject; t=y; adkim=s; foo=bar; rua=mailto:d@faults.test"),
    )
    add("_dmarc.dmarcuri", "TXT", txt("v=DMARC1; p=reject; rua=dmarc@faults.test"))
    # DKIM (selectors under dkim.faults.test)
    add("weak._domainkey.dkim", "TXT", txt("v=DKIM1; k=rsa; p=" + keys.dkim_1024))
    add("tiny._domainkey.dkim", "TXT", txt("v=DKIM1; k=rsa; p=" + keys.dkim_512))
    add("revoked._domainkey.dkim", "TXT", txt("v=DKIM1; k=rsa; p="))
    add("testing._domainkey.dkim", "TXT", txt("v=DKIM1; k=rsa; t=y; p=" + keys.dkim_2048))
    add("ed._domainkey.dkim", "TXT", txt("v=DKIM1; k=ed25519; p=" + keys.dkim_ed25519))
    add("sha1._domainkey.dkim", "TXT", txt("v=DKIM1; h=sha1; k=rsa; p=" + keys.dkim_2048))
    add("garbage._domainkey.dkim", "TXT", txt("v=DKIM1; k=rsa; p=notbase64!!"))
    add("custom._domainkey.dkimcustom", "TXT", txt("v=DKIM1; k=rsa; p=" + keys.dkim_2048))
    # MTA-STS (policies served by nginx at HTTPS_IP; see peers/nginx.py)
    for name in (
        "ststesting", "stsmiss", "stsuntrusted", "stsnofile", "stsredirect", "stsbadpolicy",
        "stsshort", "stsbig",
    ):  # fmt: skip
        add(f"_mta-sts.{name}", "TXT", txt("v=STSv1; id=1"))
        add(f"mta-sts.{name}", "A", HTTPS_IP)
        add(name, "MX", f"10 mx.{name}.faults.test.")
        add(f"mx.{name}", "A", "127.0.0.1")
    add("_mta-sts.stsbadtxt", "TXT", txt("v=STSv1; id=bad-id!"))
    add("_mta-sts.stsnoaddr", "TXT", txt("v=STSv1; id=2"))
    add("_mta-sts.ststwo", "TXT", txt("v=STSv1; id=3"))
    add("_mta-sts.ststwo", "TXT", txt("v=STSv1; id=4"))
    # TLS-RPT
    add("_smtp._tls.tlsrptbad", "TXT", txt("v=TLSRPTv1; rua=ftp://reports.faults.test"))
    add("_smtp._tls.tlsrpttwo", "TXT", txt("v=TLSRPTv1; rua=mailto:a@faults.test"))
    add("_smtp._tls.tlsrpttwo", "TXT", txt("v=TLSRPTv1; rua=mailto:b@faults.test"))
    add("_smtp._tls.tlsrptsyntax", "TXT", txt("v=TLSRPTv1"))
    # CAA
    add("mx.caabad", "A", "127.0.0.1")
    add("mx.caabad", "CAA", '128 tbs "unknown"')
    # DANE
    postfix, standby = keys.postfix_spki_sha256, keys.standby_spki_sha256
    add("_25._tcp.mx.danenomatch", "TLSA", f"3 1 1 {standby}")
    add("_25._tcp.mx.daneunusable", "TLSA", f"1 1 1 {postfix}")
    add("_25._tcp.mx.daneunusable", "TLSA", f"3 1 1 {postfix}")
    add("_25._tcp.mx.danemalformed", "TLSA", "3 1 1 abcd")
    for name in ("danenomatch", "daneunusable", "danemalformed"):
        add(f"mx.{name}", "A", "127.0.0.1")
    # null MX
    add("nullmxok", "MX", "0 .")
    add("nullmxok", "TXT", txt("v=spf1 -all"))
    add("_dmarc.nullmxok", "TXT", txt("v=DMARC1; p=reject"))
    add("nullmxbad", "MX", "0 .")
    add("nullmxbad", "TXT", txt("v=spf1 mx ~all"))
    return records


def faults_zone(keys: LabKeys) -> str:
    body = "\n".join(_fault_records(keys))
    return f"$ORIGIN faults.test.\n$TTL 300\n{SOA}{body}\n"


def zones(keys: LabKeys) -> dict[str, str]:
    """Zone name -> zone file text (DS records for the children are added at start-up)."""
    return {
        ANCHOR: anchor_zone(),
        "good.test": good_zone(keys),
        "faults.test": faults_zone(keys),
        "unsigned.test": unsigned_zone(keys),
        "bogus.test": bogus_zone(keys),
    }
