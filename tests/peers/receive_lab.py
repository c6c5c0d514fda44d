"""The `smtpcheck receive` lab: the DNS truth planted for the sender-grading tests, a
DKIM key pair to sign with, a blocklist zone file, and messages built to order.

Addresses (all on loopback; the tests bind them as the sending side):

| address     | PTR                          | forward-confirmed | blocklisted |
|-------------|------------------------------|-------------------|-------------|
| 127.0.9.1   | mail.sender.test             | yes               | no          |
| 127.0.9.2   | host-127-0-9-2.dyn.isp.test  | no (no A record)  | yes (bl)    |
| 127.0.9.3   | (none)                       | -                 | no          |

Domains: sender.test (SPF ip4:127.0.9.1 -all, DMARC p=reject, DKIM selector sel1),
soft.test (SPF ~all without 127.0.9.1, DMARC p=quarantine), nospf.test (nothing),
brand.test (DMARC p=reject, SPF -all: mail in its name from sender.test is unaligned),
spammy.test (listed on the domain blocklist dbl.lab.test).
"""

from __future__ import annotations

import base64
import textwrap
from dataclasses import dataclass
from email.utils import formatdate, make_msgid
from pathlib import Path

GOOD_IP = "127.0.9.1"
DYNAMIC_IP = "127.0.9.2"
NO_PTR_IP = "127.0.9.3"
GOOD_HELO = "mail.sender.test"
SELECTOR = "sel1"
IP_ZONE = "bl.lab.test"
DOMAIN_ZONE = "dbl.lab.test"


@dataclass(frozen=True)
class DkimKey:
    private_pem: bytes  # PKCS#1, as dkimpy signs with
    public_b64: str

    def record(self) -> str:
        return f"v=DKIM1; k=rsa; p={self.public_b64}"


def make_dkim_key(bits: int = 2048) -> DkimKey:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return DkimKey(private, base64.b64encode(public).decode())


def _txt(name: str, text: str) -> str:
    """A dnsmasq TXT option; long texts split into 255-byte character-strings."""
    parts = textwrap.wrap(text, 250, break_long_words=True, break_on_hyphens=False) or [""]
    assert not any("," in part for part in parts)
    return f"--txt-record={name}," + ",".join(parts)  # dnsmasq keeps quotes literally


def lab_records(key: DkimKey) -> tuple[str, ...]:
    record = key.record().replace(";", ";")
    return (
        f"--host-record={GOOD_HELO},{GOOD_IP}",
        "--ptr-record=2.9.0.127.in-addr.arpa,host-127-0-9-2.dyn.isp.test",
        _txt("sender.test", "v=spf1 ip4:127.0.9.1 -all"),
        _txt("_dmarc.sender.test", "v=DMARC1; p=reject; rua=mailto:dmarc@sender.test"),
        _txt(f"{SELECTOR}._domainkey.sender.test", record),
        _txt("soft.test", "v=spf1 ip4:127.0.9.9 ~all"),
        _txt("_dmarc.soft.test", "v=DMARC1; p=quarantine"),
        _txt("brand.test", "v=spf1 -all"),
        _txt("_dmarc.brand.test", "v=DMARC1; p=reject"),
        # the blocklists: 127.0.9.2 listed (code 127.0.0.2, with a reason), spammy.test too
        f"--address=/2.9.0.127.{IP_ZONE}/127.0.0.2",
        _txt(f"2.9.0.127.{IP_ZONE}", "Listed in the lab: see https://bl.lab.test/lookup"),
        f"--address=/spammy.test.{DOMAIN_ZONE}/127.0.1.2",
        # the domains the messages name, so that their lookups are answered (not refused)
        "--host-record=sender.test,127.0.9.50",
    )


ZONES_FILE = f"""\
[[zone]]
name = "{IP_ZONE}"
operator = "Lab IP list"
kind = "ip"
delist = "https://bl.lab.test/removal"
codes = {{ "127.0.0.2" = "spamhaus_sbl" }}

[[zone]]
name = "{DOMAIN_ZONE}"
operator = "Lab domain list"
kind = "domain"
codes = {{ "127.0.1.2" = "domain_spam" }}
"""


def write_zones(folder: Path) -> Path:
    path = folder / "zones.toml"
    path.write_text(ZONES_FILE, encoding="utf-8")
    return path


def build_message(
    *,
    sender: str = "alice@sender.test",
    to: str = "bob@receive.test",
    subject: str = "lab message",
    body: str = "Hello Bob,\r\nthe quarterly figures are attached to the wiki page.\r\n",
    date: bool = True,
    message_id: bool = True,
    extra: tuple[tuple[str, str], ...] = (),
) -> bytes:
    headers = [("From", f"Alice <{sender}>"), ("To", to), ("Subject", subject)]
    if date:
        headers.append(("Date", formatdate(localtime=True)))
    if message_id:
        headers.append(("Message-ID", make_msgid(domain=sender.rpartition("@")[2])))
    headers += [("MIME-Version", "1.0"), ("Content-Type", "text/plain; charset=utf-8"), *extra]
    head = "".join(f"{name}: {value}\r\n" for name, value in headers)
    return (head + "\r\n" + body).encode()


def dkim_sign(
    message: bytes,
    key: DkimKey,
    *,
    domain: str = "sender.test",
    selector: str = SELECTOR,
    include: tuple[str, ...] = ("from", "to", "subject", "date", "message-id"),
    length: bool = False,
) -> bytes:
    import dkim

    present = {
        line.split(b":")[0].strip().lower().decode()
        for line in message.split(b"\r\n\r\n")[0].split(b"\r\n")
    }
    headers = [h.encode() for h in include if h in present or h == "from"]
    signature = dkim.sign(
        message,
        selector.encode(),
        domain.encode(),
        key.private_pem,
        include_headers=headers,
        canonicalize=(b"relaxed", b"relaxed"),
        length=length,
    )
    return signature + message
