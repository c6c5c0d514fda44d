"""The lab answers what the tests rely on (a broken lab must fail here, first)."""

from __future__ import annotations

from peers.dnsmasq import Dnsmasq
from peers.receive_lab import DkimKey


def dig(server: Dnsmasq, name: str, rdtype: str) -> str:
    import dns.message
    import dns.query

    response = dns.query.udp(
        dns.message.make_query(name, rdtype), server.host, port=server.port, timeout=3
    )
    return " ".join(rrset.to_text() for rrset in response.answer)


def test_lab_serves_key_spf_ptr_and_listing(lab_dns: Dnsmasq, dkim_key: DkimKey) -> None:
    key = dig(lab_dns, "sel1._domainkey.sender.test.", "TXT")
    assert f'"v=DKIM1; k=rsa; p={dkim_key.public_b64[:40]}' in key
    assert dig(lab_dns, "sender.test.", "TXT").endswith(' TXT "v=spf1 ip4:127.0.9.1 -all"')
    assert "mail.sender.test" in dig(lab_dns, "1.9.0.127.in-addr.arpa.", "PTR")
    assert "127.0.0.2" in dig(lab_dns, "2.9.0.127.bl.lab.test.", "A")
    assert dig(lab_dns, "1.9.0.127.bl.lab.test.", "A") == ""
