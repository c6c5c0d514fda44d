"""The SMTP conversation with one address of `check`, recorded as report steps.

`Conversation` is what the steps of an address test share: the options, the open
session and its transcript, the `address` step the others hang under, and the helpers
that add a step, exchange a command and record its reply, or attach a finding. The
order of the steps is in `address.py` (connect to STARTTLS) and `session_steps.py`
(MAIL to QUIT); both take a `Conversation`, neither imports the other's caller.
"""

from __future__ import annotations

import time

from smtpcheck.checks import make_finding
from smtpcheck.net.session import SmtpSession
from smtpcheck.net.transcript import Transcript
from smtpcheck.protocol import Reply, commands
from smtpcheck.report.model import Status, Step
from smtpcheck.scenarios.annotate import failure_explanation, reply_info, short_meaning
from smtpcheck.scenarios.check.options import CheckOptions


class Conversation:
    """One address's session and the steps recorded so far (children of `parent`)."""

    def __init__(self, options: CheckOptions, parent: Step, subject: str, recipient: str) -> None:
        self.options = options
        self.lang = options.lang
        self.parent = parent
        self.subject = subject  # "host [ip]": what the findings are about
        self.recipient = recipient
        self.transcript = Transcript(lang=self.lang)
        self.session: SmtpSession | None = None
        self.current: Step | None = None  # the step under way (marked if the run is cut)
        self.accepted = False  # the recipient under test was accepted

    def new_session(self) -> SmtpSession:
        """A fresh (unconnected) session writing to this conversation's transcript."""
        self.session = SmtpSession(
            self.transcript,
            timeout=self.options.timeout,
            annotator=lambda reply, step: short_meaning(reply, step, self.lang),
            address_policy=self.options.address_policy,
        )
        return self.session

    def need_session(self) -> SmtpSession:
        assert self.session is not None
        return self.session

    def add(self, name: str, title: str, command: str | None = None) -> Step:
        step = Step(name=name, title=title, command=command)
        self.parent.children.append(step)
        self.current = step
        self.progress(step)
        return step

    def progress(self, step: Step) -> None:
        """Tell the caller's hook (`CheckOptions.on_step`, e.g. the web page) of a step."""
        if self.options.on_step is not None:
            self.options.on_step(step)

    async def exchange(
        self, name: str, title: str, command: commands.Command, expect: tuple[int, ...]
    ) -> tuple[Step, Reply]:
        session = self.need_session()
        step = self.add(name, title, session.shown(command).decode(errors="replace"))
        started = time.monotonic()
        reply = await session.command(command, name, expect)
        self.record(step, reply, reply.code in expect, started)
        return step, reply

    def record(self, step: Step, reply: Reply, ok: bool, started: float) -> None:
        step.duration_ms = (time.monotonic() - started) * 1000
        step.reply = reply_info(reply, step.name, self.lang)
        step.status = Status.PASS if ok else Status.FAIL
        if not ok:
            step.explanation = failure_explanation(reply, step.name, self.lang)

    def finding(self, step: Step, status: Status, code: str, /, **fmt: object) -> None:
        step.findings.append(make_finding(status, code, self.lang, subject=self.subject, **fmt))
