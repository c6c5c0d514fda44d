"""Replies are explained with the right specific hint: real Postfix and Exim texts
(from the project's test peers), the failures the seed article names, and Italian."""

from __future__ import annotations

import pytest

from smtpcheck.knowledge.codes import explain_code, explain_enhanced, retry_advice
from smtpcheck.knowledge.explain import explain_reply, explain_text
from smtpcheck.knowledge.hints import explain_connection_failure, normalize_step

# (reply text as received, step, expected hint id, expected vendor pattern or None)
REAL_REPLIES = [
    ("550 5.1.1 <nosuchuser@localhost>: Recipient address rejected: User unknown in local "
     "recipient table", "rcpt", "unknown_recipient", "postfix_user_unknown"),
    ("550 5.1.1 <nobody@example.test>: Recipient address rejected: User unknown in virtual "
     "mailbox table", "rcpt", "unknown_recipient", "postfix_user_unknown"),
    ("501 5.5.2 <bad..host>: Helo command rejected: Invalid name", "ehlo", "invalid_helo",
     "postfix_helo_invalid"),
    ("501 Syntax: EHLO hostname", "ehlo", "invalid_helo", None),
    ("554 5.7.1 <someone@remote.test>: Relay access denied", "rcpt", "relay_denied",
     "postfix_relay_denied"),
    ("454 4.7.1 <someone@remote.test>: Relay access denied", "rcpt", "relay_denied",
     "postfix_relay_denied"),
    ("530 5.7.0 Must issue a STARTTLS command first", "mail", "starttls_required",
     "postfix_starttls_first"),
    ("530 5.7.0 <localhost[127.0.0.1]>: Client host rejected: Authentication required", "rcpt",
     "auth_required", None),
    ("535 5.7.8 Error: authentication failed", "auth", "auth_failed", "postfix_auth_failed"),
    ("452 4.2.2 <full@example.test>: Recipient address rejected: Mailbox full", "rcpt",
     "mailbox_full", None),
    ("450 4.7.1 <greylist@example.test>: Recipient address rejected: Greylisted, try again "
     "later", "rcpt", "greylisted", "greylisting"),
    ("421 4.3.2 Service shutting down", "rcpt", "service_unavailable", None),
    ("452 4.5.3 Error: too many recipients", "rcpt", "too_many_recipients",
     "postfix_too_many_recipients"),
    ("421 4.7.0 mx.example.test Error: too many connections from 127.0.0.1", "banner",
     "too_many_connections", "postfix_too_many_connections"),
    ("552 5.3.4 Message size exceeds fixed limit", "mail", "size_limit", "postfix_size"),
    ("552 5.3.4 Error: message file too big", "eod", "size_limit", "postfix_size"),
    ("554 5.5.0 Error: SMTP protocol synchronization", "ehlo", "protocol_sync",
     "postfix_pipelining"),
    ("550 5.5.2 Error: bare <LF> received", "eod", "bare_lf", "postfix_bare_lf"),
    ("555 5.5.4 Unsupported option", "mail", "unsupported_parameter", None),
    ("501 5.5.4 Error: Bad NOTIFY parameter syntax", "rcpt", "syntax_error", None),
    ("550 Unrouteable address", "rcpt", "unknown_recipient", "exim_unrouteable"),
    ("501 Syntactically invalid EHLO argument(s)", "ehlo", "invalid_helo", "exim_invalid_helo"),
    ("550 relay not permitted", "rcpt", "relay_denied", "exim_relay_not_permitted"),
    ("501 5.5.4 Invalid command arguments: Invalid domain name", "ehlo", "invalid_helo", None),
]  # fmt: skip


@pytest.mark.parametrize(("reply", "step", "hint_id", "pattern_id"), REAL_REPLIES)
def test_real_server_texts_get_the_specific_hint(
    reply: str, step: str, hint_id: str, pattern_id: str | None
) -> None:
    explanation = explain_text(reply, step=step)
    assert explanation.step_hint is not None
    assert explanation.step_hint.id == hint_id
    assert explanation.step_hint.causes and explanation.step_hint.fixes
    if pattern_id is not None:
        assert explanation.vendor_matches[0].id == pattern_id
        assert explanation.vendor_matches[0].advice


# The failures the seed article lists for each command of its telnet session.
SEED_FAILURES = [
    (501, "5.5.4", "Invalid domain name", "ehlo", "invalid_helo"),
    (550, "5.1.7", "Invalid address", "mail", "invalid_sender"),
    (530, "5.7.1", "Client was not authenticated", "mail", "auth_required"),
    (550, "5.1.1", "User unknown", "rcpt", "unknown_recipient"),
    (500, "5.3.3", "Unrecognized command", "mail", "unrecognized_command"),
]


@pytest.mark.parametrize(("code", "enhanced", "text", "step", "hint_id"), SEED_FAILURES)
def test_seed_failures(code: int, enhanced: str, text: str, step: str, hint_id: str) -> None:
    explanation = explain_reply(code, enhanced, text, step)
    assert explanation.step_hint is not None and explanation.step_hint.id == hint_id
    assert explanation.outcome == "permanent"
    assert explanation.summary.startswith(f"{code} {enhanced}: ")


def test_seed_connect_failure_lists_every_cause_the_article_names() -> None:
    hint = explain_connection_failure("connect_failed")
    causes = " ".join(hint.causes).lower()
    for word in ("down", "firewall at the destination", "firewall at the source", "host name",
                 "port"):  # fmt: skip
        assert word in causes


