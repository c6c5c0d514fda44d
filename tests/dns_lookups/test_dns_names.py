"""What the user types -> the domain we look up (smtpcheck.dns.names)."""

from __future__ import annotations

import pytest

from smtpcheck.dns.names import InvalidDomainError, parse_domain
from smtpcheck.knowledge.dns import explain_dns_error, explain_dns_input_error


@pytest.mark.parametrize(
    ("typed", "ascii_form", "display"),
    [
        ("fabrikam.com", "fabrikam.com", "fabrikam.com"),
        ("Fabrikam.COM.", "fabrikam.com", "fabrikam.com"),  # case and the trailing dot
        ("kate@fabrikam.com", "fabrikam.com", "fabrikam.com"),
        ("<kate@fabrikam.com>", "fabrikam.com", "fabrikam.com"),
        ("  kate@fabrikam.com  ", "fabrikam.com", "fabrikam.com"),
        ('"odd@local"@fabrikam.com', "fabrikam.com", "fabrikam.com"),  # last '@' wins
        ("bücher.example", "xn--bcher-kva.example", "bücher.example"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example", "bücher.example"),
        ("jöran@bücher.example.", "xn--bcher-kva.example", "bücher.example"),
        ("_dmarc.example.test", "_dmarc.example.test", "_dmarc.example.test"),
        ("localhost", "localhost", "localhost"),
    ],
)
def test_accepted_inputs(typed: str, ascii_form: str, display: str) -> None:
    name = parse_domain(typed)
    assert (name.ascii, name.display) == (ascii_form, display)
    assert name.to_dns().is_absolute()
    assert name.to_dns().to_text() == ascii_form + "."


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("kate@", "empty"),
        ("@fabrikam.com", "nothing before '@'"),
        (".", "root"),
        ("foo bar.com", "space"),
        ("foo\tbar.com", "space"),
        ("a..b", "empty label"),
        ("example.com..", "empty label"),
        ("192.0.2.1", "IP address"),
        ("[192.0.2.1]", "IP address"),
        ("kate@[192.0.2.1]", "IP address"),
        ("2001:db8::1", "IP address"),
        ("-bad.example", "hyphen"),
        ("bad-.example", "hyphen"),
        ("foo!.example", "letters, digits and hyphens"),
        ("x" * 64 + ".example", "too long"),
        (".".join(["abcdefghi"] * 30), "too long"),
        ("☃.example", "IDNA"),
    ],
)
def test_rejected_inputs_have_a_one_line_reason(typed: str, reason: str) -> None:
    with pytest.raises(InvalidDomainError) as caught:
        parse_domain(typed)
    message = explain_dns_error(caught.value.code, "en", **caught.value.facts)
    assert reason in message
    assert "\n" not in message
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("typed", "code", "facts"),
    [
        ("", "empty", {"text": ""}),
        ("@fabrikam.com", "nothing_before_at", {"text": "@fabrikam.com"}),
        ("a..b", "empty_label", {"text": "a..b"}),
        ("192.0.2.1", "ip_address", {"text": "192.0.2.1"}),
        ("foo!.example", "label_characters", {"text": "foo!.example", "label": "foo!"}),
    ],
)
def test_rejections_carry_a_code_and_facts(typed: str, code: str, facts: dict[str, str]) -> None:
    with pytest.raises(InvalidDomainError) as caught:
        parse_domain(typed)
    assert (caught.value.code, caught.value.facts) == (code, facts)
    assert explain_dns_error(code, "en", **facts) == explain_dns_input_error(code, "en", **facts)
    italian = explain_dns_input_error(code, "it", **facts)
    assert "non valido" in italian
    assert repr(typed) in italian
