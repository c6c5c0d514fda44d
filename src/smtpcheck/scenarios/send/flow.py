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
from smtpcheck.net.transcript import Direction, Transcript
from smtpcheck.protocol import EhloInfo, LocalProtocolError, Reply, commands, parse_ehlo
from smtpcheck.report.model import Finding, Report, Status, Step, TranscriptLine
from smtpcheck.scenarios.annotate import failure_explanation, reply_info, short_meaning
from smtpcheck.scenarios.message import MessageSourceError
from smtpcheck.scenarios.send_options import ExitCode, SendOptions, Target, TlsMode
from smtpcheck.scenarios.targets import TargetError, resolve_targets


class StopSession(Exception):
    """Ends the transaction early with an exit code (a failed step, or --quit-after)."""

    def __init__(self, code: ExitCode) -> None:
        super().__init__(code.name)
        self.code = code


CLOSED_KINDS = (FailureKind.CLOSED, FailureKind.RESET)


class SendRun:
    """State of one `send`: options, the session, the report being built."""

    def __init__(self, options: SendOptions, transcript: Transcript) -> None:
        self.options = options
        self.transcript = transcript
        self.report = Report(scenario="send", target=options.server or "")
        self.session: SmtpSession | None = None
        self.accepted: list[str] = []
        self.target: Target | None = None
        self.hellos = 0

    # -- steps ----------------------------------------------------------------------

    def step(self, name: str, title: str, command: str | None = None) -> Step:
        step = Step(name=name, title=title, command=command)
        self.report.steps.append(step)
        return step

    def record(self, step: Step, reply: Reply, ok: bool, started: float) -> None:
        step.duration_ms = (time.monotonic() - started) * 1000
        step.reply = reply_info(reply, step.name, self.options.lang)
        step.status = Status.PASS if ok else Status.FAIL
        if not ok:
            step.explanation = failure_explanation(reply, step.name, self.options.lang)

    async def exchange(
        self,
        name: str,
        title: str,
        command: commands.Command,
        expect: tuple[int, ...],
        *,
        point: str | None = None,
        shown: bytes | None = None,
    ) -> tuple[Step, Reply, bool]:
        """Send a command, read its reply; `point` is its --drop-after-send name."""
        session = self.need_session()
        display = shown if shown is not None else session.shown(command)
        step = self.step(name, title, display.decode(errors="replace").rstrip("\r\n"))
        started = time.monotonic()
        if point is not None and self.options.drop_after_send == point:
            await session.send_command(command, name, shown=shown)
            await self.drop()
        reply = await session.command(command, name, expect, shown=shown)
        ok = reply.code in expect
        self.record(step, reply, ok, started)
        return step, reply, ok

    def need_session(self) -> SmtpSession:
        assert self.session is not None
        return self.session

    async def checkpoint(self, point: str) -> None:
        """A place where swaks checks --drop-after and --quit-after."""
        if self.options.drop_after == point:
            await self.drop()
        if self.options.quit_after == point:
            raise StopSession(await self.quit())

    async def drop(self) -> None:
        self.transcript.note(t("send.dropping", self.options.lang))
        await self.need_session().close()
        raise StopSession(ExitCode.OK)

    def note_failure(self, name: str, text: str, status: Status = Status.FAIL) -> None:
        step = self.step(name, text)
        step.status = status
        step.detail = text
        if status is Status.FAIL:
            self.transcript.error(text)
        else:
            self.transcript.note(text)

    # -- the run ----------------------------------------------------------------------

    async def run(self) -> Report:
        started = time.monotonic()
        self.report.started_at = datetime.now(UTC).isoformat(timespec="seconds")
        try:
            code = await self._run()
        except (MessageSourceError, TlsConfigError, TargetError, ValueError) as exc:
            self.transcript.error(str(exc))
            code = ExitCode.NO_MAIL_HOST if isinstance(exc, TargetError) else ExitCode.USAGE
            self.report.findings.append(Finding(Status.FAIL, "usage", str(exc)))
        self.report.exit_code = int(code)
        self.report.duration_ms = (time.monotonic() - started) * 1000
        self.report.verdict = self._verdict(code)
        self.report.transcript = [
            TranscriptLine(
                e.elapsed * 1000,
                str(e.direction),
                e.tls,
                e.text()
                if e.direction is not Direction.SENT or len(e.data) < 4096
                else f"<{len(e.data)} bytes of message data>",
            )
            for e in self.transcript.entries
        ]
        return self.report

    async def _run(self) -> ExitCode:
        from smtpcheck.scenarios.send.message_step import prepare_messages

        messages = prepare_messages(self)
        targets = await resolve_targets(self.options, self.transcript)
        self.report.target = ", ".join(f"{t.host}:{t.port}" for t in targets[:1])
        for index, target in enumerate(targets):
            try:
                return await self._run_on(target, messages)
            except SessionError as exc:
                if exc.step == "connect" and index + 1 < len(targets):
                    failed = self.report.steps[-1]
                    failed.status, failed.detail = Status.WARN, exc.message
                    self.transcript.note(t("send.next_host", self.options.lang))
                    continue
                return self._session_failed(exc)
            except StopSession as stop:
                return stop.code
            except LocalProtocolError as exc:
                self.transcript.error(str(exc))
                self.report.findings.append(Finding(Status.FAIL, "usage", str(exc)))
                return ExitCode.USAGE
            finally:
                if self.session is not None:
                    await self.session.close()
        return ExitCode.CONNECT  # pragma: no cover - resolve_targets never returns []

    def _session_failed(self, exc: SessionError) -> ExitCode:
        last = self.report.steps[-1] if self.report.steps else None
        if last is not None and last.name == exc.step and last.status is Status.INFO:
            step = last  # the step that was under way when it failed
        else:
            step = self.step(exc.step, t("send.step.failed", self.options.lang, step=exc.step))
        step.status = Status.FAIL
        step.detail = exc.message
        step.explanation = failure_explanation(None, exc.step, self.options.lang, exc.kind)
        if exc.step == "connect":
            return ExitCode.CONNECT
        if exc.step == "proxy":
            return ExitCode.PROXY
        if exc.kind in CLOSED_KINDS:
            return ExitCode.CLOSED
        return STEP_EXIT.get(exc.step, ExitCode.CLOSED)

    async def _connect(self, target: Target) -> None:
        from smtpcheck.scenarios.send import tls_step

        opts = self.options
        context = tls_step.handshake_context(opts) if opts.tls_mode == TlsMode.ON_CONNECT else None
        session = self.need_session()
        where = opts.socket_path or opts.pipe_command
        where = where or t("net.host_port", opts.lang, host=target.host, port=target.port)
        step = self.step("connect", t("send.step.connect", opts.lang, where=where))
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
            step.data["tls"] = await tls_step.after_handshake(self, step, target)

    def _new_session(self) -> SmtpSession:
        opts = self.options
        self.session = SmtpSession(
            self.transcript,
            timeout=opts.timeout,
            lmtp=opts.lmtp,
            show_secrets=opts.show_secrets,
            annotator=lambda reply, step: short_meaning(reply, step, opts.lang),
        )
        return self.session

    async def _open(self, target: Target, *, checkpoints: bool = True) -> None:
        """Connect, send the PROXY header if asked, read the banner."""
        from smtpcheck.scenarios.send import extensions

        await self._connect(target)
        if self.options.proxy is not None:
            await extensions.send_proxy(self, target)
        step = self.step("banner", t("send.step.banner", self.options.lang))
        started = time.monotonic()
        reply = await self.need_session().read_reply("banner", (220,))
        self.record(step, reply, reply.code == 220, started)
        if reply.code != 220:
            raise StopSession(ExitCode.BANNER)
        if checkpoints:
            await self.checkpoint("proxy")
            await self.checkpoint("banner")

    async def reconnect_plain(self, target: Target) -> EhloInfo | None:
        """A new connection without TLS (after a failed --tls-optional handshake)."""
        await self.need_session().close()
        self._new_session()
        await self._open(target, checkpoints=False)
        return await self.hello("ehlo", ExitCode.EHLO, "first-helo")

    async def _run_on(self, target: Target, messages: list[bytes]) -> ExitCode:
        from smtpcheck.scenarios.send import envelope, extensions, tls_step

        opts = self.options
        self.target = target
        self._new_session()
        await self._open(target)

        ehlo = await self.hello("ehlo", ExitCode.EHLO, "first-helo")
        await self.checkpoint("first-helo")
        if opts.xclient_before_starttls:
            ehlo = await extensions.xclient(self, ehlo)
        ehlo = await tls_step.starttls(self, ehlo, target)
        await self.checkpoint("tls")
        if self.need_session().under_tls and opts.tls_mode != TlsMode.ON_CONNECT:
            ehlo = await self.hello("ehlo-tls", ExitCode.EHLO_AFTER_TLS, "helo")
        await self.checkpoint("helo")
        if not opts.xclient_before_starttls:
            ehlo = await extensions.xclient(self, ehlo)

        if opts.auth:
            from smtpcheck.scenarios.send import auth_step  # SASL, hashlib: only for AUTH

            await auth_step.authenticate(self, ehlo, target)
        elif opts.auth_optional == 2 and ehlo is not None and ehlo.has("AUTH"):
            self.note_failure("auth", t("send.auth_unavailable_strict", opts.lang))
            raise StopSession(await self.quit(ExitCode.AUTH))
        await self.checkpoint("auth")

        for number, message in enumerate(messages):
            if number:
                await self.exchange("rset", "RSET", commands.rset(), (250,))
            await envelope.transaction(self, ehlo, message)
        return await self.quit()

    async def hello(self, name: str, failure: ExitCode, point: str) -> EhloInfo | None:
        """EHLO (HELO when refused), LHLO for LMTP, or HELO alone for --protocol SMTP."""
        opts = self.options
        self.hellos += 1
        verb = opts.hello_verb
        titles = {
            "ehlo": verb,
            "ehlo-tls": t("send.step.hello_tls", opts.lang, verb=verb),
            "ehlo-xclient": t("send.step.hello_xclient", opts.lang, verb=verb),
        }
        builder = {"EHLO": commands.ehlo, "LHLO": commands.lhlo, "HELO": commands.helo}[verb]
        step_name = "helo" if verb == "HELO" and name == "ehlo" else name
        step, reply, ok = await self.exchange(
            step_name, titles.get(name, verb), builder(opts.ehlo), (250,), point=point
        )
        if ok:
            if verb == "HELO":
                return None
            info = parse_ehlo(reply)
            step.data = {"keywords": {k: list(v) for k, v in info.keywords.items()}}
            return info
        if verb == "EHLO":
            step.status = Status.WARN
            _, reply, ok = await self.exchange(
                "helo",
                t("send.step.helo_fallback", opts.lang),
                commands.helo(opts.ehlo),
                (250,),
                point=point,
            )
            if ok:
                return None
        raise StopSession(await self.quit(failure))

    async def quit(self, failure: ExitCode | None = None) -> ExitCode:
        """Send QUIT; returns `failure` if given (a failed step), else OK or QUIT."""
        session = self.need_session()
        if not session.connected or session.protocol.expected:
            return failure if failure is not None else ExitCode.OK
        try:
            _, _, ok = await self.exchange("quit", "QUIT", commands.quit(), (221,))
        except SessionError as exc:
            # A server that hangs up at QUIT has still done its work.
            self.transcript.note(f"QUIT: {exc.message}")
            return failure if failure is not None else ExitCode.OK
        if failure is not None:
            return failure
        return ExitCode.OK if ok else ExitCode.QUIT

    def _verdict(self, code: ExitCode) -> str:
        lang = self.options.lang
        if code is ExitCode.OK:
            stop = self.options.quit_after or self.options.drop_after
            stop = stop or self.options.drop_after_send
            if stop:
                return t("send.verdict_quit_after", lang, point=stop)
            return t("send.verdict_ok", lang)
        failed = next((s for s in reversed(self.report.steps) if s.status is Status.FAIL), None)
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


async def run_send(options: SendOptions, transcript: Transcript) -> Report:
    """Run the transaction described by `options`; never raises for network trouble."""
    return await SendRun(options, transcript).run()
