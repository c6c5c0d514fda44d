"""The `send` scenario: one scripted SMTP transaction, step by step, into a Report.

connect -> [PROXY] -> banner -> EHLO/LHLO/HELO -> [XCLIENT + EHLO] -> STARTTLS + EHLO
-> [XCLIENT + EHLO] -> AUTH -> (MAIL -> RCPT... -> DATA|BDAT -> message) x count -> QUIT,
stopping early at `--quit-after` / `--drop-after` / `--drop-after-send` (swaks' stop
points, checked where swaks checks them). Each step becomes a `Step` with the command,
the reply, its duration and meaning; the first failing step sets the exit code
(swaks' numbering). Without `--server`, the mail hosts of the recipient's domain are
tried in preference order until one answers.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from smtpcheck.knowledge.i18n import t
from smtpcheck.net.errors import FailureKind, SessionError
from smtpcheck.net.session import SmtpSession
from smtpcheck.net.tls import TlsConfigError
from smtpcheck.net.transcript import Transcript
from smtpcheck.protocol import EhloInfo, LocalProtocolError, commands
from smtpcheck.report.model import Finding, Report, Status, TranscriptLine
from smtpcheck.scenarios.annotate import failure_explanation, short_meaning
from smtpcheck.scenarios.send import envelope, extensions, tls_step
from smtpcheck.scenarios.send.message_step import prepare_messages
from smtpcheck.scenarios.send.options import ExitCode, SendOptions, Target, TlsMode
from smtpcheck.scenarios.send.run import ReconnectPlain, SendRun, StopSession
from smtpcheck.scenarios.send.sources import MessageSourceError
from smtpcheck.scenarios.send.targets import TargetError, resolve_targets

CLOSED_KINDS = (FailureKind.CLOSED, FailureKind.RESET)


async def run_send(options: SendOptions, transcript: Transcript) -> Report:
    """Run the transaction described by `options`; never raises for network trouble."""
    run = SendRun(options, transcript)
    report = run.report
    started = time.monotonic()
    report.started_at = datetime.now(UTC).isoformat(timespec="seconds")
    try:
        code = await _run(run)
    except (MessageSourceError, TlsConfigError, TargetError, ValueError) as exc:
        transcript.error(str(exc))
        code = ExitCode.NO_MAIL_HOST if isinstance(exc, TargetError) else ExitCode.USAGE
        report.findings.append(Finding(Status.FAIL, "usage", str(exc)))
    report.exit_code = int(code)
    report.duration_ms = (time.monotonic() - started) * 1000
    report.verdict = _verdict(run, code)
    report.transcript = [TranscriptLine.from_entry(entry) for entry in transcript.entries]
    return report


async def _run(run: SendRun) -> ExitCode:
    messages = prepare_messages(run)
    targets = await resolve_targets(run.options, run.transcript)
    run.report.target = ", ".join(f"{t.host}:{t.port}" for t in targets[:1])
    for index, target in enumerate(targets):
        try:
            return await _run_on(run, target, messages)
        except SessionError as exc:
            if exc.step == "connect" and index + 1 < len(targets):
                failed = run.report.steps[-1]
                failed.status, failed.detail = Status.WARN, exc.message
                run.transcript.note(t("send.next_host", run.options.lang))
                continue
            return _session_failed(run, exc)
        except StopSession as stop:
            return stop.code
        except LocalProtocolError as exc:
            run.transcript.error(str(exc))
            run.report.findings.append(Finding(Status.FAIL, "usage", str(exc)))
            return ExitCode.USAGE
        finally:
            if run.session is not None:
                await run.session.close()
    return ExitCode.CONNECT  # pragma: no cover - resolve_targets never returns []


def _session_failed(run: SendRun, exc: SessionError) -> ExitCode:
    last = run.report.steps[-1] if run.report.steps else None
    if last is not None and last.name == exc.step and last.status is Status.INFO:
        step = last  # the step that was under way when it failed
    else:
        step = run.step(exc.step, t("send.step.failed", run.options.lang, step=exc.step))
    step.status = Status.FAIL
    step.detail = exc.message
    step.explanation = failure_explanation(None, exc.step, run.options.lang, exc.kind)
    if exc.step == "connect":
        return ExitCode.CONNECT
    if exc.step == "proxy":
        return ExitCode.PROXY
    if exc.kind in CLOSED_KINDS:
        return ExitCode.CLOSED
    return STEP_EXIT.get(exc.step, ExitCode.CLOSED)


async def _connect(run: SendRun, target: Target) -> None:
    opts = run.options
    context = tls_step.handshake_context(opts) if opts.tls_mode == TlsMode.ON_CONNECT else None
    session = run.need_session()
    where = opts.socket_path or opts.pipe_command
    where = where or t("net.host_port", opts.lang, host=target.host, port=target.port)
    step = run.step("connect", t("send.step.connect", opts.lang, where=where))
    started = time.monotonic()
    if opts.pipe_command:
        await session.connect_pipe(opts.pipe_command)
    elif opts.socket_path:
        await session.connect_unix(
            opts.socket_path, tls_context=context, server_hostname=tls_step.sni(opts, target)
        )
    else:
        await session.connect(
            target.host,
            target.port,
            family=opts.family,
            local_address=opts.local_interface,
            local_port=opts.local_port,
            tls_context=context,
            server_hostname=tls_step.sni(opts, target),
        )
    step.duration_ms = (time.monotonic() - started) * 1000
    step.status = Status.PASS
    step.data = {"peer": list(session.peer or ()), "local": list(session.local or ())}
    if session.tls is not None:
        step.data["tls"] = await tls_step.after_handshake(run, step, target)


def _new_session(run: SendRun) -> SmtpSession:
    opts = run.options
    run.session = SmtpSession(
        run.transcript,
        timeout=opts.timeout,
        lmtp=opts.lmtp,
        show_secrets=opts.show_secrets,
        annotator=lambda reply, step: short_meaning(reply, step, opts.lang),
    )
    return run.session


async def _open(run: SendRun, target: Target, *, checkpoints: bool = True) -> None:
    """Connect, send the PROXY header if asked, read the banner."""
    await _connect(run, target)
    if run.options.proxy is not None:
        await extensions.send_proxy(run, target)
    step = run.step("banner", t("send.step.banner", run.options.lang))
    started = time.monotonic()
    reply = await run.need_session().read_reply("banner", (220,))
    run.record(step, reply, reply.code == 220, started)
    if reply.code != 220:
        raise StopSession(ExitCode.BANNER)
    if checkpoints:
        await run.checkpoint("proxy")
        await run.checkpoint("banner")


async def _reconnect_plain(run: SendRun, target: Target) -> EhloInfo | None:
    """A new connection without TLS (after a failed --tls-optional handshake)."""
    await run.need_session().close()
    _new_session(run)
    await _open(run, target, checkpoints=False)
    return await run.hello("ehlo", ExitCode.EHLO, "first-helo")


async def _run_on(run: SendRun, target: Target, messages: list[bytes]) -> ExitCode:
    opts = run.options
    run.target = target
    _new_session(run)
    await _open(run, target)

    ehlo = await run.hello("ehlo", ExitCode.EHLO, "first-helo")
    await run.checkpoint("first-helo")
    if opts.xclient_before_starttls:
        ehlo = await extensions.xclient(run, ehlo)
    try:
        ehlo = await tls_step.starttls(run, ehlo, target)
    except ReconnectPlain:
        ehlo = await _reconnect_plain(run, target)
    await run.checkpoint("tls")
    if run.need_session().under_tls and opts.tls_mode != TlsMode.ON_CONNECT:
        ehlo = await run.hello("ehlo-tls", ExitCode.EHLO_AFTER_TLS, "helo")
    await run.checkpoint("helo")
    if not opts.xclient_before_starttls:
        ehlo = await extensions.xclient(run, ehlo)

    if opts.auth:
        from smtpcheck.scenarios.send import auth_step  # SASL, hashlib: only for AUTH

        await auth_step.authenticate(run, ehlo, target)
    elif opts.auth_optional == 2 and ehlo is not None and ehlo.has("AUTH"):
        run.note_failure("auth", t("send.auth_unavailable_strict", opts.lang))
        raise StopSession(await run.quit(ExitCode.AUTH))
    await run.checkpoint("auth")

    for number, message in enumerate(messages):
        if number:
            await run.exchange("rset", "RSET", commands.rset(), (250,))
        await envelope.transaction(run, ehlo, message)
    return await run.quit()


def _verdict(run: SendRun, code: ExitCode) -> str:
    lang = run.options.lang
    if code is ExitCode.OK:
        stop = run.options.quit_after or run.options.drop_after
        stop = stop or run.options.drop_after_send
        if stop:
            return t("send.verdict_quit_after", lang, point=stop)
        return t("send.verdict_ok", lang)
    failed = next((s for s in reversed(run.report.steps) if s.status is Status.FAIL), None)
    where = failed.title if failed else code.name.lower()
    reply = (
        f": {failed.reply.code} {' '.join(failed.reply.lines[:1])}"
        if (failed and failed.reply)
        else (f": {failed.detail}" if failed and failed.detail else "")
    )
    return t("send.verdict_failed", lang, where=where, reply=reply)


STEP_EXIT = {
    "banner": ExitCode.BANNER,
    "ehlo": ExitCode.EHLO,
    "helo": ExitCode.EHLO,
    "starttls": ExitCode.TLS,
    "tls": ExitCode.TLS,
    "ehlo-tls": ExitCode.EHLO_AFTER_TLS,
    "xclient": ExitCode.XCLIENT,
    "ehlo-xclient": ExitCode.EHLO_AFTER_XCLIENT,
    "auth": ExitCode.AUTH,
    "xforward": ExitCode.MAIL,
    "mail": ExitCode.MAIL,
    "rcpt": ExitCode.RCPT,
    "data": ExitCode.DATA,
    "bdat": ExitCode.EOD,
    "eod": ExitCode.EOD,
    "rset": ExitCode.MAIL,
    "quit": ExitCode.QUIT,
}
