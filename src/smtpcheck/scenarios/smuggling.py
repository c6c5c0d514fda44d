"""The SMTP smuggling probe: one transaction per non-standard end-of-data form.

Opt-in, because it sends mail: every form is one message to a recipient the user owns.
For each form the probe connects, greets, uses STARTTLS when offered (as a sending
server would), sends MAIL, RCPT and DATA, then a message whose body carries the form
followed by a smuggled MAIL FROM / RCPT TO / DATA and a second message, and finally the
real `<CR><LF>.<CR><LF>`. It reads the reply to the message, sends QUIT and reads every
reply up to the 221: a reply in between answers a smuggled command. What it saw becomes
a `checks.smuggling.SmugglingAttempt`; `checks.smuggling.judge_smuggling` judges them.

Built on our own engine (`net.session.SmtpSession`, `send_message_exact` for the raw
bytes), so every step has its deadline and everything said is in the transcript.
"""

from __future__ import annotations

import socket
import time
import uuid
from dataclasses import dataclass, field

from smtpcheck.checks.smuggling import AttemptOutcome, SmugglingAttempt
from smtpcheck.net.errors import FailureKind, SessionError
from smtpcheck.net.session import SmtpSession
from smtpcheck.net.tls import TlsOptions, build_context
from smtpcheck.net.transcript import Transcript
from smtpcheck.protocol import ProtocolError, Reply, commands
from smtpcheck.transcript_entry import Direction


@dataclass(frozen=True)
class EndOfDataForm:
    """A non-standard end of data: its name in reports and its bytes on the wire."""

    name: str
    wire: bytes


#: the forms SEC Consult's research and the Postfix/Exim/Sendmail advisories list
FORMS: tuple[EndOfDataForm, ...] = (
    EndOfDataForm("<LF>.<LF>", b"\n.\n"),
    EndOfDataForm("<CR><LF>.<LF>", b"\r\n.\n"),
    EndOfDataForm("<LF>.<CR><LF>", b"\n.\r\n"),
    EndOfDataForm("<CR>.<CR>", b"\r.\r"),
    EndOfDataForm("<CR><LF>.<CR>", b"\r\n.\r"),
    EndOfDataForm("<LF>.<CR>", b"\n.\r"),
    EndOfDataForm("<CR>.<LF>", b"\r.\n"),
    EndOfDataForm("<CR>.<CR><LF>", b"\r.\r\n"),
)
#: most replies read after QUIT: a server that answers the smuggled message's lines
#: one by one (its DATA refused) still ends, and is vulnerable long before this
MAX_REPLIES = 40


@dataclass(frozen=True)
class SmugglingOptions:
    """Who the probe's messages are from and to, and how it talks."""

    sender: str
    recipient: str  # a mailbox the user owns: every form delivers a message there
    ehlo: str = "localhost"
    timeout: float = 30.0  # each network step
    starttls: bool = True  # when the server offers it, as a sending server would
    forms: tuple[EndOfDataForm, ...] = FORMS
    #: words in every probe message's Subject, so the user can find them
    marker: str = field(default_factory=lambda: f"smtpcheck smuggling probe {uuid.uuid4().hex[:8]}")


@dataclass
class SmugglingRun:
    """The attempts against one address, with the transcript of each."""

    host: str
    ip: str
    port: int
    attempts: list[SmugglingAttempt] = field(default_factory=list)
    transcripts: list[Transcript] = field(default_factory=list)


def _first_line(reply: Reply) -> str:
    text = reply.lines[0] if reply.lines else ""
    return f"{reply.code} {text}".rstrip()


def message_bytes(options: SmugglingOptions, form: EndOfDataForm, index: int) -> bytes:
    """The whole DATA payload for one form, its final <CR><LF>.<CR><LF> included."""
    subject = f"{options.marker} #{index} {form.name}"
    date = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())

    def message(part: str) -> bytes:
        return (
            f"From: <{options.sender}>\r\nTo: <{options.recipient}>\r\n"
            f"Subject: {subject} ({part})\r\nDate: {date}\r\n"
            f"Message-ID: <{uuid.uuid4().hex}@smtpcheck.invalid>\r\n\r\n"
            f"SMTP smuggling test message from smtpcheck ({part} part).\r\n"
            f"If a message with '({'smuggled' if part == 'outer' else 'outer'})' in its subject"
            " arrived separately, the receiving server split this message in two."
        ).encode()

    smuggled_commands = (
        f"MAIL FROM:<{options.sender}>\r\nRCPT TO:<{options.recipient}>\r\nDATA\r\n"
    ).encode()
    return message("outer") + form.wire + smuggled_commands + message("smuggled") + b"\r\n.\r\n"


