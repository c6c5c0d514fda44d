"""Single lookups and their typed outcomes (smtpcheck.dns.resolver), on loopback only."""

from __future__ import annotations

import asyncio
import time

import dns.asyncresolver
import dns.edns
import dns.flags
import dns.rcode
import pytest

from peers.dnsmasq import (
    RECORD_TTL,
    Dnsmasq,
    ScriptedDns,
    rcode_handler,
    silent_handler,
    validating_handler,
)
from peers.process import ipv6_loopback_usable
from smtpcheck.dns.resolver import (
    DnsConfigError,
    DnsServer,
    Lookup,
    LookupStatus,
    lookup,
    make_resolver,
    reverse_lookup,
)
from smtpcheck.knowledge.dns import (
    explain_dns_error,
    explain_dns_input_error,
    explain_lookup_status,
)


@pytest.mark.parametrize(
    ("spec", "ip", "port", "shown"),
    [
        ("127.0.0.1", "127.0.0.1", 53, "127.0.0.1"),
        ("127.0.0.1:5353", "127.0.0.1", 5353, "127.0.0.1:5353"),
        (" 127.0.0.1:53 ", "127.0.0.1", 53, "127.0.0.1"),
        ("::1", "::1", 53, "::1"),
        ("[::1]", "::1", 53, "::1"),
        ("[::1]:5353", "::1", 5353, "[::1]:5353"),
        ("[0:0::1]:5353", "::1", 5353, "[::1]:5353"),
        ("2001:db8::53", "2001:db8::53", 53, "2001:db8::53"),
    ],
)
def test_dns_server_parse(spec: str, ip: str, port: int, shown: str) -> None:
    server = DnsServer.parse(spec)
    assert (server.ip, server.port, str(server)) == (ip, port, shown)


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("", "expected an IP address"),
        ("dns.google", "expected an IP address"),
        ("127.0.0.1:", "empty port"),
        ("127.0.0.1:0", "port must be 1-65535"),
        ("127.0.0.1:65536", "port must be 1-65535"),
        ("127.0.0.1:fifty", "port must be 1-65535"),
        ("[::1", "missing ']'"),
        ("[::1]5353", "expected ':port'"),
        ("[::1]:", "empty port"),
        ("[127.0.0.1.5]:53", "expected an IP address"),
    ],
)
def test_dns_server_parse_rejects(spec: str, reason: str) -> None:
    with pytest.raises(DnsConfigError) as caught:
        DnsServer.parse(spec)
    assert reason in explain_dns_error(caught.value.code, "en", **caught.value.facts)


def test_resolver_for_a_server_ignores_the_system_configuration() -> None:
    resolver = make_resolver(DnsServer.parse("[::1]:5353"), timeout=2.5)
    assert resolver.nameservers == ["::1"]
    assert resolver.port == 5353
    assert resolver.search == []
    assert resolver.cache is None
    assert (resolver.timeout, resolver.lifetime) == (2.5, 2.5)
    assert resolver.edns == 0
    assert resolver.ednsflags & dns.flags.DO
    assert resolver.payload == 1232


def test_system_resolver_is_built_with_do_bit_and_no_cache() -> None:
    # Built only: no query is sent, so nothing leaves the machine.
    resolver = make_resolver(None, timeout=1.0)
    assert resolver.nameservers
    assert resolver.ednsflags & dns.flags.DO
    assert resolver.cache is None


def ask(
    resolver: dns.asyncresolver.Resolver, name: str, rdtype: str, timeout: float = 3.0
) -> Lookup:
    return asyncio.run(lookup(resolver, name, rdtype, timeout=timeout))


def test_ok_answer_has_records_ttl_and_no_ad(resolver: dns.asyncresolver.Resolver) -> None:
    found = ask(resolver, "mx1.example.test", "A")
    assert found.status is LookupStatus.OK
    assert found.records == ("127.0.0.11",)
    assert found.ttl == RECORD_TTL
    assert found.authenticated is False  # dnsmasq does not validate here
    assert found.canonical_name is None
    assert found.name == "mx1.example.test."
    assert explain_lookup_status(found.status, "en") == "answer received"


def test_nxdomain(resolver: dns.asyncresolver.Resolver) -> None:
    found = ask(resolver, "nosuch.test", "MX")
    assert found.status is LookupStatus.NXDOMAIN
    assert found.records == ()
    assert not found.status.is_failure
    assert "does not exist" in explain_lookup_status(found.status, "en")


def test_nodata_for_a_name_with_only_txt(resolver: dns.asyncresolver.Resolver) -> None:
    assert ask(resolver, "txtonly.test", "TXT").status is LookupStatus.OK
    found = ask(resolver, "txtonly.test", "MX")
    assert found.status is LookupStatus.NODATA
    assert found.records == ()
    assert not found.status.is_failure


def test_cname_is_followed_and_reported(resolver: dns.asyncresolver.Resolver) -> None:
    found = ask(resolver, "alias.cnamemx.test", "A")
    assert found.status is LookupStatus.OK
    assert found.records == ("127.0.0.6",)
    assert found.canonical_name == "real.cnamemx.test."


def test_reverse_lookup(resolver: dns.asyncresolver.Resolver) -> None:
    found = asyncio.run(reverse_lookup("127.0.0.11", resolver, timeout=3.0))
    assert found.status is LookupStatus.OK
    assert found.name == "11.0.0.127.in-addr.arpa."
    assert found.records == ("mx1.example.test.",)
    missing = asyncio.run(reverse_lookup("127.0.0.99", resolver, timeout=3.0))
    assert missing.status is LookupStatus.NXDOMAIN


