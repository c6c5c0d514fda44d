"""The context of one `send` that every step shares: `SendRun` and `StopSession`.

A step (tls_step, auth_step, envelope, extensions, message_step) takes the `SendRun`
and uses what is here: the options, the transcript, the report being built, the open
session, and the actions every step needs (exchange a command and record its reply,
stop at a --quit-after/--drop-after point, say EHLO again, QUIT). The order of the
steps is in `flow.py`, which imports the steps; the steps import this module only.
"""

from __future__ import annotations

import time

from smtpcheck.knowledge.i18n import t
from smtpcheck.net.errors import SessionError
from smtpcheck.net.session import SmtpSession
from smtpcheck.net.transcript import Transcript
from smtpcheck.protocol import EhloInfo, Reply, commands, parse_ehlo
from smtpcheck.report.model import Report, Status, Step
from smtpcheck.scenarios.annotate import failure_explanation, reply_info
from smtpcheck.scenarios.send.options import ExitCode, SendOptions, Target


class StopSession(Exception):
    """Ends the transaction early with an exit code (a failed step, or --quit-after)."""

    def __init__(self, code: ExitCode) -> None:
        super().__init__(code.name)
        self.code = code


class ReconnectPlain(Exception):
    """The session must go on over a new connection without TLS (a failed
    `--tls-optional` handshake); the flow reconnects and says EHLO again."""


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
