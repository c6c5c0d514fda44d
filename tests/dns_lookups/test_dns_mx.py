"""Where a domain's mail goes (smtpcheck.dns.mx), against dnsmasq and scripted servers."""

from __future__ import annotations

import asyncio
import dataclasses
import json

import dns.asyncresolver
import dns.rcode
import pytest

from peers.dnsmasq import (
    RECORD_TTL,
    ScriptedDns,
    mx_then_servfail_handler,
    rcode_handler,
    silent_handler,
    validating_handler,
)
from smtpcheck.dns.mx import resolve_mail_hosts
from smtpcheck.dns.mx_model import Address, MxFinding, MxResult, MxStatus, Severity
from smtpcheck.dns.names import InvalidDomainError
from smtpcheck.dns.resolver import DnsServer, LookupStatus, make_resolver
from smtpcheck.knowledge.dns import explain_mx_finding, explain_mx_status


def mail_hosts(resolver: dns.asyncresolver.Resolver, domain: str) -> MxResult:
    return asyncio.run(resolve_mail_hosts(domain, resolver, 3.0))


def codes(result: MxResult) -> list[str]:
    return [finding.code for finding in result.findings]


def meaning(result: MxResult) -> str:
    """The outcome in English: the dns layer gives codes, knowledge the words."""
    return explain_mx_status(result.status, "en").meaning


def message(finding: MxFinding) -> str:
    return explain_mx_finding(finding.code, "en", **finding.facts).message


def test_mx_set_sorted_by_preference_with_addresses(resolver: dns.asyncresolver.Resolver) -> None:
    result = mail_hosts(resolver, "example.test")
    assert result.status is MxStatus.MX
    assert result.deliverable
    assert [host.preference for host in result.hosts] == [10, 20, 20, 30]
    assert result.hosts[0].exchange == "mx1.example.test"
    assert result.hosts[-1].exchange == "mx3.example.test"
    assert {host.exchange for host in result.hosts[1:3]} == {
        "mx2a.example.test",
        "mx2b.example.test",
    }
    mx1, *_ = result.hosts
    assert mx1.addresses == (
        Address(ip="127.0.0.11", family=4, ttl=RECORD_TTL),
        Address(ip="::1", family=6, ttl=RECORD_TTL),
    )
    by_name = {host.exchange: host for host in result.hosts}
    assert [a.ip for a in by_name["mx2a.example.test"].addresses] == ["127.0.0.21"]
    assert by_name["mx2a.example.test"].ipv6.status is LookupStatus.NODATA
    assert [a.ip for a in by_name["mx2b.example.test"].addresses] == ["::1"]
    assert by_name["mx2b.example.test"].ipv4.status is LookupStatus.NODATA
    assert all(host.ttl == RECORD_TTL for host in result.hosts)
    assert result.mx_lookup.ttl == RECORD_TTL
    assert result.findings == ()
    assert result.authenticated is False
    assert meaning(result).startswith("mail goes to the hosts named by the MX records")


def test_equal_preferences_keep_the_servers_order(resolver: dns.asyncresolver.Resolver) -> None:
    result = mail_hosts(resolver, "example.test")
    served = [record.split()[1].rstrip(".") for record in result.mx_lookup.records]
    served_twenties = [name for name in served if name.startswith("mx2")]
    assert [host.exchange for host in result.hosts if host.preference == 20] == served_twenties
    # Reproducible: the same question gives the same order.
    again = mail_hosts(resolver, "example.test")
    assert [h.exchange for h in again.hosts] == [h.exchange for h in result.hosts]


def test_address_and_trailing_dot_and_case_give_the_same_answer(
    resolver: dns.asyncresolver.Resolver,
) -> None:
    plain = mail_hosts(resolver, "example.test")
    for typed in ("kate@example.test", "EXAMPLE.test.", "<postmaster@Example.Test>"):
        assert mail_hosts(resolver, typed).hosts == plain.hosts


def test_null_mx(resolver: dns.asyncresolver.Resolver) -> None:
    result = mail_hosts(resolver, "nullmx.test")
    assert result.status is MxStatus.NULL_MX
    assert result.mx_lookup.records == ("0 .",)
    assert result.hosts == ()
    assert not result.deliverable
    assert "RFC 7505" in meaning(result)
    assert result.findings == ()


