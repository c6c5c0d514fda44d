"""Explanations agree with themselves, over real replies of Postfix, Exim, OpenSMTPD,
smtp-sink, Exchange / Exchange Online, Gmail, Outlook.com and Yahoo.

- the enhanced status code decides the headline over the basic code's class;
- a recognised server text (vendor pattern) decides first, and nothing shown after it
  contradicts it (no other pattern with another hint, no registered causes of an
  enhanced code the server uses in its own sense);
- causes and fixes come in one order, without repeats, the same in both languages.
"""

from __future__ import annotations

import pytest

from smtpcheck.knowledge.explain import explain_reply, explain_text
from smtpcheck.knowledge.hints import get_hint
from smtpcheck.knowledge.rules import hint_fits_enhanced, pattern_ids, recognise_text

# (reply as received, step, hint id, vendor pattern or None, headline)
# The texts: docs/reference test-peer transcripts (Postfix 3.7, Exim 4.96, OpenSMTPD 6.8,
# smtp-sink), and the providers' published non-delivery texts.
REAL = [
    # Postfix
    ("550 5.1.1 <nosuchuser@localhost>: Recipient address rejected: User unknown in local "
     "recipient table", "rcpt", "unknown_recipient", "postfix_user_unknown",
     "The recipient does not exist"),
    ("501 5.1.3 Bad recipient address syntax", "rcpt", "address_syntax", None,
     "The address is malformed"),
    ("501 5.5.2 <bad..host>: Helo command rejected: Invalid name", "ehlo", "invalid_helo",
     "postfix_helo_invalid", "The EHLO/HELO name is refused"),
    ("554 5.7.1 <someone@remote.test>: Relay access denied", "rcpt", "relay_denied",
     "postfix_relay_denied", "Relaying denied"),
    ("530 5.7.0 Must issue a STARTTLS command first", "mail", "starttls_required",
     "postfix_starttls_first", "STARTTLS is required first"),
    ("530 5.7.0 <localhost[127.0.0.1]>: Client host rejected: Authentication required",
     "rcpt", "auth_required", None, "Authentication required (no anonymous mail)"),
    ("535 5.7.8 Error: authentication failed", "auth", "auth_failed", "postfix_auth_failed",
     "Authentication failed"),
    ("452 4.2.2 <full@example.test>: Recipient address rejected: Mailbox full", "rcpt",
     "mailbox_full", None, "The recipient's mailbox is full"),
    ("450 4.7.1 <greylist@example.test>: Recipient address rejected: Greylisted, try again "
     "later", "rcpt", "greylisted", "greylisting", "Deferred (greylisting or a temporary policy)"),
    ("421 4.3.2 Service shutting down", "rcpt", "service_unavailable", None,
     "Service temporarily unavailable"),
    ("452 4.5.3 Error: too many recipients", "rcpt", "too_many_recipients",
     "postfix_too_many_recipients", "Too many recipients in one message"),
    ("552 5.3.4 Message size exceeds fixed limit", "mail", "size_limit", "postfix_size",
     "The message is too big"),
    ("550 5.5.2 Error: bare <LF> received", "eod", "bare_lf", "postfix_bare_lf",
     "Bare line feeds in the message"),
    ("555 5.5.4 Unsupported option", "mail", "unsupported_parameter", None,
     "Parameter not supported"),
    ("501 5.5.4 Error: Bad NOTIFY parameter syntax", "rcpt", "syntax_error", None,
     "Syntax error in the command's arguments"),
    ("521 5.5.4 Syntax: BDAT count [LAST]", "eod", "syntax_error", None,
     "Syntax error in the command's arguments"),
    ("501 Syntax: EHLO hostname", "ehlo", "invalid_helo", None, "The EHLO/HELO name is refused"),
    # Exim
    ("550 Unrouteable address", "rcpt", "unknown_recipient", "exim_unrouteable",
     "The recipient does not exist"),
    ("550 relay not permitted", "rcpt", "relay_denied", "exim_relay_not_permitted",
     "Relaying denied"),
    ("501 Syntactically invalid EHLO argument(s)", "ehlo", "invalid_helo", "exim_invalid_helo",
     "The EHLO/HELO name is refused"),
    # OpenSMTPD
    ("501 5.5.4 Invalid command arguments: Invalid domain name", "ehlo", "invalid_helo", None,
     "The EHLO/HELO name is refused"),
    ("550 Invalid recipient", "rcpt", "unknown_recipient", None, "The recipient does not exist"),
    ("524 5.2.4 Mailing list expansion problem", "rcpt", "recipient_rejected", None,
     "Mailing list expansion problem"),
    # smtp-sink
    ("450 4.3.0 Error: command failed", "rcpt", "server_local_error", None,
     "Error on the receiving server"),
    ("452 4.3.1 Insufficient system storage", "rcpt", "server_storage", None,
     "Receiving server short of storage"),
    ("421 4.0.0 Server closing connection", "data", "service_unavailable", None,
     "Service temporarily unavailable"),
    # Exchange and Exchange Online
    ("550 5.4.1 Recipient address rejected: Access denied. AS(201806281) "
     "[BN8NAM12FT033.eop-nam12.prod.protection.outlook.com]", "rcpt", "unknown_recipient",
     "exchange_dbeb", "The recipient does not exist"),
    ("550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
     "rcpt", "unknown_recipient", "exchange_recipient_not_found", "The recipient does not exist"),
    ("530 5.7.1 Client was not authenticated", "mail", "auth_required",
     "exchange_client_not_authenticated", "Authentication required (no anonymous mail)"),
    ("530 5.7.57 Client not authenticated to send mail. Error: Client was not authenticated "
     "to send anonymous mail during MAIL FROM", "mail", "auth_required",
     "exchange_anonymous_during_mail_from", "Authentication required (no anonymous mail)"),
    ("550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain", "rcpt",
     "relay_denied", "exchange_unable_to_relay", "Relaying denied"),
    ("550 5.7.606 Access denied, banned sending IP [192.0.2.1]. To request removal from this "
     "list please visit https://sender.office.com/", "rcpt", "blocklisted_ip",
     "exchange_banned_ip", "Your sending IP is blocked"),
    ("535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the "
     "Tenant.", "auth", "auth_failed", "exchange_smtp_auth_disabled", "Authentication failed"),
    ("451 5.7.3 STARTTLS is required to send mail", "mail", "starttls_required",
     "exchange_starttls_required", "STARTTLS is required first"),
    ("550 5.7.520 Access denied, Your organization does not allow external forwarding.",
     "rcpt", "policy_rejected", "exchange_external_forwarding", "Refused by the receiver's policy"),
    # Gmail
    ("550-5.7.26 This mail has been blocked because the sender is unauthenticated.\n"
     "550-5.7.26 Gmail requires all senders to authenticate with either SPF or DKIM.",
     "eod", "sender_authentication", "gmail_unauthenticated",
     "The sender domain fails authentication (SPF, DKIM, DMARC)"),
    ("550 5.7.26 Unauthenticated email from example.com is not accepted due to domain's DMARC "
     "policy.", "eod", "sender_authentication", "gmail_unauthenticated",
     "The sender domain fails authentication (SPF, DKIM, DMARC)"),
    ("421 4.7.28 [192.0.2.1] Our system has detected an unusual rate of unsolicited mail "
     "originating from your IP address.", "rcpt", "rate_limited", "gmail_rate_unsolicited",
     "Too much mail: rate limited"),
    ("550 5.1.1 The email account that you tried to reach does not exist.", "rcpt",
     "unknown_recipient", "gmail_no_such_account", "The recipient does not exist"),
    ("452 4.2.2 The email account that you tried to reach is over quota.", "rcpt",
     "mailbox_full", "gmail_over_quota", "The recipient's mailbox is full"),
    ("550 5.7.25 The IP address sending this message does not have a PTR record setup, or "
     "the corresponding forward DNS entry does not point to the sending IP.", "rcpt",
     "no_reverse_dns", "gmail_ptr", "Missing or mismatched reverse DNS"),
    # Outlook.com and Yahoo
    ("550 5.7.1 Unfortunately, messages from [192.0.2.1] weren't sent. Please contact your "
     "Internet service provider since part of their network is on our block list (S3140).",
     "rcpt", "blocklisted_ip", "outlook_blocklist", "Your sending IP is blocked"),
    ("421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected "
     "volume or user complaints", "mail", "rate_limited", "yahoo_deferred_volume",
     "Too much mail: rate limited"),
]  # fmt: skip