def test_reverse_lookup_rejects_a_non_address(resolver: dns.asyncresolver.Resolver) -> None:
    with pytest.raises(ValueError, match="not an IP address"):
        asyncio.run(reverse_lookup("mx1.example.test", resolver))


@pytest.mark.parametrize(
    ("rcode", "status"),
    [
        (dns.rcode.SERVFAIL, LookupStatus.SERVFAIL),
        (dns.rcode.REFUSED, LookupStatus.REFUSED),
        (dns.rcode.NOTIMP, LookupStatus.ERROR),
        (dns.rcode.FORMERR, LookupStatus.ERROR),
    ],
)
def test_error_rcodes_are_outcomes_not_exceptions(
    scripted_dns: ScriptedDns, rcode: dns.rcode.Rcode, status: LookupStatus
) -> None:
    server = scripted_dns(rcode_handler(rcode))
    resolver = make_resolver(DnsServer.parse(server.server), timeout=2.0)
    found = ask(resolver, "example.test", "MX", timeout=2.0)
    assert found.status is status
    assert found.status.is_failure
    assert dns.rcode.to_text(rcode) in found.detail
    assert server.server in found.detail


def test_servfail_carries_the_extended_dns_error(scripted_dns: ScriptedDns) -> None:
    server = scripted_dns(rcode_handler(dns.rcode.SERVFAIL, dns.edns.EDECode.DNSSEC_BOGUS))
    resolver = make_resolver(DnsServer.parse(server.server), timeout=2.0)
    found = ask(resolver, "bogus.test", "MX", timeout=2.0)
    assert found.status is LookupStatus.SERVFAIL
    assert "EDE 6 DNSSEC_BOGUS: test peer" in found.detail
    assert "DNSSEC" in explain_lookup_status(found.status, "en")


def test_silent_server_times_out_within_the_deadline(scripted_dns: ScriptedDns) -> None:
    server = scripted_dns(silent_handler)
    resolver = make_resolver(DnsServer.parse(server.server), timeout=0.4)
    started = time.monotonic()
    found = ask(resolver, "example.test", "MX", timeout=0.4)
    elapsed = time.monotonic() - started
    assert found.status is LookupStatus.TIMEOUT
    assert found.detail == "no answer within 0.4 s"
    assert server.queries, "the query must have reached our silent server"
    # A deadline, not a performance figure: generous slack for a loaded machine.
    assert elapsed < 3.0


def test_hard_deadline_holds_even_if_the_resolver_lifetime_is_longer(
    scripted_dns: ScriptedDns,
) -> None:
    server = scripted_dns(silent_handler)
    resolver = make_resolver(DnsServer.parse(server.server), timeout=30.0)
    started = time.monotonic()
    found = ask(resolver, "example.test", "A", timeout=0.3)
    assert found.status is LookupStatus.TIMEOUT
    assert time.monotonic() - started < 3.0


def test_query_sets_do_bit_and_ad_flag_is_reported(scripted_dns: ScriptedDns) -> None:
    server = scripted_dns(validating_handler)
    resolver = make_resolver(DnsServer.parse(server.server), timeout=2.0)
    found = ask(resolver, "signed.test", "MX", timeout=2.0)
    assert found.status is LookupStatus.OK
    assert found.authenticated is True
    assert found.records == ("10 mx.signed.test.",)
    assert found.ttl == 600
    query = server.queries[0]
    assert query.edns == 0
    assert query.ednsflags & dns.flags.DO
    assert query.payload == 1232


def test_ipv6_loopback_server(scripted_dns: ScriptedDns) -> None:
    if not ipv6_loopback_usable():
        pytest.fail("this machine has no ::1; the DNS tests expect an IPv6 loopback")
    server = scripted_dns(validating_handler, host="::1")
    assert server.server.startswith("[::1]:")
    resolver = make_resolver(DnsServer.parse(server.server), timeout=2.0)
    found = ask(resolver, "signed.test", "A", timeout=2.0)
    assert found.records == ("127.0.0.51",)


def test_dnsmasq_fixture_is_ours(dnsmasq: Dnsmasq) -> None:
    assert dnsmasq.host == "127.0.0.1"
    assert dnsmasq.process is not None and dnsmasq.process.poll() is None
    assert "--no-resolv" in dnsmasq.command()


def test_dns_server_rejections_carry_a_code() -> None:
    with pytest.raises(DnsConfigError) as caught:
        DnsServer.parse("127.0.0.1:0")
    assert (caught.value.code, caught.value.facts) == ("server_bad_port", {"text": "127.0.0.1:0"})
    assert explain_dns_input_error(caught.value.code, "it", **caught.value.facts) == (
        "server DNS '127.0.0.1:0' non valido: la porta deve essere compresa tra 1 e 65535"
    )


def test_lookup_meaning_in_english_and_italian(resolver: dns.asyncresolver.Resolver) -> None:
    found = ask(resolver, "txtonly.test", "MX")
    assert explain_lookup_status(found.status, "en") == (
        "the name exists but has no record of this type (NOERROR, no data)"
    )
    assert explain_lookup_status(found.status, "it") == (
        "il nome esiste ma non ha nessun record di questo tipo (NOERROR, nessun dato)"
    )