def test_null_mx_mixed_with_other_mx(resolver: dns.asyncresolver.Resolver) -> None:
    result = mail_hosts(resolver, "mixed.test")
    assert result.status is MxStatus.MX
    assert [host.exchange for host in result.hosts] == ["mx1.example.test"]
    assert codes(result) == ["null-mx-mixed"]
    assert result.findings[0].severity is Severity.WARNING
    assert result.findings[0].reference == "RFC 7505 §3"


def test_implicit_mx(resolver: dns.asyncresolver.Resolver) -> None:
    result = mail_hosts(resolver, "implicit.test")
    assert result.status is MxStatus.IMPLICIT_MX
    assert result.mx_lookup.status is LookupStatus.NODATA
    assert result.deliverable
    (host,) = result.hosts
    assert host.implicit and host.preference == 0 and host.ttl is None
    assert host.exchange == "implicit.test"
    assert host.addresses == (Address("127.0.0.5", 4, RECORD_TTL),)
    assert codes(result) == ["implicit-mx"]
    assert result.findings[0].severity is Severity.INFO
    assert "RFC 5321" in meaning(result)


def test_no_mx_and_no_address_is_no_mail(resolver: dns.asyncresolver.Resolver) -> None:
    result = mail_hosts(resolver, "txtonly.test")
    assert result.status is MxStatus.NO_MAIL_RECORDS
    assert result.mx_lookup.status is LookupStatus.NODATA
    assert result.hosts == ()
    assert not result.deliverable
    assert not result.status.is_dns_failure


def test_nxdomain(resolver: dns.asyncresolver.Resolver) -> None:
    result = mail_hosts(resolver, "nosuch.test")
    assert result.status is MxStatus.NXDOMAIN
    assert result.hosts == ()
    assert "does not exist" in meaning(result)
    assert not result.status.is_dns_failure


def test_dangling_mx(resolver: dns.asyncresolver.Resolver) -> None:
    result = mail_hosts(resolver, "dangling.test")
    assert result.status is MxStatus.MX
    assert not result.deliverable
    (host,) = result.hosts
    assert host.ipv4.status is LookupStatus.NXDOMAIN
    assert host.ipv6.status is LookupStatus.NXDOMAIN
    assert codes(result) == ["mx-dangling", "no-usable-host"]
    dangling, unusable = result.findings
    assert dangling.host == "nowhere.dangling.test"
    assert "does not exist" in message(dangling)
    assert unusable.severity is Severity.ERROR


def test_mx_pointing_at_a_cname(resolver: dns.asyncresolver.Resolver) -> None:
    result = mail_hosts(resolver, "cnamemx.test")
    assert result.deliverable  # it works, but it is wrong
    (host,) = result.hosts
    assert host.canonical_name == "real.cnamemx.test."
    assert [a.ip for a in host.addresses] == ["127.0.0.6"]
    assert codes(result) == ["mx-cname"]
    finding = result.findings[0]
    assert finding.host == "alias.cnamemx.test"
    assert "RFC 2181 §10.3" in finding.reference
    assert "real.cnamemx.test" in message(finding)


def test_mx_exchange_written_as_an_ip_address(resolver: dns.asyncresolver.Resolver) -> None:
    # dnsmasq serves "10 192.0.2.1." as-is, so this is the real wire case.
    result = mail_hosts(resolver, "iplit.test")
    assert result.mx_lookup.records == ("10 192.0.2.1.",)
    (host,) = result.hosts
    assert host.exchange == "192.0.2.1"
    assert host.addresses == ()
    # The IP-literal finding replaces "dangling": one cause, one message.
    assert codes(result) == ["mx-ip-literal", "no-usable-host"]
    assert "IP address" in message(result.findings[0])


def test_ipv6_only_host(resolver: dns.asyncresolver.Resolver) -> None:
    result = mail_hosts(resolver, "v6only.test")
    (host,) = result.hosts
    assert [(a.ip, a.family) for a in host.addresses] == [("::1", 6)]
    assert result.deliverable
    assert result.findings == ()


def test_results_are_frozen_and_serialize_to_json(resolver: dns.asyncresolver.Resolver) -> None:
    result = mail_hosts(resolver, "example.test")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.status = MxStatus.NXDOMAIN  # type: ignore[misc]
    document = json.loads(json.dumps(dataclasses.asdict(result)))
    assert document["status"] == "mx"
    assert document["hosts"][0]["ipv4"]["records"] == ["127.0.0.11"]


