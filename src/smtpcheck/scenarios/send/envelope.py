"""One mail transaction in `send`: MAIL, RCPT..., then DATA or BDAT and the message.

ESMTP parameters are added when the server offers the extension (and noted when it
does not): SIZE=, BODY=8BITMIME / BINARYMIME, SMTPUTF8 (automatic when an address
needs it), DSN (RET, ENVID, NOTIFY, ORCPT), PRDR. `--pipeline` sends MAIL, every RCPT
and DATA in one go when PIPELINING is offered. LMTP reads one reply per accepted
recipient after the message; PRDR reads the 353, one reply per recipient, then the
final one.
"""

from __future__ import annotations

import time

from smtpcheck.knowledge.i18n import t, tn
from smtpcheck.protocol import EhloInfo, Reply, ReplyTo, commands, normalize_line_endings
from smtpcheck.report.model import Finding, Status, Step
from smtpcheck.scenarios.send import extensions
from smtpcheck.scenarios.send.options import ExitCode
from smtpcheck.scenarios.send.run import SendRun, StopSession


def _has(ehlo: EhloInfo | None, keyword: str) -> bool:
    return ehlo is not None and ehlo.has(keyword)


def mail_params(
    run: SendRun, ehlo: EhloInfo | None, message: bytes
) -> list[tuple[str, str | None]]:
    opts = run.options
    lang = opts.lang
    params: list[tuple[str, str | None]] = []
    note = run.transcript.note
    if opts.declare_size:
        if _has(ehlo, "SIZE"):
            params.append(("SIZE", str(len(normalize_line_endings(message)))))
        else:
            note(t("send.not_offered", lang, what="SIZE", keyword="SIZE"))
    if opts.binarymime:
        if _has(ehlo, "BINARYMIME") and _has(ehlo, "CHUNKING"):
            params.append(("BODY", "BINARYMIME"))
        else:
            note(t("send.not_offered", lang, what="BODY=BINARYMIME", keyword="BINARYMIME"))
    elif opts.eight_bit or (not message.isascii() and _has(ehlo, "8BITMIME")):
        if _has(ehlo, "8BITMIME"):
            params.append(("BODY", "8BITMIME"))
        else:
            note(t("send.not_offered", lang, what="BODY=8BITMIME", keyword="8BITMIME"))
    needs_utf8 = not all(a.isascii() for a in (opts.sender, *opts.all_recipients))
    if opts.smtputf8 == "always" or (opts.smtputf8 == "auto" and needs_utf8):
        if _has(ehlo, "SMTPUTF8"):
            params.append(("SMTPUTF8", None))
        else:
            note(t("send.no_smtputf8", lang))
    dsn = _has(ehlo, "DSN")
    if (opts.dsn_notify or opts.dsn_ret or opts.dsn_envid or opts.dsn_orcpt) and not dsn:
        note(t("send.no_dsn", lang))
    if dsn and opts.dsn_ret:
        params.append(("RET", opts.dsn_ret.upper()))
    if dsn and opts.dsn_envid:
        params.append(("ENVID", commands.xtext(opts.dsn_envid)))
    if opts.prdr:
        params.append(("PRDR", None))
    return params


def rcpt_params(run: SendRun, ehlo: EhloInfo | None, address: str) -> list[tuple[str, str | None]]:
    opts = run.options
    params: list[tuple[str, str | None]] = []
    if _has(ehlo, "DSN"):
        if opts.dsn_notify:
            params.append(("NOTIFY", opts.dsn_notify.upper()))
        if opts.dsn_orcpt:
            kind = "utf-8" if not address.isascii() else "rfc822"
            params.append(("ORCPT", f"{kind};{commands.xtext(address)}"))
    return params


