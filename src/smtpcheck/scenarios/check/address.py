"""One address of one mail host, tested from TCP connect to QUIT: `AddressCheck`.

The steps (connect, banner, reverse DNS, EHLO, STARTTLS, TLS, certificate, EHLO again,
MAIL, RCPT, the probes, DATA with --send, QUIT) become children of one `address` step,
each with what was sent and received, its time, status and findings. The reverse DNS
lookups run while the session does. A network failure ends the session at the step it
hit, explained; cancellation (the overall time limit) marks the step under way. When
STARTTLS or the TLS handshake breaks the session, a second connection goes on without
STARTTLS (a `reconnect` step, then connect, banner, EHLO, MAIL, RCPT...), as a sending
server with opportunistic TLS does; the TLS failure stays a finding.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Coroutine
from typing import Any

from smtpcheck.checks.banner import banner_host, check_banner
from smtpcheck.checks.certificate import check_certificate
from smtpcheck.checks.ehlo import capability_steps, check_ehlo
from smtpcheck.checks.rdns import RdnsFacts, check_rdns
from smtpcheck.checks.tls import check_tls_session
from smtpcheck.knowledge.i18n import t
from smtpcheck.net.errors import FailureKind, SessionError
from smtpcheck.net.tls import TlsOptions, build_context
from smtpcheck.protocol import EhloInfo, ProtocolError, commands, parse_ehlo
from smtpcheck.report.model import Status, Step, TranscriptLine
from smtpcheck.scenarios.annotate import failure_explanation
from smtpcheck.scenarios.check.conversation import Conversation
from smtpcheck.scenarios.check.options import CheckOptions
from smtpcheck.scenarios.check.session_steps import envelope_steps, settle, worst

RdnsLookup = Callable[[str], Coroutine[Any, Any, RdnsFacts]]

#: a session broken at these steps is tried again in plain text (opportunistic TLS)
TLS_STEPS = ("starttls", "tls", "ehlo-tls")


class AddressCheck:
    """The whole SMTP test of one (host name, address) pair."""

    def __init__(
        self,
        options: CheckOptions,
        host: str,
        ip: str,
        family: int,
        *,
        roots: list[Any],
        rdns: RdnsLookup | None,
        recipient: str,
        port: int,
    ) -> None:
        self.options = options
        self.lang = options.lang
        self.host = host
        self.ip = ip
        self.port = port
        self.roots = roots
        self.rdns = rdns
        self.subject = f"{host} [{ip}]" if host != ip else ip
        self.step = Step(
            name="address",
            title=t("check.step.address", self.lang, ip=ip, family=family),
            data={"host": host, "ip": ip, "family": family, "port": port},
        )
        self.conversation = Conversation(options, self.step, self.subject, recipient)
        self.connect_failure: FailureKind | None = None
        self._banner_name: str | None = None
        self._ehlo_name: str | None = None

    @property
    def accepted(self) -> bool:
        """The recipient under test was accepted (and with --send, the message)."""
        return self.conversation.accepted

    # -- the run ------------------------------------------------------------------

    async def run(self) -> Step:
        """Test the address; never raises except for cancellation (marked first)."""
        started = time.monotonic()
        rdns_task = asyncio.create_task(self.rdns(self.ip)) if self.rdns else None
        try:
            await self._session()
        except SessionError as exc:
            self._session_failed(exc)
        except (ValueError, OSError, ProtocolError) as exc:  # report, never raise
            self._session_failed(SessionError("session", FailureKind.OTHER, str(exc)))
        except Exception as exc:  # a bug of ours: still a report, never a traceback
            detail = f"internal error: {type(exc).__name__}: {exc}"
            self._session_failed(SessionError("session", FailureKind.OTHER, detail))
        except asyncio.CancelledError:
            self._cancelled()
            if rdns_task is not None:
                rdns_task.cancel()
            raise
        finally:
            if self.conversation.session is not None:
                with contextlib.suppress(Exception):
                    await self.conversation.session.close()
            self._finish(started)
        if rdns_task is not None:
            facts = await rdns_task
            self._add_rdns(facts)
        self._finish(started)
        return self.step

    def _finish(self, started: float) -> None:
        self.step.duration_ms = (time.monotonic() - started) * 1000
        self.step.status = worst(self.step.children, self.step.findings)
        self.step.transcript = [
            TranscriptLine.from_entry(entry) for entry in self.conversation.transcript.entries
        ]
        self.conversation.progress(self.step)

    def _cancelled(self) -> None:
        step = self.conversation.current or self.conversation.add(
            "connect", t("check.step.connect", self.lang, port=self.port)
        )
        if step.status in (Status.INFO, Status.SKIPPED) and step.reply is None:
            step.status = Status.FAIL
            step.detail = t(
                "check.step.time_limit", self.lang, seconds=f"{self.options.timeout_total:g}"
            )
        self.conversation.finding(step, Status.FAIL, "time-limit")

    def _session_failed(self, exc: SessionError) -> None:
        step = self.conversation.current
        if step is None or step.name != exc.step or step.reply is not None:
            step = self.conversation.add(exc.step, exc.step)
        step.status = Status.FAIL
        step.detail = exc.message
        step.explanation = failure_explanation(None, exc.step, self.lang, exc.kind)
        seconds = f"{self.options.timeout:g}"
        finding = self.conversation.finding
        if exc.step == "connect":
            self.connect_failure = exc.kind
            if exc.kind is FailureKind.REFUSED:
                finding(step, Status.FAIL, "connect-refused", ip=self.ip, port=self.port)
            elif exc.kind is FailureKind.TIMEOUT:
                finding(
                    step,
                    Status.FAIL,
                    "connect-timeout",
                    ip=self.ip,
                    port=self.port,
                    seconds=seconds,
                )
            else:
                finding(
                    step,
                    Status.FAIL,
                    "connect-failed",
                    ip=self.ip,
                    port=self.port,
                    detail=exc.message,
                )
        elif exc.step == "banner" and exc.kind is FailureKind.TIMEOUT:
            finding(step, Status.FAIL, "banner-timeout", ip=self.ip, seconds=seconds)
        elif exc.step == "tls":
            finding(step, Status.FAIL, "tls-handshake-failed", detail=exc.message)
        else:
            finding(step, Status.FAIL, "session-failed", step=exc.step, detail=exc.message)

    async def _session(self) -> None:
        if not await self._open():
            return
        info = await self._ehlo("ehlo")
        if info is False:
            return
        reconnect = None
        if isinstance(info, EhloInfo) and info.has("STARTTLS") and self.options.starttls:
            try:
                info = await self._starttls(info)
            except SessionError as exc:
                if exc.step not in TLS_STEPS:
                    raise
                self._session_failed(exc)  # the TLS failure stays a finding
                reconnect, info = await self._reconnect_plain()
            if info is False:
                return
        await envelope_steps(self.conversation, info if isinstance(info, EhloInfo) else None)
        if reconnect is not None and self.conversation.accepted:
            reconnect.detail = t("check.step.reconnect_reached", self.lang)  # seen in the tree
            self.conversation.finding(reconnect, Status.INFO, "tls-fallback-plain")

    async def _open(self) -> bool:
        """A new connection and its greeting; True when the server said 220."""
        session = self.conversation.new_session()
        step = self.conversation.add("connect", t("check.step.connect", self.lang, port=self.port))
        started = time.monotonic()
        await session.connect(self.ip, self.port)
        step.duration_ms = (time.monotonic() - started) * 1000
        step.status = Status.PASS
        step.data = {"peer": list(session.peer or ()), "local": list(session.local or ())}

        step = self.conversation.add("banner", t("check.step.banner", self.lang))
        started = time.monotonic()
        reply = await session.read_reply("banner", (220,))
        self.conversation.record(step, reply, reply.code == 220, started)
        step.findings += check_banner(
            reply.code, reply.lines, (step.duration_ms or 0) / 1000, self.lang, subject=self.subject
        )
        if reply.code != 220:
            return False
        settle(step)
        self._banner_name = banner_host(reply.lines)
        return True

    async def _reconnect_plain(self) -> tuple[Step, EhloInfo | bool | None]:
        """After STARTTLS or its handshake broke the session: connect again and go on
        without STARTTLS, as a sending MTA with opportunistic TLS does."""
        with contextlib.suppress(Exception):
            await self.conversation.need_session().close()
        step = self.conversation.add("reconnect", t("check.step.reconnect", self.lang))
        step.status = Status.INFO
        self.conversation.transcript.note(t("check.step.reconnect", self.lang))
        if not await self._open():
            return step, False
        return step, await self._ehlo("ehlo")

    async def _ehlo(self, name: str) -> EhloInfo | bool | None:
        """EHLO (HELO fallback): the capabilities, None for HELO only, False: refused."""
        ehlo_name = self.options.ehlo
        title = (
            t("check.step.ehlo", self.lang, name=ehlo_name)
            if name == "ehlo"
            else t("check.step.ehlo_tls", self.lang)
        )
        command = commands.ehlo(ehlo_name)
        step, reply = await self.conversation.exchange(name, title, command, (250,))
        if reply.code == 250:
            info = parse_ehlo(reply)
            self._ehlo_name = info.hostname or None
            step.data = {"keywords": {k: list(v) for k, v in info.keywords.items()}}
            step.children = capability_steps(info, self.lang)
            under_tls = self.conversation.need_session().under_tls
            step.findings += check_ehlo(info, self.lang, under_tls=under_tls, subject=self.subject)
            settle(step)
            return info
        if name == "ehlo" and reply.code in (500, 502, 504):
            step.status = Status.WARN
            helo, reply = await self.conversation.exchange(
                "helo",
                t("check.step.helo", self.lang, name=ehlo_name),
                commands.helo(ehlo_name),
                (250,),
            )
            if reply.code == 250:
                helo.findings += check_ehlo(None, self.lang, under_tls=False, subject=self.subject)
                helo.status = Status.WARN
                return None
        self.conversation.finding(
            step, Status.FAIL, "ehlo-refused", code=reply.code, text=" ".join(reply.lines[:1])
        )
        return False

    async def _starttls(self, info: EhloInfo) -> EhloInfo | bool | None:
        session = self.conversation.need_session()
        step, reply = await self.conversation.exchange(
            "starttls", t("check.step.starttls", self.lang), commands.starttls(), (220,)
        )
        if reply.code != 220:
            self.conversation.finding(
                step,
                Status.FAIL,
                "starttls-refused",
                code=reply.code,
                text=" ".join(reply.lines[:1]),
            )
            return info  # go on in plain text, as a sender would
        # No verification during the handshake: the chain is verified afterwards, so
        # one connection yields every finding.
        context = build_context(TlsOptions(verify=False, min_version="tlsv1"))
        tls_step = self.conversation.add("tls", t("check.step.tls", self.lang))
        started = time.monotonic()
        tls = await session.starttls(context, self.host)
        tls_step.duration_ms = (time.monotonic() - started) * 1000
        tls_step.detail = tls.summary()
        tls_step.data = {k: v for k, v in tls.to_dict().items() if k != "chain"}
        tls_step.findings += check_tls_session(
            tls.version, tls.cipher, tls.bits, self.lang, subject=self.subject
        )
        settle(tls_step)
        cert_step = self.conversation.add("certificate", t("check.step.certificate", self.lang))
        cert_step.data = {"chain": [cert.to_dict() for cert in tls.chain]}
        if tls.chain:
            leaf = tls.chain[0]
            cert_step.detail = f"{leaf.subject} — {leaf.issuer}"
        cert_step.findings += check_certificate(
            [cert.der for cert in tls.chain],
            self.host,
            self.roots,
            self.lang,
            subject=self.subject,
        )
        settle(cert_step)
        result = await self._ehlo("ehlo-tls")
        return result

    def _add_rdns(self, facts: RdnsFacts) -> None:
        step = Step(name="rdns", title=t("check.step.rdns", self.lang, ip=self.ip))
        step.detail = ", ".join(facts.ptr_names) or facts.ptr_status
        step.data = {
            "ptr": list(facts.ptr_names),
            "status": facts.ptr_status,
            "forward": {k: list(v) for k, v in facts.forward.items()},
        }
        step.findings = check_rdns(
            facts,
            self.lang,
            banner_name=self._banner_name,
            ehlo_name=self._ehlo_name,
            subject=self.subject,
        )
        step.status = worst([], step.findings)
        # After connect and banner, where a reader looks for it.
        position = min(2, len(self.step.children))
        self.step.children.insert(position, step)
