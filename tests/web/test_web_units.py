"""The web layer's pure parts, table-driven: the address policy, the rate limiter, the
language choice, the comparison of two runs, explain's dispatch, a message taken apart."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

from smtpcheck.knowledge.web import pick_web_language, web_text
from smtpcheck.net.errors import SessionError
from smtpcheck.net.session import SmtpSession
from smtpcheck.net.transcript import Transcript
from smtpcheck.web.compare import compare
from smtpcheck.web.explain_view import explain_query
from smtpcheck.web.message_view import part_bytes, view_message
from smtpcheck.web.policy import PolicyError, TargetPolicy, parse_networks, parse_ports
from smtpcheck.web.security import RateLimiter, safe_next

DEFAULT = TargetPolicy()


@pytest.mark.parametrize(
    ("ip", "port", "refusal"),
    [
        ("127.0.0.1", 25, "loopback"),
        ("::1", 25, "loopback"),
        ("10.1.2.3", 25, "private"),
        ("192.168.1.1", 587, "private"),
        ("172.16.0.1", 465, "private"),
        ("100.64.0.1", 25, "non-public"),  # shared address space (carrier-grade NAT)
        ("169.254.169.254", 25, "link-local"),  # the cloud metadata address
        ("fe80::1", 25, "link-local"),
        ("fc00::1", 25, "private"),
        ("224.0.0.1", 25, "multicast"),
        ("0.0.0.0", 25, "unspecified"),
        ("::ffff:127.0.0.1", 25, "loopback"),  # IPv4-mapped
        ("2002:7f00:1::", 25, "loopback"),  # 6to4 around 127.0.0.1
        ("240.0.0.1", 25, "reserved"),
        ("192.0.2.1", 25, "private"),  # documentation range
        ("8.8.8.8", 2525, "port 2525 is not allowed"),
        ("8.8.8.8", 80, "port 80 is not allowed"),
        ("not-an-ip", 25, "not an IP address"),
    ],
)
def test_the_default_policy_refuses(ip: str, port: int, refusal: str) -> None:
    reason = DEFAULT(ip, port)
    assert reason is not None and refusal in reason, reason


@pytest.mark.parametrize(
    ("ip", "port"), [("8.8.8.8", 25), ("1.1.1.1", 465), ("2001:4860:4860::8888", 587)]
)
def test_public_addresses_on_mail_ports_are_allowed(ip: str, port: int) -> None:
    assert DEFAULT(ip, port) is None


def test_allowed_ranges_and_ports_widen_the_policy() -> None:
    policy = TargetPolicy(parse_networks("127.0.0.0/8, ::1"), parse_ports("2525") | {25})
    assert policy("127.0.5.2", 2525) is None
    assert policy("::1", 25) is None
    assert policy("10.0.0.1", 25) is not None
    assert policy("127.0.0.1", 26) is not None
    with pytest.raises(PolicyError, match="CIDR"):
        parse_networks("10.0.0.0/33")
    with pytest.raises(PolicyError, match="port"):
        parse_ports("25,http")


def test_this_hosts_own_addresses_are_refused() -> None:
    # loopback is allowed here as a range, but an address bound to this host is not
    # public: allow only a public range that contains nothing of ours
    assert TargetPolicy(parse_networks("127.0.0.0/8"))("127.0.0.1", 25) is None
    import ipaddress

    from smtpcheck.web.policy import is_own_address

    assert is_own_address(ipaddress.ip_address("127.0.0.1"))
    assert not is_own_address(ipaddress.ip_address("192.0.2.77"))


def test_the_session_asks_the_policy_for_the_address_it_connects_to() -> None:
    """A name is resolved first and the address checked before any connection: a real
    listener on loopback sees nothing."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    port = listener.getsockname()[1]
    asked: list[tuple[str, int]] = []

    guard = TargetPolicy(ports=frozenset({port}))

    def policy(ip: str, port: int) -> str | None:
        asked.append((ip, port))
        return guard(ip, port)

    async def connect() -> SessionError:
        session = SmtpSession(Transcript(), timeout=5, address_policy=policy)
        with pytest.raises(SessionError) as failure:
            await session.connect("localhost", port, family=socket.AF_INET)
        return failure.value

    error = asyncio.run(connect())
    assert error.step == "connect"
    assert "127.0.0.1 is a loopback address" in error.message
    assert asked == [("127.0.0.1", port)]
    with pytest.raises(BlockingIOError):
        listener.accept()
    listener.close()


