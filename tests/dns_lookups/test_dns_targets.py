"""The (host, ip, preference) list `send` connects to (mail_targets, targets_from_result)."""

from __future__ import annotations

import asyncio
import random

import dns.asyncresolver
import pytest

from peers.dnsmasq import Dnsmasq
from smtpcheck.dns.mx import mail_targets, targets_from_result
from smtpcheck.dns.mx_model import MailTarget, MxHost, MxResult, MxStatus, NoMailTargetsError
from smtpcheck.dns.resolver import DnsConfigError, Lookup, LookupStatus
from smtpcheck.knowledge.dns import explain_dns_error


def targets(
    resolver: dns.asyncresolver.Resolver, domain: str, **options: object
) -> list[MailTarget]:
    return asyncio.run(mail_targets(domain, resolver, 3.0, **options))  # type: ignore[arg-type]


def test_targets_in_preference_order_ipv4_first(resolver: dns.asyncresolver.Resolver) -> None:
    found = targets(resolver, "example.test")
    assert found[0] == MailTarget("mx1.example.test", "127.0.0.11", 10)
    # ::1 is reached through mx1 first, so mx2b (same ::1) adds nothing new.
    assert found[1] == MailTarget("mx1.example.test", "::1", 10)
    assert [t.preference for t in found] == sorted(t.preference for t in found)
    assert found[-1] == MailTarget("mx3.example.test", "127.0.0.31", 30)
    assert [ip for _, ip, _ in found].count("::1") == 1
    host, ip, preference = found[0]  # plain tuples for callers that unpack
    assert (host, ip, preference) == ("mx1.example.test", "127.0.0.11", 10)


def test_prefer_ipv6_and_family_filter(resolver: dns.asyncresolver.Resolver) -> None:
    assert targets(resolver, "example.test", prefer=6)[0].ip == "::1"
    only4 = targets(resolver, "example.test", family=4)
    assert [t.ip for t in only4] == ["127.0.0.11", "127.0.0.21", "127.0.0.31"]
    only6 = targets(resolver, "example.test", family=6)
    assert only6 == [MailTarget("mx1.example.test", "::1", 10)]


def test_shared_addresses_are_tried_once(resolver: dns.asyncresolver.Resolver) -> None:
    assert targets(resolver, "shared.test") == [
        MailTarget("a.shared.test", "127.0.0.41", 10),
        MailTarget("b.shared.test", "127.0.0.42", 20),
    ]


def test_implicit_mx_target(resolver: dns.asyncresolver.Resolver) -> None:
    assert targets(resolver, "kate@implicit.test") == [MailTarget("implicit.test", "127.0.0.5", 0)]


@pytest.mark.parametrize(
    ("domain", "status", "words"),
    [
        ("nullmx.test", MxStatus.NULL_MX, "accepts no mail"),
        ("nosuch.test", MxStatus.NXDOMAIN, "does not exist"),
        ("txtonly.test", MxStatus.NO_MAIL_RECORDS, "no MX, A or AAAA"),
        ("dangling.test", MxStatus.MX, "no mail host of dangling.test has an address"),
    ],
)
def test_no_targets_raise_with_the_reason(
    resolver: dns.asyncresolver.Resolver, domain: str, status: MxStatus, words: str
) -> None:
    with pytest.raises(NoMailTargetsError) as caught:
        targets(resolver, domain)
    assert caught.value.result.status is status
    assert words in explain_dns_error(caught.value.code, "en", **caught.value.facts)


def test_family_filter_can_leave_nothing(resolver: dns.asyncresolver.Resolver) -> None:
    with pytest.raises(NoMailTargetsError) as caught:
        targets(resolver, "v6only.test", family=4)
    reason = explain_dns_error(caught.value.code, "en", **caught.value.facts)
    assert reason == (
        "cannot deliver to v6only.test: no mail host of v6only.test has an IPv4 address"
    )
    italian = explain_dns_error(caught.value.code, "it", **caught.value.facts)
    assert "IPv4" in italian and "v6only.test" in italian and "cannot" not in italian


def test_dns_spec_string_builds_its_own_resolver(dnsmasq: Dnsmasq) -> None:
    # The form scenarios/send/targets.py uses: no resolver, a --dns string.
    found = asyncio.run(mail_targets("kate@example.test", dns=dnsmasq.server, timeout=3.0))
    assert found[0] == ("mx1.example.test", "127.0.0.11", 10)
    with pytest.raises(DnsConfigError):
        asyncio.run(mail_targets("example.test", dns="not-an-ip"))


def _host(name: str, preference: int, ip: str) -> MxHost:
    return MxHost(
        preference=preference,
        exchange=name,
        ipv4=Lookup(name + ".", "A", LookupStatus.OK, (ip,), 60),
        ipv6=Lookup(name + ".", "AAAA", LookupStatus.NODATA),
    )


def test_shuffle_only_reorders_equal_preferences() -> None:
    preferences = [10, 10, 10, 10, 10, 10, 20, 30]
    hosts = tuple(_host(f"h{i}.test", pref, f"127.0.1.{i}") for i, pref in enumerate(preferences))
    result = MxResult(
        domain="d.test",
        display_domain="d.test",
        status=MxStatus.MX,
        mx_lookup=Lookup("d.test.", "MX", LookupStatus.OK),
        hosts=hosts,
    )
    plain = targets_from_result(result)
    assert [t.host for t in plain] == [h.exchange for h in hosts]
    orders = {
        tuple(t.host for t in targets_from_result(result, shuffle=True, rng=random.Random(seed)))
        for seed in range(20)
    }
    assert len(orders) > 1
    for order in orders:
        assert set(order[:6]) == {f"h{i}.test" for i in range(6)}
        assert order[6:] == ("h6.test", "h7.test")
