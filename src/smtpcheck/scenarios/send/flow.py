"""The `send` scenario: one scripted SMTP transaction, step by step, into a Report.

connect -> banner -> EHLO (HELO fallback) -> STARTTLS + EHLO -> AUTH -> MAIL -> RCPT...
-> DATA -> message -> QUIT, stopping early at `--quit-after`. Each step becomes a `Step`
with the command, the reply, its duration and meaning; the first failing step sets the
exit code (swaks' numbering). Without `--server`, the mail hosts of the recipient's
domain are tried in preference order until one answers.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from smtpcheck.knowledge.i18n import t
from smtpcheck.net.errors import FailureKind, SessionError
from smtpcheck.net.session import SmtpSession
from smtpcheck.net.tls import TlsConfigError, build_context
from smtpcheck.net.transcript import Direction, Transcript
from smtpcheck.protocol import Reply, commands, parse_ehlo
from smtpcheck.protocol.sasl import MECHANISMS, Credentials, choose_mechanism
from smtpcheck.report.model import Finding, Report, Status, Step, TranscriptLine
from smtpcheck.scenarios.annotate import failure_explanation, reply_info, short_meaning
from smtpcheck.scenarios.message import MessageSourceError, MessageSpec, build_message
from smtpcheck.scenarios.send_options import (
    QUIT_POINTS,
    ExitCode,
    SendOptions,
    Target,
    TlsMode,
)
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

    # -- steps ----------------------------------------------------------------------

    def _step(self, name: str, title: str, command: str | None = None) -> Step:
        step = Step(name=name, title=title, command=command)
        self.report.steps.append(step)
        return step

    def _record(self, step: Step, reply: Reply, ok: bool, started: float) -> None:
        step.duration_ms = (time.monotonic() - started) * 1000
        step.reply = reply_info(reply, step.name, self.options.lang)
        step.status = Status.PASS if ok else Status.FAIL
        if not ok:
            step.explanation = failure_explanation(reply, step.name, self.options.lang)

    async def _exchange(
        self, name: str, title: str, command: commands.Command, expect: tuple[int, ...]
    ) -> tuple[Step, Reply, bool]:
        assert self.session is not None
        step = self._step(name, title, self.session.shown(command).decode(errors="replace"))
        started = time.monotonic()
        reply = await self.session.command(command, name, expect)
        ok = reply.code in expect
        self._record(step, reply, ok, started)
        return step, reply, ok

    def _quit_after(self, point: str) -> bool:
        wanted = self.options.quit_after
        return wanted is not None and QUIT_POINTS.index(wanted) <= QUIT_POINTS.index(point)

    # -- the transaction ------------------------------------------------------------

    async def run(self) -> Report:
        started = time.monotonic()
        self.report.started_at = datetime.now(UTC).isoformat(timespec="seconds")
        try:
            message = build_message(
                MessageSpec(
                    self.options.sender,
                    self.options.recipients,
                    self.options.data,
                    self.options.body,
                    self.options.headers,
                    self.options.ehlo,
                )
            )
            code = await self._run(message)
        except (MessageSourceError, TlsConfigError, TargetError) as exc:
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

    async def _run(self, message: bytes) -> ExitCode:
        targets = await resolve_targets(self.options, self.transcript)
        self.report.target = ", ".join(f"{t.host}:{t.port}" for t in targets[:1])
        for index, target in enumerate(targets):
            try:
                return await self._run_on(target, message)
            except SessionError as exc:
                if exc.step == "connect" and index + 1 < len(targets):
                    failed = self.report.steps[-1]
                    failed.status, failed.detail = Status.WARN, exc.message
                    self.transcript.note(t("send.next_host", self.options.lang))
                    continue
                return self._session_failed(exc)
            except StopSession as stop:
                return stop.code
            finally:
                if self.session is not None:
                    await self.session.close()
        return ExitCode.CONNECT  # pragma: no cover - resolve_targets never returns []

    def _session_failed(self, exc: SessionError) -> ExitCode:
        last = self.report.steps[-1] if self.report.steps else None
        if last is not None and last.name == exc.step and last.status is Status.INFO:
            step = last  # the step that was under way when it failed
        else:
            step = self._step(exc.step, f"{exc.step} failed")
        step.status = Status.FAIL
        step.detail = exc.message
        step.explanation = failure_explanation(None, exc.step, self.options.lang, exc.kind)
        if exc.step == "connect":
            return ExitCode.CONNECT
        if exc.kind in CLOSED_KINDS:
            return ExitCode.CLOSED
        return STEP_EXIT.get(exc.step, ExitCode.CLOSED)

    async def _run_on(self, target: Target, message: bytes) -> ExitCode:
        opts = self.options
        context = build_context(opts.tls) if opts.tls_mode != TlsMode.NONE else None
        sni = opts.tls.sni or (target.mx_host or target.host)
        self.session = session = SmtpSession(
            self.transcript,
            timeout=opts.timeout,
            show_secrets=opts.show_secrets,
            annotator=lambda reply, step: short_meaning(reply, step, opts.lang),
        )
        step = self._step("connect", f"Connect to {target.host} port {target.port}")
        started = time.monotonic()
        on_connect = context if opts.tls_mode == TlsMode.ON_CONNECT else None
        await session.connect(
            target.host,
            target.port,
            family=opts.family,
            local_address=opts.local_interface,
            tls_context=on_connect,
            server_hostname=sni,
        )
        step.duration_ms = (time.monotonic() - started) * 1000
        step.status = Status.PASS
        step.data = {"peer": list(session.peer or ()), "local": list(session.local or ())}
        if session.tls is not None:
            step.data["tls"] = session.tls.to_dict()
        if self._quit_after("connect"):
            return await self._quit()

        step = self._step("banner", "Greeting (banner)")
        started = time.monotonic()
        reply = await session.read_reply("banner", (220,))
        self._record(step, reply, reply.code == 220, started)
        if reply.code != 220:
            raise StopSession(ExitCode.BANNER)
        if self._quit_after("banner"):
            return await self._quit()

        ehlo = await self._ehlo("ehlo", ExitCode.EHLO)
        if opts.tls_mode in (TlsMode.STARTTLS, TlsMode.OPTIONAL) and context is not None:
            if ehlo is not None and ehlo.has("STARTTLS"):
                _, reply, ok = await self._exchange(
                    "starttls", "STARTTLS", commands.starttls(), (220,)
                )
                if not ok:
                    if opts.tls_mode == TlsMode.STARTTLS:
                        raise StopSession(ExitCode.TLS)
                else:
                    tls_step = self._step("tls", "TLS handshake")
                    started = time.monotonic()
                    info = await session.starttls(context, sni)
                    tls_step.duration_ms = (time.monotonic() - started) * 1000
                    tls_step.status = Status.PASS
                    tls_step.detail = info.summary()
                    tls_step.data = info.to_dict()
                    ehlo = await self._ehlo("ehlo-tls", ExitCode.EHLO_AFTER_TLS)
            elif opts.tls_mode == TlsMode.STARTTLS:
                self._note_failure("tls", t("send.no_starttls", opts.lang))
                raise StopSession(ExitCode.TLS)
            else:
                self.transcript.note(t("send.starttls_skipped", opts.lang))
        if self._quit_after("tls"):
            return await self._quit()

        if opts.auth:
            await self._auth(ehlo)
        if self._quit_after("auth"):
            return await self._quit()

        await self._envelope(ehlo)
        if self._quit_after("rcpt"):
            return await self._quit()

        _, reply, ok = await self._exchange("data", "DATA", commands.data(), (354,))
        if not ok:
            raise StopSession(ExitCode.DATA)
        step = self._step("eod", f"Message ({len(message)} bytes) and final dot")
        started = time.monotonic()
        await session.send_message(message, "eod")
        reply = await session.read_reply("eod", (250,))
        self._record(step, reply, reply.code == 250, started)
        if reply.code != 250:
            raise StopSession(ExitCode.EOD)
        return await self._quit()

    async def _ehlo(self, name: str, failure: ExitCode):  # type: ignore[no-untyped-def]
        assert self.session is not None
        title = "EHLO" if name == "ehlo" else "EHLO again, under TLS"
        step, reply, ok = await self._exchange(
            name, title, commands.ehlo(self.options.ehlo), (250,)
        )
        if ok:
            info = parse_ehlo(reply)
            step.data = {"keywords": {k: list(v) for k, v in info.keywords.items()}}
            return info
        if reply.code in (500, 502, 504) and name == "ehlo":
            step.status = Status.WARN
            _, reply, ok = await self._exchange(
                "helo", "HELO (EHLO was refused)", commands.helo(self.options.ehlo), (250,)
            )
            if ok:
                return None
        raise StopSession(failure)

    async def _auth(self, ehlo) -> None:  # type: ignore[no-untyped-def]
        assert self.session is not None
        opts = self.options
        offered = tuple(ehlo.auth_mechanisms) if ehlo is not None else ()
        mechanism = choose_mechanism(offered, opts.auth_mechanisms)
        if mechanism is None:
            lang = opts.lang
            wanted = ", ".join(opts.auth_mechanisms) or t("send.auth_any", lang)
            text = t(
                "send.auth_not_offered",
                lang,
                offered=" ".join(offered) or t("send.nothing", lang),
                wanted=wanted,
            )
            if not offered and not self.session.under_tls:
                text += " " + t("send.auth_after_tls", lang)
            self._note_failure("auth", text)
            raise StopSession(ExitCode.AUTH)
        creds = Credentials(opts.auth_user or "", opts.auth_password or "")
        initial, answer = MECHANISMS[mechanism]
        command = commands.auth(mechanism, initial(creds) if initial else None)
        step, reply, _ = await self._exchange("auth", f"AUTH {mechanism}", command, (235, 334))
        while reply.code == 334 and answer is not None:
            challenge = reply.lines[0] if reply.lines else ""
            started = time.monotonic()
            reply = await self.session.command(
                commands.auth_response(answer(creds, challenge)), "auth", (235, 334)
            )
            self._record(step, reply, reply.code in (235, 334), started)
        if reply.code != 235:
            self._record(step, reply, False, time.monotonic())
            raise StopSession(ExitCode.AUTH)

    async def _envelope(self, ehlo) -> None:  # type: ignore[no-untyped-def]
        opts = self.options
        dsn = ehlo is not None and ehlo.has("DSN")
        wants_dsn = bool(opts.dsn_notify or opts.dsn_ret or opts.dsn_envid)
        if wants_dsn and not dsn:
            self.transcript.note(t("send.no_dsn", opts.lang))
        mail_params: dict[str, str | None] = {}
        if dsn and opts.dsn_ret:
            mail_params["RET"] = opts.dsn_ret.upper()
        if dsn and opts.dsn_envid:
            mail_params["ENVID"] = commands.xtext(opts.dsn_envid)
        if ehlo is not None and ehlo.has("SMTPUTF8") and not _ascii(opts.sender, *opts.recipients):
            mail_params["SMTPUTF8"] = None
        _, reply, ok = await self._exchange(
            "mail", "MAIL FROM", commands.mail(opts.sender, mail_params), (250,)
        )
        if not ok:
            raise StopSession(ExitCode.MAIL)
        if self._quit_after("mail"):
            raise StopSession(await self._quit())
        rejected: list[str] = []
        for recipient in opts.recipients:
            rcpt_params: dict[str, str | None] = {}
            if dsn and opts.dsn_notify:
                rcpt_params["NOTIFY"] = opts.dsn_notify.upper()
            _, reply, ok = await self._exchange(
                "rcpt", f"RCPT TO {recipient}", commands.rcpt(recipient, rcpt_params), (250, 251)
            )
            (self.accepted if ok else rejected).append(recipient)
            if reply.code == 421:
                raise StopSession(ExitCode.RCPT)
        self.report.data["recipients"] = {"accepted": self.accepted, "rejected": rejected}
        if not self.accepted:
            raise StopSession(ExitCode.RCPT)
        if rejected:
            self.report.findings.append(
                Finding(
                    Status.WARN,
                    "partial-rcpt",
                    t(
                        "send.partial_rcpt",
                        opts.lang,
                        rejected=len(rejected),
                        total=len(opts.recipients),
                        addresses=", ".join(rejected),
                    ),
                )
            )

    async def _quit(self) -> ExitCode:
        assert self.session is not None
        try:
            _, _, ok = await self._exchange("quit", "QUIT", commands.quit(), (221,))
        except SessionError as exc:
            # A server that hangs up at QUIT has still done its work.
            self.transcript.note(f"QUIT: {exc.message}")
            return ExitCode.OK
        return ExitCode.OK if ok else ExitCode.QUIT

    def _note_failure(self, name: str, text: str) -> None:
        step = self._step(name, text)
        step.status = Status.FAIL
        step.detail = text
        self.transcript.error(text)

    def _verdict(self, code: ExitCode) -> str:
        lang = self.options.lang
        if code is ExitCode.OK:
            if self.options.quit_after:
                return t("send.verdict_quit_after", lang, point=self.options.quit_after)
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
    "auth": ExitCode.AUTH,
    "mail": ExitCode.MAIL,
    "rcpt": ExitCode.RCPT,
    "data": ExitCode.DATA,
    "eod": ExitCode.EOD,
    "quit": ExitCode.QUIT,
}


def _ascii(*texts: str) -> bool:
    return all(text.isascii() for text in texts)


async def run_send(options: SendOptions, transcript: Transcript) -> Report:
    """Run the transaction described by `options`; never raises for network trouble."""
    return await SendRun(options, transcript).run()