async def transaction(run: SendRun, ehlo: EhloInfo | None, message: bytes) -> None:

    opts = run.options
    run.accepted = []
    if opts.prdr and not _has(ehlo, "PRDR"):
        run.note_failure("mail", t("send.no_prdr", opts.lang))
        raise StopSession(await run.quit(ExitCode.PRDR))
    if opts.xforward:
        await extensions.xforward(run, ehlo)
    chunking = opts.chunking and _has(ehlo, "CHUNKING")
    if opts.chunking and not chunking:
        run.transcript.note(t("send.not_offered", opts.lang, what="BDAT", keyword="CHUNKING"))
    pipelined = opts.pipeline and _has(ehlo, "PIPELINING")
    if opts.pipeline and not pipelined:
        run.transcript.note(t("send.no_pipelining", opts.lang))
    mail = commands.mail(opts.sender, mail_params(run, ehlo, message))
    recipients = opts.all_recipients
    rcpts = [commands.rcpt(r, rcpt_params(run, ehlo, r)) for r in recipients]
    if pipelined:
        data_reply = await _pipelined(run, mail, rcpts, recipients, with_data=not chunking)
    else:
        _, _, ok = await run.exchange("mail", "MAIL FROM", mail, (250,), point="mail")
        if not ok:
            raise StopSession(await run.quit(ExitCode.MAIL))
        await run.checkpoint("mail")
        for address, rcpt in zip(recipients, rcpts, strict=True):
            _, reply, ok = await run.exchange(
                "rcpt", f"RCPT TO {address}", rcpt, (250, 251), point="rcpt"
            )
            if ok:
                run.accepted.append(address)
            if reply.code == 421 or not run.need_session().connected:
                _rcpt_summary(run, recipients)
                raise StopSession(ExitCode.RCPT)
        data_reply = None
    _rcpt_summary(run, recipients)
    if not run.accepted:
        raise StopSession(await run.quit(ExitCode.RCPT))
    await run.checkpoint("rcpt")
    if chunking:
        await _bdat(run, message, pipelined)
    else:
        if data_reply is None:
            _, data_reply, ok = await run.exchange(
                "data", "DATA", commands.data(), (354,), point="data"
            )
        if data_reply.code != 354:
            raise StopSession(await run.quit(ExitCode.DATA))
        await run.checkpoint("data")
        await _message(run, message)
    await run.checkpoint("dot")


async def _pipelined(
    run: SendRun,
    mail: commands.Command,
    rcpts: list[commands.Command],
    recipients: list[str],
    *,
    with_data: bool,
) -> Reply | None:
    """MAIL, RCPT... (and DATA) in one batch, then every reply in order."""

    opts = run.options
    session = run.need_session()
    batch: list[tuple[str, str, commands.Command, tuple[int, ...]]] = [
        ("mail", "MAIL FROM", mail, (250,))
    ]
    batch += [
        ("rcpt", f"RCPT TO {a}", c, (250, 251)) for a, c in zip(recipients, rcpts, strict=True)
    ]
    if (
        with_data
        and opts.quit_after not in ("mail", "rcpt")
        and opts.drop_after
        not in (
            "mail",
            "rcpt",
        )
    ):
        batch.append(("data", "DATA", commands.data(), (354,)))
    steps: list[tuple[Step, float]] = []
    for name, title, command, _ in batch:
        steps.append(
            (run.step(name, title, session.shown(command).decode().rstrip()), time.monotonic())
        )
        await session.send_command(command, name)
        if opts.drop_after_send == name:
            await run.drop()
    replies: list[Reply] = []
    for (step, started), (name, _, _, expect) in zip(steps, batch, strict=True):
        reply = await session.read_reply(name, expect)
        run.record(step, reply, reply.code in expect, started)
        replies.append(reply)
        if name == "rcpt" and reply.code in expect:
            run.accepted.append(recipients[len(replies) - 2])
    if replies[0].code != 250 or not run.accepted:
        if len(replies) > len(recipients) + 1 and replies[-1].code == 354:
            await session.send_message(b"", "eod")  # the server waits for a message
            await session.read_reply("eod")
        _rcpt_summary(run, recipients)
        raise StopSession(
            await run.quit(ExitCode.MAIL if replies[0].code != 250 else ExitCode.RCPT)
        )
    return replies[-1] if len(replies) > len(recipients) + 1 else None


def _rcpt_summary(run: SendRun, recipients: list[str]) -> None:
    rejected = [r for r in recipients if r not in run.accepted]
    run.report.data["recipients"] = {"accepted": list(run.accepted), "rejected": rejected}
    if rejected and run.accepted and not any(f.code == "partial-rcpt" for f in run.report.findings):
        _warn_refused(run, "partial-rcpt", rejected, len(recipients))


