"""CONNECT rules act at connect time, seen from the client side."""

from __future__ import annotations

import smtplib

import pytest

from smtpcheck.sink.rules import Rule, RuleSet, parse_shorthand


def test_connect_reply_rule_replaces_the_banner_and_closes(make_sink, raw) -> None:
    sink = make_sink(rules=RuleSet(rules=[parse_shorthand("reply", "CONNECT=554 5.7.1 Go away")]))
    client = raw(sink.port)
    assert client.reply() == (554, ["554 5.7.1 Go away"])
    assert client.closed_by_peer()


def test_connect_rule_matches_the_client_address(make_sink) -> None:
    rule = parse_shorthand("reply", "CONNECT:192.0.2.*=554 5.7.1 Not you")
    sink = make_sink(rules=RuleSet(rules=[rule]))
    with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as client:
        assert client.noop()[0] == 250  # 127.0.0.1 does not match: the normal banner


def test_connect_disconnect_rule_hangs_up_without_a_banner(make_sink) -> None:
    sink = make_sink(rules=RuleSet(rules=[parse_shorthand("disconnect", "CONNECT")]))
    with pytest.raises(smtplib.SMTPServerDisconnected):
        smtplib.SMTP("127.0.0.1", sink.port, timeout=10)


def test_connect_delay_and_tarpit_still_greet(make_sink, raw) -> None:
    for rule in (
        Rule(command="CONNECT", delay=0.2),
        Rule(command="CONNECT", action="tarpit", interval=0.001),
    ):
        sink = make_sink(rules=RuleSet(rules=[rule]))
        client = raw(sink.port)
        code, lines = client.reply()
        assert code == 220 and "smtpcheck sink" in lines[0]
        assert client.cmd("EHLO c.test")[0] == 250


def test_connect_rule_times_applies_only_to_the_first_connections(make_sink, raw) -> None:
    rule = Rule(command="CONNECT", reply=(421, ["4.7.0 Busy, come back later"]), times=1)
    sink = make_sink(rules=RuleSet(rules=[rule]))
    first = raw(sink.port)
    assert first.reply()[0] == 421
    assert first.closed_by_peer()
    assert raw(sink.port).reply()[0] == 220