def test_garbage_is_rejected_before_any_query(resolver: dns.asyncresolver.Resolver) -> None:
    with pytest.raises(InvalidDomainError) as caught:
        mail_hosts(resolver, "example..test")
    assert caught.value.code == "empty_label"


@pytest.mark.parametrize(
    ("rcode", "status"),
    [
        (dns.rcode.SERVFAIL, MxStatus.SERVFAIL),
        (dns.rcode.REFUSED, MxStatus.REFUSED),
        (dns.rcode.NOTIMP, MxStatus.DNS_ERROR),
    ],
)
def test_dns_failures_of_the_mx_lookup(
    scripted_dns: ScriptedDns, rcode: dns.rcode.Rcode, status: MxStatus
) -> None:
    server = scripted_dns(rcode_handler(rcode))
    resolver = make_resolver(DnsServer.parse(server.server), timeout=2.0)
    result = asyncio.run(resolve_mail_hosts("example.test", resolver, 2.0))
    assert result.status is status
    assert result.status.is_dns_failure
    assert not result.deliverable
    assert dns.rcode.to_text(rcode) in result.detail
    assert result.hosts == ()


def test_timeout_of_the_mx_lookup(scripted_dns: ScriptedDns) -> None:
    server = scripted_dns(silent_handler)
    resolver = make_resolver(DnsServer.parse(server.server), timeout=0.3)
    result = asyncio.run(resolve_mail_hosts("example.test", resolver, 0.3))
    assert result.status is MxStatus.TIMEOUT
    assert result.status.is_dns_failure
    assert "0.3 s" in result.detail


def test_address_lookups_that_fail_are_findings(scripted_dns: ScriptedDns) -> None:
    server = scripted_dns(mx_then_servfail_handler)
    resolver = make_resolver(DnsServer.parse(server.server), timeout=2.0)
    result = asyncio.run(resolve_mail_hosts("broken.test", resolver, 2.0))
    assert result.status is MxStatus.MX
    (host,) = result.hosts
    assert host.ipv4.status is LookupStatus.SERVFAIL
    assert host.ipv6.status is LookupStatus.SERVFAIL
    # A failed lookup is not "dangling": we do not know that the name has no address.
    assert codes(result) == ["mx-host-lookup-failed", "mx-host-lookup-failed", "no-usable-host"]
    assert "SERVFAIL" in message(result.findings[0])


def test_ad_flag_from_a_validating_resolver(scripted_dns: ScriptedDns) -> None:
    server = scripted_dns(validating_handler)
    resolver = make_resolver(DnsServer.parse(server.server), timeout=2.0)
    result = asyncio.run(resolve_mail_hosts("signed.test", resolver, 2.0))
    assert result.authenticated is True
    (host,) = result.hosts
    assert host.exchange == "mx.signed.test"
    assert host.ipv4.authenticated is True
    assert result.deliverable


def test_findings_are_codes_and_facts_that_knowledge_puts_in_words(
    resolver: dns.asyncresolver.Resolver,
) -> None:
    dangling, unusable = mail_hosts(resolver, "dangling.test").findings
    assert dangling.facts == {"host": "nowhere.dangling.test", "variant": "nxdomain"}
    assert unusable.facts == {}
    italian = explain_mx_finding(dangling.code, "it", **dangling.facts)
    assert italian.message == (
        "l'host MX nowhere.dangling.test non esiste (NXDOMAIN): questo record MX è inutilizzabile"
    )
    assert "nowhere.dangling.test" in italian.fix
    (cname,) = mail_hosts(resolver, "cnamemx.test").findings
    assert cname.facts == {"host": "alias.cnamemx.test", "target": "real.cnamemx.test"}
    result = mail_hosts(resolver, "nullmx.test")
    assert explain_mx_status(result.status, "it").meaning == (
        "il dominio pubblica un MX nullo: non accetta posta (RFC 7505)"
    )


def test_failed_address_lookup_facts(scripted_dns: ScriptedDns) -> None:
    server = scripted_dns(mx_then_servfail_handler)
    resolver = make_resolver(DnsServer.parse(server.server), timeout=2.0)
    result = asyncio.run(resolve_mail_hosts("broken.test", resolver, 2.0))
    facts = result.findings[0].facts
    assert (facts["host"], facts["rdtype"], facts["status"]) == ("mx.broken.test", "A", "servfail")
    assert "SERVFAIL" in facts["detail"]