def test_the_rate_limiter_counts_a_sliding_minute() -> None:
    now = [1000.0]
    limiter = RateLimiter(2, clock=lambda: now[0])
    assert limiter.allow("a") and limiter.allow("a")
    assert not limiter.allow("a")
    assert limiter.allow("b")
    now[0] += 60.5
    assert limiter.allow("a")


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("it-IT,it;q=0.9,en;q=0.8", "it"),
        ("en-GB,it;q=0.5", "en"),
        ("fr-FR,it;q=0.4,en;q=0.3", "it"),
        ("de", "en"),
        ("", "en"),
        ("it;q=0", "en"),
        ("en;q=0.2, it;q=0.8", "it"),
    ],
)
def test_the_browser_language_is_picked_by_weight(header: str, lang: str) -> None:
    assert pick_web_language(header) == lang


def test_every_web_text_exists_in_both_languages() -> None:
    assert web_text("nav.check", "it") == "Verifica"
    assert web_text("live.title", "en", target="x") == "Checking x"
    with pytest.raises(KeyError):
        web_text("nav.nothing", "en")


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("/history?q=x", "/history?q=x"),
        ("//evil.test/", "/"),
        ("https://evil.test", "/"),
        ("/\\evil", "/"),
        ("", "/"),
    ],
)
def test_redirects_after_login_stay_on_this_server(given: str, kept: str) -> None:
    assert safe_next(given) == kept


def _report(findings: list[dict[str, Any]], status: str, code: int = 250) -> dict[str, Any]:
    address = {
        "name": "address",
        "title": "192.0.2.1",
        "status": status,
        "data": {"ip": "192.0.2.1"},
        "reply": None,
        "children": [
            {
                "name": "rcpt",
                "title": "RCPT",
                "status": status,
                "data": {},
                "reply": {"code": code},
                "children": [],
            },
            {
                "name": "capability",
                "title": "SIZE",
                "status": "info",
                "data": {},
                "reply": None,
                "children": [],
            },
        ],
    }
    return {
        "verdict": status,
        "exit_code": 0 if status == "pass" else 4,
        "findings": findings,
        "steps": [
            {
                "name": "mx",
                "title": "MX",
                "status": "pass",
                "data": {},
                "reply": None,
                "children": [address],
            }
        ],
    }


def test_two_runs_compared() -> None:
    refused = {
        "status": "fail",
        "code": "rcpt-refused",
        "subject": "mx [192.0.2.1]",
        "message": "refused",
    }
    relay = {
        "status": "warn",
        "code": "maybe-open-relay",
        "subject": "mx [192.0.2.1]",
        "message": "relay",
    }
    before = _report([refused], "fail", 550)
    after = _report([relay], "pass", 250)
    diff = compare(before, after)
    assert [f["code"] for f in diff.solved_problems] == ["rcpt-refused"]
    assert [f["code"] for f in diff.new_problems] == ["maybe-open-relay"]
    paths = {c["path"]: (c["before"], c["after"]) for c in diff.changed_steps}
    assert paths == {
        "/mx/address@192.0.2.1": ("fail", "pass"),
        "/mx/address@192.0.2.1/rcpt": ("fail 550", "pass 250"),
    }
    assert not diff.same
    assert compare(before, before).same


def test_explain_dispatches_like_the_command() -> None:
    assert explain_query("550", "reply", "en")["kind"] == "reply"
    assert explain_query("4.2.2", "reply", "en")["kind"] == "enhanced"
    text = explain_query("452 4.2.2 Mailbox full", "reply", "it")
    assert text["kind"] == "reply" and text["result"]["lang"] == "it"
    assert explain_query("250 SIZE 1000", "ehlo", "en")["result"]["keyword"] == "SIZE"
    reply = explain_query("250-mx.test\n250 PIPELINING", "ehlo", "en")
    assert reply["kind"] == "ehlo_reply" and len(reply["result"]) == 2
    for bad in ("", "   ", "hello", "700"):
        with pytest.raises(ValueError):
            explain_query(bad, "reply", "en")


def test_a_message_taken_apart() -> None:
    raw = (
        b"Subject: =?utf-8?q?Caff=C3=A8?=\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>hi</p>\r\n"
        b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nplain\r\n"
        b'--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename="a.txt"\r\n'
        b"\r\nattached\r\n--b--\r\n"
    )
    view = view_message(raw)
    assert ("Subject", "Caffè") in view.headers
    assert view.html is not None and "<p>hi</p>" in view.html
    assert view.text is not None and view.text.strip() == "plain"
    assert [(a.filename, a.index) for a in view.attachments] == [("a.txt", 2)]
    assert part_bytes(raw, 2) == ("a.txt", b"attached")
    assert part_bytes(raw, 9) is None
    broken = view_message(b"\xff\xfe no headers at all")
    assert broken.html is None