@pytest.mark.parametrize(
    ("kind", "hint_id"),
    [("refused", "connection_refused"), ("timed-out", "connection_timeout"),
     ("unreachable", "network_unreachable"), ("nxdomain", "name_not_found"),
     ("tls", "tls_failure"), ("closed", "connection_closed"), ("banner_timeout", "tarpitting")],
)  # fmt: skip
def test_connection_failure_kinds(kind: str, hint_id: str) -> None:
    assert explain_connection_failure(kind).id == hint_id
    assert explain_connection_failure(kind, "it").id == hint_id


def test_unknown_connection_failure_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown connection failure"):
        explain_connection_failure("gremlins")


@pytest.mark.parametrize(
    ("reply", "hint_id", "vendor"),
    [
        ("550 5.4.1 Recipient address rejected: Access denied. AS(201806281)",
         "unknown_recipient", "Exchange Online"),
        ("550 5.7.606 Access denied, banned sending IP [192.0.2.1]", "blocklisted_ip",
         "Exchange Online"),
        ("550-5.7.26 This mail has been blocked because the sender is unauthenticated.",
         "sender_authentication", "Gmail"),
        ("421-4.7.28 Our system has detected an unusual rate of unsolicited mail",
         "rate_limited", "Gmail"),
        ("550-5.7.1 [192.0.2.1] Our system has detected that this message is\n"
         "550 5.7.1 likely unsolicited mail.", "spam_rejected", "Gmail"),
        ("552-5.2.2 The email account that you tried to reach is over quota.",
         "mailbox_full", "Gmail"),
        ("450 4.7.1 Client host rejected: cannot find your hostname, [192.0.2.1]",
         "no_reverse_dns", "Postfix"),
        ("554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using "
         "zen.spamhaus.org", "blocklisted_ip", "Postfix"),
        ("550 5.7.1 Unfortunately, messages from [192.0.2.1] weren't sent. (S3150)",
         "blocklisted_ip", "Outlook.com"),
        ("554 Service unavailable; client [192.0.2.1] blocked using b.barracudacentral.org",
         "blocklisted_ip", "Barracuda"),
    ],
)  # fmt: skip
def test_vendor_patterns(reply: str, hint_id: str, vendor: str) -> None:
    explanation = explain_text(reply)
    assert explanation.step_hint is not None and explanation.step_hint.id == hint_id
    assert vendor in {match.vendor for match in explanation.vendor_matches}


def test_step_changes_the_hint_for_a_bare_code() -> None:
    at_rcpt = explain_reply(452, step="rcpt")
    assert at_rcpt.step_hint is not None and at_rcpt.step_hint.id == "rcpt_deferred_452"
    assert "new transaction" in at_rcpt.retry_advice
    anywhere = explain_reply(452)
    assert anywhere.step_hint is not None and anywhere.step_hint.id == "server_storage"


def test_success_replies_have_no_hint_and_say_go_on() -> None:
    explanation = explain_reply(250, "2.1.5", "Recipient OK", "RCPT")
    assert explanation.step == "rcpt"
    assert explanation.step_hint is None and explanation.vendor_matches == ()
    assert explanation.outcome == "success"
    assert explanation.code_meaning == "OK, done"


def test_digit_meanings_and_retry_advice() -> None:
    info = explain_code(451)
    assert info.known and info.outcome == "transient"
    assert "retries" in info.class_meaning and "mail system" in info.category_meaning
    assert "retries later" in retry_advice(450)
    assert "bounce" in retry_advice(550)
    unregistered = explain_code(559)
    assert not unregistered.known and unregistered.class_meaning.startswith("5xx")
    with pytest.raises(ValueError):
        explain_code(999)


def test_enhanced_codes() -> None:
    info = explain_enhanced("5.7.26")
    assert info.known and info.meaning == "Multiple authentication checks failed"
    assert info.reference == "RFC 7372"
    assert explain_enhanced("4.02.02").code == "4.2.2"
    assert explain_enhanced("5.6.10").deprecated
    unknown = explain_enhanced("5.7.99")
    assert not unknown.known and unknown.subject_meaning.startswith("x.7.x")
    with pytest.raises(ValueError):
        explain_enhanced("3.1.1")


def test_step_names_accept_protocol_verbs() -> None:
    assert normalize_step("BANNER") == "banner"
    assert normalize_step("HELO") == "ehlo"
    assert normalize_step("BDAT") == "eod"
    assert normalize_step("NOOP") is None


def test_italian_explanation() -> None:
    explanation = explain_text("554 5.7.1 <someone@remote.test>: Relay access denied", "rcpt",
                               lang="it")  # fmt: skip
    assert explanation.step_hint is not None
    assert explanation.step_hint.title == "Relay non consentito"
    assert explanation.summary == "554 5.7.1: Relay non consentito (errore permanente)"
    assert explanation.enhanced_meaning == "Consegna non autorizzata, messaggio rifiutato"
    assert "rapporto di mancato recapito" in explanation.retry_advice
    assert explanation.vendor_matches[0].meaning.startswith("Postfix")
    full = explain_reply(452, "4.2.2", "Mailbox full", "rcpt", lang="it")
    assert full.step_hint is not None and full.step_hint.title.endswith("è piena")
    assert "riprovare più tardi" in full.summary


def test_unsupported_language_is_rejected() -> None:
    with pytest.raises(ValueError, match="unsupported language"):
        explain_reply(550, lang="de")