@pytest.mark.parametrize(("reply", "step", "hint_id", "pattern", "headline"), REAL)
def test_real_replies_get_one_consistent_diagnosis(
    reply: str, step: str, hint_id: str, pattern: str | None, headline: str
) -> None:
    explanation = explain_text(reply, step=step)
    assert explanation.step_hint is not None and explanation.step_hint.id == hint_id
    label = f"{explanation.code} {explanation.enhanced}" if explanation.enhanced else ""
    assert f": {headline} (" in explanation.summary, explanation.summary
    if label:
        assert explanation.summary.startswith(label)
    if pattern is not None:
        assert explanation.basis == "vendor"
        assert explanation.vendor_matches[0].id == pattern
        # the recognised text speaks first, then the hint, and nothing disagrees
        assert explanation.causes[0] == explanation.vendor_matches[0].meaning
        assert explanation.fixes[0] == explanation.vendor_matches[0].advice[0]
        assert all(m.hint_id in (None, hint_id) for m in explanation.vendor_matches)
    else:
        assert explanation.vendor_matches == ()
    hint = get_hint(hint_id)
    assert explanation.causes[-len(hint.causes) :] == hint.causes
    assert len(set(explanation.causes)) == len(explanation.causes)
    assert len(set(explanation.fixes)) == len(explanation.fixes)
    assert explanation.annotation == explanation.summary