async def _open(
    session: SmtpSession, host: str, ip: str, port: int, options: SmugglingOptions
) -> None:
    """Connect, greet, STARTTLS when offered, then MAIL, RCPT and DATA up to the 354."""
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    await session.connect(ip, port, family=family)
    _expect(await session.read_reply("banner", (220,)), "banner", 220)
    ehlo = commands.ehlo(options.ehlo)
    _expect(await session.command(ehlo, "ehlo", (250,)), "ehlo", 250)
    offered = session.protocol.ehlo
    if options.starttls and offered is not None and offered.has("STARTTLS"):
        reply = await session.command(commands.starttls(), "starttls", (220,))
        _expect(reply, "starttls", 220)
        await session.starttls(build_context(TlsOptions()), server_hostname=host)
        _expect(await session.command(ehlo, "ehlo", (250,)), "ehlo", 250)
    mail = commands.mail(options.sender)
    _expect(await session.command(mail, "mail", (250,)), "mail", 250)
    rcpt = commands.rcpt(options.recipient)
    _expect(await session.command(rcpt, "rcpt", (250, 251)), "rcpt", 250, 251)
    _expect(await session.command(commands.data(), "data", (354,)), "data", 354)


def _expect(reply: Reply, step: str, *codes: int) -> None:
    if reply.code not in codes:
        raise SessionError(step, FailureKind.OTHER, f"{step.upper()}: {_first_line(reply)}")


async def _after_quit(session: SmtpSession) -> list[str]:
    """Send QUIT and read up to its 221 (or the end); every other reply the server sent
    after the message's, first lines, in order.

    They are taken from the transcript: a reply that arrived before QUIT was sent answers
    nothing, and the session skips it (recording it) while it waits for QUIT's answer.
    """
    transcript = session.transcript
    mark = len(transcript.entries)
    await session.send_command(commands.quit(), "quit")
    try:
        for _ in range(MAX_REPLIES):
            if (await session.read_reply("quit")).code == 221:
                break
    except SessionError:
        pass  # closed or silent: what came before is the answer
    said = [
        entry.data for entry in transcript.entries[mark:] if entry.direction is Direction.RECEIVED
    ]
    if said and said[-1].startswith(b"221"):
        said.pop()
    return [_first_line_of(data) for data in said]


def _first_line_of(data: bytes) -> str:
    """'250 2.1.0 Ok' from the raw bytes of a reply (its first line, text as for replies)."""
    line = data.split(b"\n", 1)[0].rstrip(b"\r")
    text = line.decode("utf-8", "replace")
    return text[:3] + " " + text[4:] if len(text) > 3 and text[3] in "- " else text


async def probe_form(
    host: str, ip: str, port: int, options: SmugglingOptions, form: EndOfDataForm, index: int
) -> tuple[SmugglingAttempt, Transcript]:
    """One transaction with one form; never raises for what the server does."""
    transcript = Transcript()
    session = SmtpSession(transcript, timeout=options.timeout)
    transcript.note(f"SMTP smuggling probe: end of data written as {form.name}")
    try:
        attempt = await _attempt(session, host, ip, port, options, form, index)
    except (SessionError, ProtocolError, OSError, ValueError) as exc:
        attempt = SmugglingAttempt(form.name, AttemptOutcome.NOT_TESTED, detail=str(exc))
    finally:
        await session.close()
    return attempt, transcript


async def _attempt(
    session: SmtpSession,
    host: str,
    ip: str,
    port: int,
    options: SmugglingOptions,
    form: EndOfDataForm,
    index: int,
) -> SmugglingAttempt:
    await _open(session, host, ip, port, options)
    await session.send_message_exact(message_bytes(options, form, index), "eod")
    try:
        answer = await session.read_reply("eod")
    except SessionError as exc:
        if exc.kind is not FailureKind.CLOSED:
            raise
        return SmugglingAttempt(form.name, AttemptOutcome.REJECTED, detail=str(exc))
    if answer.code >= 400:
        refused = _first_line(answer)
        return SmugglingAttempt(
            form.name, AttemptOutcome.REJECTED, replies=(refused,), detail=refused
        )
    extra = await _after_quit(session)
    replies = (_first_line(answer), *extra)
    if not extra:
        return SmugglingAttempt(form.name, AttemptOutcome.ONE_MESSAGE, replies=replies)
    second = any(line.startswith("354") for line in extra)
    return SmugglingAttempt(
        form.name, AttemptOutcome.SMUGGLED, replies=replies, second_message=second
    )


async def probe_smuggling(host: str, ip: str, port: int, options: SmugglingOptions) -> SmugglingRun:
    """Every form of `options.forms` against one address, one after the other."""
    run = SmugglingRun(host=host, ip=ip, port=port)
    for index, form in enumerate(options.forms, start=1):
        attempt, transcript = await probe_form(host, ip, port, options, form, index)
        run.attempts.append(attempt)
        run.transcripts.append(transcript)
    return run
