"""The envelope part of an address test: MAIL FROM, RCPT TO, the probes, DATA, QUIT.

The steps after EHLO (and STARTTLS), on the `Conversation` that address.py opened. The
probes share the transaction of the recipient under test (so no message is ever sent
to them); with --send the test message goes to the recipient alone first, then RSET
and a new MAIL FROM carry the probes.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import format_datetime

from smtpcheck.checks import make_finding, probes
from smtpcheck.knowledge.i18n import t
from smtpcheck.net.errors import SessionError
from smtpcheck.protocol import EhloInfo, commands
from smtpcheck.report.model import Finding, Status, Step, worst_status
from smtpcheck.scenarios.check.conversation import Conversation


def worst(steps: list[Step], findings: list[Finding]) -> Status:
    """The most severe status among the steps and findings (INFO when there is none)."""
    return worst_status([*(step.status for step in steps), *(f.status for f in findings)])


def settle(step: Step) -> None:
    """A step that worked takes the worst status of its findings (PASS if none)."""
    step.status = worst([], [*step.findings, _PASS])


_PASS = Finding(Status.PASS, "", "")


def _first_line(lines: Sequence[str]) -> str:
    return lines[0] if lines else ""


def _diagnosed(finding: Finding, step: Step) -> Finding:
    """A refused reply's finding says what to do in the words every command uses for that
    reply: the fixes of the step's explanation (`knowledge.explain.explain_reply`, the
    same `explain` and `send` show), so the demo's `530 5.7.1 Client was not
    authenticated` names the Exchange receive connector here too."""
    problem = finding.status in (Status.FAIL, Status.WARN)
    if problem and step.explanation is not None and step.explanation.fixes:
        finding.fix = " ".join(step.explanation.fixes)
    return finding


async def envelope_steps(check: Conversation, info: EhloInfo | None) -> None:
    """MAIL, RCPT, probes, optional DATA, QUIT on the open session of `check`.

    `check.accepted` is set as soon as the recipient under test is accepted (so a
    session that breaks later still counts it), and cleared if --send's message is
    refused.
    """
    opts, lang = check.options, check.lang
    sender = opts.envelope_sender
    params: dict[str, str | None] = {}
    if info is not None and info.has("SMTPUTF8") and not (sender + check.recipient).isascii():
        params["SMTPUTF8"] = None
    step, reply = await check.exchange(
        "mail", t("check.step.mail", lang, sender=sender), commands.mail(sender, params), (250,)
    )
    step.findings.append(
        _diagnosed(
            probes.check_mail_from(
                reply.code, _first_line(reply.lines), sender, lang, subject=check.subject
            ),
            step,
        )
    )
    if reply.code != 250:
        await _quit(check)
        return
    step, reply = await check.exchange(
        "rcpt",
        t("check.step.rcpt", lang, recipient=check.recipient),
        commands.rcpt(check.recipient),
        (250, 251),
    )
    step.findings.append(
        _diagnosed(
            probes.check_recipient(
                reply.code, _first_line(reply.lines), check.recipient, lang, subject=check.subject
            ),
            step,
        )
    )
    step.status = worst([], step.findings)
    check.accepted = reply.code in (250, 251)
    if reply.code == 421:
        return
    if opts.send and check.accepted:
        await _send_message(check)
        step, reply = await check.exchange(
            "rset", t("check.step.rset", lang), commands.rset(), (250,)
        )
        step, reply = await check.exchange(
            "mail", t("check.step.mail", lang, sender=sender), commands.mail(sender, params), (250,)
        )
        if reply.code != 250:
            await _quit(check)
            return
    await _probes(check)
    await _quit(check)


async def _probes(check: Conversation) -> None:
    opts, lang = check.options, check.lang
    domain = check.recipient.rpartition("@")[2]
    planned: list[tuple[str, str]] = []
    postmaster = f"postmaster@{domain}"
    if opts.probe_postmaster and check.recipient.lower() != postmaster.lower():
        planned.append(("probe-postmaster", postmaster))
    if opts.probe_relay:
        planned.append(("probe-relay", opts.relay_recipient))
    if opts.probe_random:
        # last: some servers slow down or disconnect after unknown recipients
        planned.append(("probe-random", f"{probes.random_local_part()}@{domain}"))
    for name, recipient in planned:
        key = name.replace("-", "_")
        step, reply = await check.exchange(
            name,
            t(f"check.step.{key}", lang, recipient=recipient),
            commands.rcpt(recipient),
            (250, 251) if name == "probe-postmaster" else (550, 551, 553, 554, 450, 451, 554),
        )
        if name == "probe-postmaster":
            finding = probes.check_postmaster(reply.code, recipient, lang, subject=check.subject)
        elif name == "probe-relay":
            finding = probes.check_relay(reply.code, recipient, lang, subject=check.subject)
        else:
            finding = probes.check_random_recipient(
                reply.code, recipient, lang, subject=check.subject
            )
        step.findings.append(finding)
        step.status = finding.status
        step.explanation = None  # the finding explains it; a refusal here is the good case
        if reply.code == 421:
            return


def test_message(check: Conversation, message_id: str) -> bytes:
    """A small, uniquely identified test message (the id is in Subject and Message-ID)."""
    sender = check.options.envelope_sender or "MAILER-DAEMON"
    lines = [
        f"From: smtpcheck <{sender}>",
        f"To: <{check.recipient}>",
        f"Subject: smtpcheck test {message_id}",
        f"Date: {format_datetime(datetime.now(UTC))}",
        f"Message-ID: <{message_id}@smtpcheck.invalid>",
        f"X-Smtpcheck-Id: {message_id}",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "",
        f"This is a test message sent by smtpcheck to {check.recipient}",
        f"through {check.subject}. Its identifier is {message_id}.",
        "",
    ]
    return "\r\n".join(lines).encode()


async def _send_message(check: Conversation) -> None:
    session = check.need_session()
    lang = check.lang
    step, reply = await check.exchange("data", t("check.step.data", lang), commands.data(), (354,))
    if reply.code != 354:
        step.findings.append(_message_finding(check, reply.code, reply.lines, ""))
        return
    message_id = f"smtpcheck-{secrets.token_hex(8)}"
    step = check.add("eod", t("check.step.eod", lang, id=message_id))
    step.data = {"message_id": message_id}
    started = time.monotonic()
    await session.send_message(test_message(check, message_id), "eod")
    reply = await session.read_reply("eod", (250,))
    check.record(step, reply, reply.code == 250, started)
    step.findings.append(
        _diagnosed(_message_finding(check, reply.code, reply.lines, message_id), step)
    )
    if reply.code != 250:
        check.accepted = False


def _message_finding(
    check: Conversation, code: int, lines: Sequence[str], message_id: str
) -> Finding:
    text = _first_line(lines)
    if code == 250:
        return make_finding(
            Status.PASS,
            "message-accepted",
            check.lang,
            subject=check.subject,
            id=message_id,
            text=text,
        )
    return make_finding(
        Status.FAIL, "message-refused", check.lang, subject=check.subject, code=code, text=text
    )


async def _quit(check: Conversation) -> None:
    try:
        await check.exchange("quit", t("check.step.quit", check.lang), commands.quit(), (221,))
    except SessionError as exc:
        # A server that hangs up at QUIT has still done its work.
        check.transcript.note(f"QUIT: {exc.message}")
        if check.current is not None and check.current.name == "quit":
            check.current.status = Status.INFO
            check.current.detail = exc.message