@pytest.mark.parametrize(("reply", "step", "hint_id", "pattern", "headline"), REAL)
def test_an_enhanced_code_is_never_contradicted_silently(
    reply: str, step: str, hint_id: str, pattern: str | None, headline: str
) -> None:
    explanation = explain_text(reply, step=step)
    info = explanation.enhanced_info
    if info is None or not info.known:
        assert explanation.enhanced_fits is None
        return
    fits = hint_fits_enhanced(hint_id, info.code)
    assert explanation.enhanced_fits is fits
    if fits is False:
        # only a recognised text may overrule the code, and then it says so
        assert explanation.basis in ("vendor", "text")
    else:
        assert explanation.basis is not None


# The enhanced code says one thing, the basic code's class (and the step) another: the
# enhanced code wins. (code, enhanced, step, hint that must win, hint that must not)
ENHANCED_DECIDES = [
    (501, "5.1.3", "rcpt", "address_syntax", "unknown_recipient"),
    (501, "5.1.3", "mail", "address_syntax", "invalid_sender"),
    (550, "5.7.1", "rcpt", "policy_rejected", "unknown_recipient"),
    (550, "5.7.0", "rcpt", "policy_rejected", "unknown_recipient"),
    (550, "5.2.2", "rcpt", "mailbox_full", "unknown_recipient"),
    (552, "5.2.2", "rcpt", "mailbox_full", "rcpt_deferred_452"),
    (550, "5.4.1", "rcpt", "routing_failure", "unknown_recipient"),
    (550, "5.6.0", "eod", "content_rejected", "permanent_generic"),
    (500, "5.3.0", "mail", "permanent_generic", "unrecognized_command"),
    (550, "5.5.0", "rcpt", "permanent_generic", "unknown_recipient"),
    (554, "5.7.1", "rcpt", "relay_denied", "recipient_rejected"),
    (451, "4.3.0", "rcpt", "server_local_error", "greylisted"),
]


