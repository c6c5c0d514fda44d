"""SMTP as typed in the console: a line sent as is, its replies, the message, raw bytes.

Functions over a `ConsoleState` (console/state.py). After DATA's 354 (or the `bdat`
command) the message is read through the prompter, starting from headers filled from
the envelope typed so far; in raw mode bytes go out exactly as given and replies are
shown for a while (`raw-wait`).
"""

from __future__ import annotations

import asyncio
import email.utils

from smtpcheck.console import connection
from smtpcheck.console.state import ConsoleState, Envelope
from smtpcheck.net.errors import FailureKind, SessionError
from smtpcheck.net.session import SmtpSession
from smtpcheck.protocol import Reply, commands


def _command_for(state: ConsoleState, text: str) -> commands.Command:
    if state.in_auth_exchange:  # an answer to a 334 challenge: a secret
        return commands.Command("", text, secret=True, line=text)
    verb, _, argument = text.strip().partition(" ")
    if verb.upper() == "AUTH" and len(argument.split()) > 1:
        return commands.Command("AUTH", argument.strip(), secret=True, line=text)
    return commands.raw(text)


def _remember_envelope(envelope: Envelope, text: str) -> None:
    upper = text.strip().upper()
    address = text[text.find("<") + 1 : text.find(">")] if "<" in text and ">" in text else ""
    if upper.startswith("MAIL FROM:"):
        envelope.sender, envelope.recipients = address, []
    elif upper.startswith("RCPT TO:") and address:
        envelope.recipients.append(address)


async def smtp_line(state: ConsoleState, text: str) -> None:
    """Send one line as typed and show the replies it gets."""
    session = connection.require(state)
    if session is None:
        return
    command = _command_for(state, text)
    _remember_envelope(state.envelope, text)
    step = (command.verb or "auth").lower()
    try:
        await session.send_command(command, step)
        await _read_replies(state, step)
    except SessionError as exc:
        await connection.after_failure(state, exc)


async def _read_replies(state: ConsoleState, step: str) -> None:
    while (session := state.session) is not None and session.protocol.expected:
        head = session.protocol.expected[0]  # a command's verb, else the step
        reply = await session.read_reply(head.lower() if head.is_command else step)
        state.last_reply = reply
        if reply.command == "DATA" and reply.code == 354:
            await _message(state, session, "data")
        elif reply.command == "STARTTLS" and reply.code == 220:
            await connection.starttls(state, session)


def message_template(envelope: Envelope) -> str:
    """Headers to start a message from, filled from the envelope typed so far."""
    sender = envelope.sender or "sender@example.com"
    recipients = ", ".join(f"<{r}>" for r in envelope.recipients) or "<recipient@example.com>"
    domain = sender.rpartition("@")[2] or "smtpcheck.invalid"
    return (
        f"From: <{sender}>\n"
        f"To: {recipients}\n"
        "Subject: \n"
        f"Date: {email.utils.formatdate(localtime=True)}\n"
        f"Message-ID: {email.utils.make_msgid(domain=domain)}\n"
        "\n"
    )


async def _message(state: ConsoleState, session: SmtpSession, kind: str) -> None:
    """Message mode: read the text, then send it after DATA's 354 or as BDAT LAST."""
    state.output.note(state.t(f"message.{kind}"))
    text = await state.prompter.read_message(message_template(state.envelope))
    if state.session is None:
        return
    if text is None:
        state.output.note(state.t("message.abandoned"))
        await connection.after_failure(
            state, SessionError(kind, FailureKind.OTHER, "message abandoned")
        )
        return
    body = text.encode("utf-8")
    if kind == "data":
        await session.send_message(body, "data")
        await _read_replies(state, "eod")
        return
    from smtpcheck.protocol.data import normalize_line_endings

    body = normalize_line_endings(body)
    if body and not body.endswith(b"\r\n"):
        body += b"\r\n"
    await session.send_bdat(body, last=True)
    await _read_replies(state, "eod")


async def bdat(state: ConsoleState) -> None:
    """The `bdat` command: message mode, then the message as one BDAT LAST chunk."""
    session = connection.require(state)
    if session is None:
        return
    ehlo = session.protocol.ehlo
    if ehlo is None or not ehlo.has("CHUNKING"):
        state.output.error(state.t("bdat.not_offered"))
        return
    try:
        await _message(state, session, "bdat")
    except SessionError as exc:
        await connection.after_failure(state, exc)


async def send_raw(state: ConsoleState, data: bytes) -> None:
    """Raw mode: send exactly these bytes, then show what comes back for a while."""
    session = connection.require(state)
    if session is None:
        return
    state.sending_raw = True
    try:
        if data.endswith(b"\n"):  # complete lines: the protocol tracks their replies
            await session.send_command(commands.raw(data), "raw")
        else:
            await session.write(data, "raw")
    except SessionError as exc:
        await connection.after_failure(state, exc)
        return
    finally:
        state.sending_raw = False
    wait = state.settings.raw_wait
    try:
        while (session := state.session) is not None:
            reply = await _poll_reply(session, wait)
            if reply is None:
                if session.protocol.expected:
                    state.output.note(state.t("raw.no_reply", seconds=wait))
                break
            state.last_reply = reply
            if not session.protocol.expected:
                break
    except SessionError as exc:
        await connection.after_failure(state, exc)


async def _poll_reply(session: SmtpSession, seconds: float) -> Reply | None:
    """A reply if one comes within `seconds`, else None (and no error shown).

    Cancelling `read_reply` loses nothing: the stream keeps unread bytes and the
    protocol keeps a partial reply, so the next read carries on where this stopped.
    """
    wait = min(seconds, session.timeout / 2)
    try:
        return await asyncio.wait_for(session.read_reply("raw"), wait)
    except TimeoutError:
        return None
