"""The console's connection: open (a host, or a domain's MX hosts), STARTTLS, close.

A mixin of `ConsoleEngine` (console/session.py). Network failures end in one clear
line and the console carries on: a timeout keeps the connection (a late reply is shown
when it comes), anything else drops it (`_failed`). Between commands a watcher shows
what the server says unasked (a 421, a closed connection).
"""

from __future__ import annotations

import asyncio
import contextlib
import math

from smtpcheck.console import commands as console
from smtpcheck.console.engine_state import EngineState
from smtpcheck.console.messages import labels
from smtpcheck.console.render import tls_lines
from smtpcheck.net.errors import FailureKind, SessionError
from smtpcheck.net.session import SmtpSession
from smtpcheck.net.tls import TlsConfigError, TlsOptions, build_context
from smtpcheck.net.transcript import Transcript


class Connection(EngineState):
    """Connecting, STARTTLS, the idle watcher and closing."""

    # -- connecting -----------------------------------------------------------------

    def _tls_context(self) -> object:
        return build_context(
            TlsOptions(verify=self.settings.tls_verify, ca_file=self.settings.ca_file)
        )

    async def open(self, request: console.Open) -> None:
        if self.session is not None:
            self.error(self._t("open.already", host=self.host))
            return
        port = request.port or (465 if request.tls else 25)
        targets: list[tuple[str, str]]  # (address or name to connect to, name for TLS)
        if "@" in request.target:
            found = await self._mail_hosts(request.target.rpartition("@")[2])
            if not found:
                return
            targets = found
        else:
            targets = [(request.target, request.target)]
        context = None
        if request.tls:
            try:
                context = self._tls_context()
            except TlsConfigError as exc:
                self.error(str(exc))
                return
        errors_before = self.errors
        for address, name in targets:
            transcript = Transcript()
            transcript.add_listener(self._on_entry)
            session = SmtpSession(
                transcript, timeout=self.settings.timeout, annotator=self._annotate
            )
            self.note(self._t("open.trying", host=address, port=port))
            try:
                await session.connect(
                    address,
                    port,
                    tls_context=context,  # type: ignore[arg-type]
                    server_hostname=self.settings.sni or name,
                )
            except SessionError:
                continue  # the transcript has said why
            # An MX host that failed before this one worked is shown, not a failed step
            # (the exit status of a script; `send` calls it a warning too).
            self.errors = errors_before
            self.session, self.host = session, name
            self.envelope_from, self.envelope_to = None, []
            if session.tls is not None:
                self._show_tls()
            try:
                self.last_reply = await session.read_reply("banner", (220,))
            except SessionError as exc:
                await self._failed(exc)
            return
        if len(targets) > 1:
            self.error(self._t("open.none"))

    async def _mail_hosts(self, domain: str) -> list[tuple[str, str]]:
        from smtpcheck.dns.mx import mail_targets

        self.note(self._t("open.mx", domain=domain))
        try:
            found = await mail_targets(
                domain, dns=self.settings.dns, timeout=min(self.settings.timeout, 10.0)
            )
        except Exception as exc:  # the dns layer reports each failure as its own exception
            self.error(self._t("open.mx_failed", domain=domain, reason=exc))
            return []
        for host, ip, preference in found:
            self.note(f"MX {preference} {host} -> {ip}")
        return [(ip, host) for host, ip, _ in found]

    async def close(self, *, quiet: bool = False) -> None:
        session, self.session = self.session, None
        if session is None:
            if not quiet:
                self.error(self._t("not_connected"))
            return
        await session.close()
        self.note(self._t("closed"))

    async def _failed(self, exc: SessionError) -> None:
        """After a failed step: keep the connection on a timeout, drop it otherwise."""
        if exc.kind is FailureKind.TIMEOUT and self.connected:
            self.note(self._t("timeout.kept"))
            return
        session, self.session = self.session, None
        if session is not None:
            await session.close()
        self.note(self._t("lost"))

    def _require(self) -> SmtpSession | None:
        if self.session is None:
            self.error(self._t("not_connected"))
        return self.session

    async def _starttls(self) -> None:
        assert self.session is not None
        try:
            context = self._tls_context()
        except TlsConfigError as exc:
            self.error(str(exc))
            await self.close(quiet=True)
            return
        name = self.settings.sni or self.host
        await self.session.starttls(context, server_hostname=name)  # type: ignore[arg-type]
        self._show_tls()

    def _show_tls(self) -> None:
        from smtpcheck.net.verify import verify_chain

        assert self.session is not None and self.session.tls is not None
        info = self.session.tls
        result = verify_chain(
            [cert.der for cert in info.chain],
            host=self.settings.sni or self.host or "",
            ca_path=self.settings.ca_file,
        )
        verdict = result.problem() or "ok"
        self.show(tls_lines(info, verdict, labels(self.settings.lang)))

    # -- between commands ---------------------------------------------------------

    def start_watching(self) -> None:
        """Show replies (a 421, a closed connection) that come while nobody asked."""
        if self.watch_idle and self.session is not None and self._watcher is None:
            self._watcher = asyncio.get_running_loop().create_task(self._watch())

    async def stop_watching(self) -> None:
        watcher, self._watcher = self._watcher, None
        if watcher is not None and not watcher.done():
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher

    async def _watch(self) -> None:
        while self.session is not None:
            try:
                # No deadline at the prompt: the user may think for as long as they like;
                # stop_watching cancels this read when the next command starts.
                reply = await self.session.read_reply("idle", timeout=math.inf)
            except SessionError as exc:
                self._watcher = None
                await self._failed(exc)
                return
            self.last_reply = reply

    # -- leaving ------------------------------------------------------------------------

    async def shutdown_connection(self) -> None:
        """Drop the connection at once (after an interrupt: its state is unknown)."""
        await self.stop_watching()
        session, self.session = self.session, None
        if session is not None:
            await session.close()

    async def shutdown(self) -> None:
        """Leave nothing open: the watcher, the connection (no QUIT), the log file."""
        await self.stop_watching()
        if self.session is not None:
            session, self.session = self.session, None
            await session.close()
        if self.logfile is not None:
            self.logfile.close()
            self.logfile = None
