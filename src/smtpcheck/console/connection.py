"""The console's connection: open (a host, or a domain's MX hosts), STARTTLS, close.

Functions over a `ConsoleState` (console/state.py). Network failures end in one clear
line and the console carries on: a timeout keeps the connection (a late reply is shown
when it comes), anything else drops it (`after_failure`). Between commands an
`IdleWatcher` shows what the server says unasked (a 421, a closed connection).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import ssl

from smtpcheck.console import commands as console
from smtpcheck.console.messages import labels
from smtpcheck.console.render import entry_lines, tls_lines
from smtpcheck.console.state import ConsoleState
from smtpcheck.net.errors import FailureKind, SessionError
from smtpcheck.net.session import SmtpSession
from smtpcheck.net.tls import TlsConfigError, TlsOptions, build_context
from smtpcheck.net.transcript import Transcript
from smtpcheck.protocol import Reply
from smtpcheck.transcript_entry import Direction, Entry


def tls_context(state: ConsoleState) -> ssl.SSLContext:
    settings = state.settings
    return build_context(TlsOptions(verify=settings.tls_verify, ca_file=settings.ca_file))


def _new_session(state: ConsoleState) -> SmtpSession:
    """A session whose transcript entries are shown (and logged) as they happen."""

    def show_entry(entry: Entry) -> None:
        raw = state.sending_raw and entry.direction is Direction.SENT
        if entry.direction is Direction.ERROR:
            state.output.errors += 1
        state.output.show(entry_lines(entry, raw=raw, explain=state.settings.explain))

    def annotate(reply: Reply, step: str) -> str | None:
        from smtpcheck.knowledge.hints import normalize_step
        from smtpcheck.scenarios.annotate import short_meaning

        lang = state.settings.lang
        return short_meaning(reply, normalize_step(reply.command or step) or "", lang)

    transcript = Transcript(lang=state.settings.lang)
    transcript.add_listener(show_entry)
    return SmtpSession(transcript, timeout=state.settings.timeout, annotator=annotate)


async def open_connection(state: ConsoleState, request: console.Open) -> None:
    out = state.output
    if state.session is not None:
        out.error(state.t("open.already", host=state.host))
        return
    port = request.port or (465 if request.tls else 25)
    targets: list[tuple[str, str]]  # (address or name to connect to, name for TLS)
    if "@" in request.target:
        found = await _mail_hosts(state, request.target.rpartition("@")[2])
        if not found:
            return
        targets = found
    else:
        targets = [(request.target, request.target)]
    context = None
    if request.tls:
        try:
            context = tls_context(state)
        except TlsConfigError as exc:
            out.error(str(exc))
            return
    errors_before = out.errors
    for address, name in targets:
        session = _new_session(state)
        out.note(state.t("open.trying", host=address, port=port))
        try:
            await session.connect(
                address,
                port,
                tls_context=context,
                server_hostname=state.settings.sni or name,
            )
        except SessionError:
            continue  # the transcript has said why
        # An MX host that failed before this one worked is shown, not a failed step
        # (the exit status of a script; `send` calls it a warning too).
        out.errors = errors_before
        state.session, state.host = session, name
        state.envelope.sender, state.envelope.recipients = None, []
        if session.tls is not None:
            show_tls(state)
        try:
            state.last_reply = await session.read_reply("banner", (220,))
        except SessionError as exc:
            await after_failure(state, exc)
        return
    if len(targets) > 1:
        out.error(state.t("open.none"))


async def _mail_hosts(state: ConsoleState, domain: str) -> list[tuple[str, str]]:
    from smtpcheck.dns.errors import DnsError
    from smtpcheck.dns.mx import mail_targets
    from smtpcheck.knowledge.dns import explain_dns_error

    settings = state.settings
    state.output.note(state.t("open.mx", domain=domain))
    try:
        found = await mail_targets(domain, dns=settings.dns, timeout=min(settings.timeout, 10.0))
    except Exception as exc:  # the dns layer reports each failure as its own exception
        reason: object = exc
        if isinstance(exc, DnsError):  # a code and facts: the words in the user's language
            reason = explain_dns_error(exc.code, settings.lang, **exc.facts)
        state.output.error(state.t("open.mx_failed", domain=domain, reason=reason))
        return []
    for host, ip, preference in found:
        state.output.note(f"MX {preference} {host} -> {ip}")
    return [(ip, host) for host, ip, _ in found]


async def close(state: ConsoleState, *, quiet: bool = False) -> None:
    session, state.session = state.session, None
    if session is None:
        if not quiet:
            state.output.error(state.t("not_connected"))
        return
    await session.close()
    state.output.note(state.t("closed"))


async def drop(state: ConsoleState) -> None:
    """Drop the connection without a word (after an interrupt, or when leaving)."""
    session, state.session = state.session, None
    if session is not None:
        await session.close()


async def after_failure(state: ConsoleState, exc: SessionError) -> None:
    """After a failed step: keep the connection on a timeout, drop it otherwise."""
    if exc.kind is FailureKind.TIMEOUT and state.connected:
        state.output.note(state.t("timeout.kept"))
        return
    await drop(state)
    state.output.note(state.t("lost"))


def require(state: ConsoleState) -> SmtpSession | None:
    """The session, or None after saying that there is none."""
    if state.session is None:
        state.output.error(state.t("not_connected"))
    return state.session


async def starttls(state: ConsoleState, session: SmtpSession) -> None:
    """The TLS handshake after the server's 220 to STARTTLS, then its summary."""
    try:
        context = tls_context(state)
    except TlsConfigError as exc:
        state.output.error(str(exc))
        await close(state, quiet=True)
        return
    await session.starttls(context, server_hostname=state.settings.sni or state.host)
    show_tls(state)


def show_tls(state: ConsoleState) -> None:
    from smtpcheck.net.verify import verify_chain

    assert state.session is not None and state.session.tls is not None
    info = state.session.tls
    result = verify_chain(
        [cert.der for cert in info.chain],
        host=state.settings.sni or state.host or "",
        ca_path=state.settings.ca_file,
    )
    verdict = result.problem() or "ok"
    state.output.show(tls_lines(info, verdict, labels(state.settings.lang)))


class IdleWatcher:
    """Between commands, shows what the server says unasked (a 421, a closed connection)."""

    def __init__(self, state: ConsoleState) -> None:
        self._state = state
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._state.session is not None and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._watch())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _watch(self) -> None:
        state = self._state
        while state.session is not None:
            try:
                # No deadline at the prompt: the user may think for as long as they like;
                # stop() cancels this read when the next command starts.
                reply = await state.session.read_reply("idle", timeout=math.inf)
            except SessionError as exc:
                self._task = None
                await after_failure(state, exc)
                return
            state.last_reply = reply
