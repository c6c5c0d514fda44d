"""SMTP as typed in the console: a line sent as is, its replies, the message, raw bytes.

A mixin of `ConsoleEngine` (console/session.py). After DATA's 354 (or the `bdat`
command) the message is read through the prompter, starting from headers filled from
the envelope typed so far; in raw mode bytes go out exactly as given and replies are
shown for a while (`raw-wait`).
"""

from __future__ import annotations

import asyncio
import email.utils

from smtpcheck.console.connection import Connection
from smtpcheck.net.errors import FailureKind, SessionError
from smtpcheck.net.session import SmtpSession
from smtpcheck.protocol import Reply, commands


class SmtpLines(Connection):
    """SMTP lines, DATA and BDAT messages, and raw mode."""

    # -- talking ----------------------------------------------------------------------

    def _command_for(self, session: SmtpSession, text: str) -> commands.Command:
        if self.in_auth_exchange:  # an answer to a 334 challenge: a secret
            return commands.Command("", text, secret=True, line=text)
        verb, _, argument = text.strip().partition(" ")
        if verb.upper() == "AUTH" and len(argument.split()) > 1:
            return commands.Command("AUTH", argument.strip(), secret=True, line=text)
        return commands.raw(text)

    def _remember_envelope(self, text: str) -> None:
        upper = text.strip().upper()
        address = text[text.find("<") + 1 : text.find(">")] if "<" in text and ">" in text else ""
        if upper.startswith("MAIL FROM:"):
            self.envelope_from, self.envelope_to = address, []
        elif upper.startswith("RCPT TO:") and address:
            self.envelope_to.append(address)

    async def smtp_line(self, text: str) -> None:
        """Send one line as typed and show the replies it gets."""
        session = self._require()
        if session is None:
            return
        command = self._command_for(session, text)
        self._remember_envelope(text)
        step = (command.verb or "auth").lower()
        try:
            await session.send_command(command, step)
            await self._read_replies(step)
        except SessionError as exc:
            await self._failed(exc)

    async def _read_replies(self, step: str) -> None:
        while self.session is not None and self.session.protocol.expected:
            head = self.session.protocol.expected[0]  # a command's verb, else the step
            reply = await self.session.read_reply(head.lower() if head.is_command else step)
            self.last_reply = reply
            await self._after_reply(reply)

    async def _after_reply(self, reply: Reply) -> None:
        if reply.command == "DATA" and reply.code == 354:
            await self._message("data")
        elif reply.command == "STARTTLS" and reply.code == 220:
            await self._starttls()

    def message_template(self) -> str:
        """Headers to start a message from, filled from the envelope typed so far."""
        sender = self.envelope_from or "sender@example.com"
        recipients = ", ".join(f"<{r}>" for r in self.envelope_to) or "<recipient@example.com>"
        domain = sender.rpartition("@")[2] or "smtpcheck.invalid"
        return (
            f"From: <{sender}>\n"
            f"To: {recipients}\n"
            "Subject: \n"
            f"Date: {email.utils.formatdate(localtime=True)}\n"
            f"Message-ID: {email.utils.make_msgid(domain=domain)}\n"
            "\n"
        )

    async def _message(self, kind: str) -> None:
        """Message mode: read the text, then send it after DATA's 354 or as BDAT LAST."""
        assert self.session is not None
        self.note(self._t(f"message.{kind}"))
        text = await self.prompter.read_message(self.message_template())
        if self.session is None:
            return
        if text is None:
            self.note(self._t("message.abandoned"))
            await self._failed(SessionError(kind, FailureKind.OTHER, "message abandoned"))
            return
        body = text.encode("utf-8")
        if kind == "data":
            await self.session.send_message(body, "data")
            await self._read_replies("eod")
            return
        from smtpcheck.protocol.data import normalize_line_endings

        body = normalize_line_endings(body)
        if body and not body.endswith(b"\r\n"):
            body += b"\r\n"
        await self.session.send_bdat(body, last=True)
        await self._read_replies("eod")

    async def bdat(self) -> None:
        session = self._require()
        if session is None:
            return
        ehlo = session.protocol.ehlo
        if ehlo is None or not ehlo.has("CHUNKING"):
            self.error(self._t("bdat.not_offered"))
            return
        try:
            await self._message("bdat")
        except SessionError as exc:
            await self._failed(exc)

    async def send_raw(self, data: bytes) -> None:
        """Raw mode: send exactly these bytes, then show what comes back for a while."""
        session = self._require()
        if session is None:
            return
        self._sending_raw = True
        try:
            if data.endswith(b"\n"):  # complete lines: the protocol tracks their replies
                await session.send_command(commands.raw(data), "raw")
            else:
                await session.write(data, "raw")
        except SessionError as exc:
            await self._failed(exc)
            return
        finally:
            self._sending_raw = False
        try:
            while self.session is not None:
                reply = await self._poll_reply(self.settings.raw_wait)
                if reply is None:
                    if self.session.protocol.expected:
                        self.note(self._t("raw.no_reply", seconds=self.settings.raw_wait))
                    break
                self.last_reply = reply
                if not self.session.protocol.expected:
                    break
        except SessionError as exc:
            await self._failed(exc)

    async def _poll_reply(self, seconds: float) -> Reply | None:
        """A reply if one comes within `seconds`, else None (and no error shown).

        Cancelling `read_reply` loses nothing: the stream keeps unread bytes and the
        protocol keeps a partial reply, so the next read carries on where this stopped.
        """
        assert self.session is not None
        wait = min(seconds, self.session.timeout / 2)
        try:
            return await asyncio.wait_for(self.session.read_reply("raw"), wait)
        except TimeoutError:
            return None