def _warn_refused(run: SendRun, code: str, refused: list[str], total: int) -> None:
    """A warning that some recipients of `total` were refused ("1 recipient of 2...")."""
    key = {"partial-rcpt": "send.partial_rcpt", "prdr-refused": "send.prdr_refused"}[code]
    words = tn(key, len(refused), run.options.lang, total=total, refused=", ".join(refused))
    run.report.findings.append(Finding(Status.WARN, code, words))


async def _message(run: SendRun, message: bytes) -> None:
    """The message after the 354, then the reply(s) to the final dot."""

    opts = run.options
    session = run.need_session()
    step = run.step("eod", tn("send.step.message", len(message), opts.lang))
    started = time.monotonic()
    if opts.data_fixup:
        await session.send_message(message, "eod")
    else:  # --no-data-fixup: the bytes as given, bare LFs and all
        await session.send_message_exact(message, "eod")
    if opts.drop_after_send == "dot":
        await run.drop()
    if opts.lmtp:
        await _lmtp_replies(run, step, started)
        return
    reply = await session.read_reply("eod", (250, 353) if opts.prdr else (250,))
    run.record(step, reply, reply.code in (250, 353), started)
    if reply.code == 353 and opts.prdr:
        reply = await _prdr_replies(run, step)
    if reply.code != 250:
        step.status = Status.FAIL
        raise StopSession(await run.quit(ExitCode.EOD))


async def _lmtp_replies(run: SendRun, first: Step, started: float) -> None:

    session = run.need_session()
    delivered = 0
    for index, address in enumerate(run.accepted):
        lang = run.options.lang
        step = (
            first if index == 0 else run.step("eod", t("send.step.delivery", lang, address=address))
        )
        if index == 0:
            first.title = t("send.step.message_delivery", lang, address=address)
        reply = await session.read_reply("eod", (250,))
        run.record(step, reply, reply.code == 250, started)
        step.data["recipient"] = address
        delivered += reply.code == 250
        started = time.monotonic()
    run.report.data["lmtp"] = {"delivered": delivered, "total": len(run.accepted)}
    if not delivered:
        raise StopSession(await run.quit(ExitCode.EOD))


async def _prdr_replies(run: SendRun, step: Step) -> Reply:
    """After 353: one reply per accepted recipient, then the overall one."""
    session = run.need_session()
    session.protocol.expect_replies(ReplyTo.END_OF_DATA, len(run.accepted) + 1)
    per_recipient = {}
    for address in run.accepted:
        started = time.monotonic()
        reply = await session.read_reply("eod", (250,))
        sub = run.step("prdr", t("send.step.prdr_reply", run.options.lang, address=address))
        run.record(sub, reply, reply.code == 250, started)
        per_recipient[address] = reply.code
    run.report.data["prdr"] = per_recipient
    refused = [f"{a} ({code})" for a, code in per_recipient.items() if code != 250]
    if refused:
        # swaks judges by the overall reply only (exit 0 when it is 250); so do we,
        # but a recipient refused after the message is not a success to hide.
        _warn_refused(run, "prdr-refused", refused, len(per_recipient))
    started = time.monotonic()
    reply = await session.read_reply("eod", (250,))
    run.record(step, reply, reply.code == 250, started)
    return reply


async def _bdat(run: SendRun, message: bytes, pipelined: bool) -> None:
    """The message in BDAT chunks of --chunk-size (sent as is: no dot-stuffing)."""

    opts = run.options
    session = run.need_session()
    exact = opts.binarymime or not opts.data_fixup
    body = message if exact else normalize_line_endings(message)
    size = max(1, opts.chunk_size)
    chunks = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
    pending: list[tuple[Step, float, bool]] = []
    for number, chunk in enumerate(chunks, 1):
        last = number == len(chunks)
        name = "eod" if last else "bdat"
        command = f"BDAT {len(chunk)}{' LAST' if last else ''}"
        title = t("send.step.bdat", opts.lang, command=command, number=number, total=len(chunks))
        step = run.step(name, title, command)
        await session.send_bdat(chunk, last=last, step=name)
        pending.append((step, time.monotonic(), last))
        if last and opts.drop_after_send == "dot":
            await run.drop()
        if not pipelined or last:
            for pstep, started, is_last in pending:
                reply = await session.read_reply("eod" if is_last else "bdat", (250,))
                run.record(pstep, reply, reply.code == 250, started)
                if reply.code != 250:
                    raise StopSession(await run.quit(ExitCode.EOD))
            pending = []