@pytest.mark.parametrize(("code", "enhanced", "step", "wins", "loses"), ENHANCED_DECIDES)
def test_the_enhanced_code_decides_over_the_basic_code(
    code: int, enhanced: str, step: str, wins: str, loses: str
) -> None:
    explanation = explain_reply(code, enhanced, "", step)
    assert explanation.step_hint is not None
    assert explanation.step_hint.id == wins and wins != loses
    info = explanation.enhanced_info
    assert info is not None
    # a specific registered code (not "other": x.y.0) is what the headline says when no
    # rule on the detail itself decided
    if explanation.basis not in ("vendor", "text", "enhanced") and not enhanced.endswith(".0"):
        assert explanation.summary.startswith(f"{code} {enhanced}: {info.meaning} (")


def test_501_5_1_3_is_a_syntax_error_in_both_languages() -> None:
    en = explain_text("501 5.1.3 Bad recipient address syntax", step="rcpt")
    it = explain_text("501 5.1.3 Bad recipient address syntax", step="rcpt", lang="it")
    assert en.summary == "501 5.1.3: The address is malformed (permanent failure)"
    assert it.summary == "501 5.1.3: L'indirizzo è malformato (errore permanente)"
    assert "does not exist" not in " ".join(en.causes + en.fixes)


def test_a_vendor_using_a_code_its_own_way_leaves_out_the_codes_usual_causes() -> None:
    dbeb = explain_text(
        "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
        step="rcpt",
    )
    assert dbeb.enhanced_fits is False  # 5.1.10 is "null MX" in the registry
    assert dbeb.enhanced_info is not None and dbeb.enhanced_info.causes
    shown = " ".join(dbeb.causes + dbeb.fixes)
    assert not any(cause in shown for cause in dbeb.enhanced_info.causes)
    assert "null MX" not in shown


# Text pasted without a code: (text, code, enhanced, vendor pattern or None)
WITHOUT_CODE = [
    ("Relay access denied", 554, "5.7.1", "postfix_relay_denied"),
    ("Client was not authenticated", 530, "5.7.1", "exchange_client_not_authenticated"),
    ("Must issue a STARTTLS command first", 530, "5.7.0", "postfix_starttls_first"),
    ("Access denied. AS(201806281)", 550, "5.4.1", "exchange_dbeb"),
    ("User unknown", 550, "5.1.1", None),
    ("Recipient address rejected: Mailbox full", 452, "4.2.2", None),
    ("Sender OK", 250, "2.1.0", None),
    ("Queued mail for delivery", 250, "2.0.0", None),
    ("Service not available, closing transmission channel", 421, "4.3.2", None),
    ("Service closing transmission channel", 221, "2.0.0", None),
    ("Bad sequence of commands", 503, "5.5.1", None),
]


@pytest.mark.parametrize(("text", "code", "enhanced", "pattern"), WITHOUT_CODE)
def test_reply_text_without_a_code(
    text: str, code: int, enhanced: str, pattern: str | None
) -> None:
    known = recognise_text(text)
    assert known is not None and (known.code, known.enhanced) == (code, enhanced)
    assert known.pattern_id == pattern
    explanation = explain_text(text)
    assert (explanation.code, explanation.enhanced) == (code, enhanced)
    assert explanation.read_as and f"{code} {enhanced}" in explanation.read_as


def test_every_vendor_pattern_comes_with_its_reply() -> None:
    from smtpcheck.knowledge._data import neutral

    for raw in neutral("rules")["pattern"]:
        assert "reply" in raw, raw["id"]
        code = int(raw["reply"].split()[0])
        assert code // 100 in (4, 5), raw["id"]
    assert len(pattern_ids()) >= 45


def test_italian_matches_english_diagnosis() -> None:
    for reply, step, hint_id, _, _ in REAL:
        en = explain_text(reply, step=step)
        it = explain_text(reply, step=step, lang="it")
        assert it.step_hint is not None and it.step_hint.id == hint_id
        assert (len(it.causes), len(it.fixes)) == (len(en.causes), len(en.fixes)), reply
        assert it.basis == en.basis and it.enhanced_fits == en.enhanced_fits
