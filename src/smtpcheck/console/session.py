"""The console engine: one typed line at a time, over `net.SmtpSession`, headless.

`ConsoleEngine.handle(line)` does what the line says: a console command (open, set,
auth, ...) or an SMTP line sent as typed, then shows the replies it gets. It never
prints: every line goes to `emit` as `Styled` text (and to the log file, when set). It
asks for input (user name, password, message text) through a `Prompter`, which the
prompt_toolkit front end and the script runner each provide. No prompt_toolkit here.

Network failures end in one clear line and the console carries on; a timeout keeps the
connection (a late reply is shown when it comes), anything else drops it.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Protocol

from smtpcheck.console import commands as console
from smtpcheck.console.messages import labels, msg
from smtpcheck.console.render import Styled, entry_lines, explanation_lines, paint, tls_lines
from smtpcheck.net.errors import FailureKind, SessionError
from smtpcheck.net.session import SmtpSession
from smtpcheck.net.tls import TlsConfigError, TlsOptions, build_context
from smtpcheck.net.transcript import Direction, Entry, Transcript
from smtpcheck.protocol import Reply, commands
from smtpcheck.protocol.ehlo import EhloInfo
from smtpcheck.protocol.sasl import MECHANISMS, Credentials, SaslError

Emit = Callable[[list[Styled]], None]


class Prompter(Protocol):
    """How the engine asks the person (or the script) for more input."""

    async def ask(self, prompt: str, *, secret: bool = False) -> str | None:
        """One answer; None when cancelled. A secret answer is never echoed or kept."""

    async def read_message(self, template: str) -> str | None:
        """The message text up to (not including) the line holding a single dot."""


@dataclass
class Settings:
    lang: str = "en"
    explain: bool = True
    timeout: float = 30.0
    tls_verify: bool = False
    ca_file: str | None = None
    sni: str | None = None
    dns: str | None = None
    raw_wait: float = 3.0


class ConsoleEngine:
    """The state of one console: settings, the connection, the last reply, the log."""

    def __init__(
        self,
        emit: Emit,
        prompter: Prompter,
        settings: Settings | None = None,
        *,
        watch_idle: bool = False,
        echo_commands: bool = False,
    ) -> None:
        self.emit = emit
        self.prompter = prompter
        self.settings = settings or Settings()
        self.watch_idle = watch_idle  # show what the server says between commands
        self.echo_commands = echo_commands  # script mode: show console commands run
        self.session: SmtpSession | None = None
        self.host: str | None = None  # the name we connected to (for SNI and checks)
        self.last_reply: Reply | None = None
        self.raw_mode = False
        self.errors = 0
        self.logfile: IO[str] | None = None
        self.logfile_path: str | None = None
        self.envelope_from: str | None = None
        self.envelope_to: list[str] = []
        self._sending_raw = False
        self._watcher: asyncio.Task[None] | None = None

    # -- what front ends look at --------------------------------------------------

    @property
    def connected(self) -> bool:
        return self.session is not None and self.session.connected

    @property
    def ehlo(self) -> EhloInfo | None:
        return self.session.protocol.ehlo if self.session is not None else None

    @property
    def in_auth_exchange(self) -> bool:
        """The server sent 334 and waits for a continuation line (a secret)."""
        return self.session is not None and self.session.protocol.state.value == "auth"

    def prompt_label(self) -> str:
        if self.raw_mode:
            return "raw> "
        if self.session is None:
            return "smtpcheck> "
        return f"{self.host}{' (tls)' if self.session.under_tls else ''}> "

    def _t(self, key: str, **fmt: object) -> str:
        return msg(key, self.settings.lang, **fmt)

    # -- output -------------------------------------------------------------------

    def show(self, lines: list[Styled], *, log: bool = True) -> None:
        self.emit(lines)
        if log and self.logfile is not None:
            self.logfile.write(paint(lines, colour=False))
            self.logfile.flush()

    def note(self, text: str) -> None:
        self.show([Styled("note", f"=== {text}")])

    def error(self, text: str) -> None:
        self.errors += 1
        self.show([Styled("error", f"*** {text}")])

    def info(self, text: str, *, log: bool = False) -> None:
        self.show([Styled("info", line) for line in text.split("\n")], log=log)

    def _on_entry(self, entry: Entry) -> None:
        raw = self._sending_raw and entry.direction is Direction.SENT
        if entry.direction is Direction.ERROR:
            self.errors += 1
        self.show(entry_lines(entry, raw=raw, explain=self.settings.explain))

    def _annotate(self, reply: Reply, step: str) -> str | None:
        from smtpcheck.knowledge.hints import normalize_step
        from smtpcheck.scenarios.annotate import short_meaning

        return short_meaning(reply, normalize_step(reply.command or step) or "", self.settings.lang)

    # -- the one entry point --------------------------------------------------------

    async def handle(self, line: str) -> bool:
        """Do what `line` says; False when the console should end."""
        await self.stop_watching()
        try:
            try:
                parsed = console.parse_line(line, raw_mode=self.raw_mode)
            except console.CommandError as exc:
                self.error(str(exc))
                return True
            if self.echo_commands and console.is_console_command(parsed):
                self.show([Styled("echo", f"smtpcheck> {line.strip()}")])
            return await self._dispatch(parsed)
        except (OSError, ValueError, RuntimeError, LookupError, AssertionError) as exc:
            # A bug or an odd system error must not end a session the user built by hand.
            self.error(self._t("unexpected", error=f"{type(exc).__name__}: {exc}"))
            return True
        finally:
            self.start_watching()

    async def _dispatch(self, parsed: console.Parsed) -> bool:
        match parsed:
            case console.Empty():
                pass
            case console.Open():
                await self.open(parsed)
            case console.Close():
                await self.close()
            case console.Quit():
                if self.session is None:
                    return False
                await self.smtp_line("QUIT")
                await self.close(quiet=True)
            case console.Exit():
                return False
            case console.Set():
                self.apply_setting(parsed)
            case console.StartTls():
                await self.smtp_line("STARTTLS")
            case console.AuthHelper():
                await self.authenticate(parsed.mechanism)
            case console.Data():
                await self.smtp_line("DATA")
            case console.Bdat():
                await self.bdat()
            case console.Explain():
                self.explain(parsed.text)
            case console.Raw(data=None):
                self.raw_mode = parsed.on
                self.note(self._t("raw.on" if parsed.on else "raw.off"))
            case console.Raw(data=bytes() as data):
                await self.send_raw(data)
            case console.Status():
                self.status()
            case console.Help():
                self.info(self._t("help"))
            case console.SmtpLine(text=text):
                await self.smtp_line(text)
        return True

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

    # -- talking ----------------------------------------------------------------------

    def _command_for(self, session: SmtpSession, text: str) -> commands.Command:
        if self.in_auth_exchange:  # an answer to a 334 challenge: a secret
            return commands.Command("", text, secret=True, line=text)
        verb, _, argument = text.strip().partition(" ")
        if verb.upper() == "AUTH" and len(argument.split()) > 1:
            return commands.Command("AUTH", argument.strip(), secret=True, line=text)
        return commands.raw(text)

    def _remember_envelope(self, text: str) -> None:
        upper = text.strip().upper()
        address = text[text.find("<") + 1 : text.find(">")] if "<" in text and ">" in text else ""
        if upper.startswith("MAIL FROM:"):
            self.envelope_from, self.envelope_to = address, []
        elif upper.startswith("RCPT TO:") and address:
            self.envelope_to.append(address)

    async def smtp_line(self, text: str) -> None:
        """Send one line as typed and show the replies it gets."""
        session = self._require()
        if session is None:
            return
        command = self._command_for(session, text)
        self._remember_envelope(text)
        step = (command.verb or "auth").lower()
        try:
            await session.send_command(command, step)
            await self._read_replies(step)
        except SessionError as exc:
            await self._failed(exc)

    async def _read_replies(self, step: str) -> None:
        while self.session is not None and self.session.protocol.expected:
            expected = self.session.protocol.expected[0].lower()
            reply = await self.session.read_reply(expected or step)
            self.last_reply = reply
            await self._after_reply(reply)

    async def _after_reply(self, reply: Reply) -> None:
        if reply.command == "DATA" and reply.code == 354:
            await self._message("data")
        elif reply.command == "STARTTLS" and reply.code == 220:
            await self._starttls()

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

    def message_template(self) -> str:
        """Headers to start a message from, filled from the envelope typed so far."""
        sender = self.envelope_from or "sender@example.com"
        recipients = ", ".join(f"<{r}>" for r in self.envelope_to) or "<recipient@example.com>"
        domain = sender.rpartition("@")[2] or "smtpcheck.invalid"
        return (
            f"From: <{sender}>\n"
            f"To: {recipients}\n"
            "Subject: \n"
            f"Date: {email.utils.formatdate(localtime=True)}\n"
            f"Message-ID: {email.utils.make_msgid(domain=domain)}\n"
            "\n"
        )

    async def _message(self, kind: str) -> None:
        """Message mode: read the text, then send it after DATA's 354 or as BDAT LAST."""
        assert self.session is not None
        self.note(self._t(f"message.{kind}"))
        text = await self.prompter.read_message(self.message_template())
        if self.session is None:
            return
        if text is None:
            self.note(self._t("message.abandoned"))
            await self._failed(SessionError(kind, FailureKind.OTHER, "message abandoned"))
            return
        body = text.encode("utf-8")
        if kind == "data":
            await self.session.send_message(body, "data")
            await self._read_replies("eod")
            return
        from smtpcheck.protocol.data import normalize_line_endings

        body = normalize_line_endings(body)
        if body and not body.endswith(b"\r\n"):
            body += b"\r\n"
        await self.session.send_bdat(body, last=True)
        await self._read_replies("eod")

    async def bdat(self) -> None:
        session = self._require()
        if session is None:
            return
        ehlo = session.protocol.ehlo
        if ehlo is None or not ehlo.has("CHUNKING"):
            self.error(self._t("bdat.not_offered"))
            return
        try:
            await self._message("bdat")
        except SessionError as exc:
            await self._failed(exc)

    async def authenticate(self, mechanism: str | None) -> None:
        session = self._require()
        if session is None:
            return
        offered = session.protocol.ehlo.auth_mechanisms if session.protocol.ehlo else ()
        if mechanism is None:
            mechanism = next((m for m in ("CRAM-MD5", "PLAIN", "LOGIN") if m in offered), None)
            if mechanism is None:
                self.error(self._t("auth.none_offered"))
                return
        elif offered and mechanism not in offered:
            self.note(self._t("auth.not_offered", mechanism=mechanism))
        user = await self.prompter.ask(self._t("auth.user"))
        if not user:
            return
        password = await self.prompter.ask(self._t("auth.password"), secret=True)
        if password is None:
            return
        credentials = Credentials(user, password)
        del password
        initial, answer = MECHANISMS[mechanism]
        try:
            await session.send_command(
                commands.auth(mechanism, initial(credentials) if initial else None), "auth"
            )
            while self.session is not None:
                reply = await session.read_reply("auth", (235, 334))
                self.last_reply = reply
                if reply.code != 334 or answer is None:
                    break
                try:
                    response = answer(credentials, reply.lines[0] if reply.lines else "")
                except SaslError as exc:
                    self.error(str(exc))
                    response = "*"
                await session.send_command(commands.auth_response(response), "auth")
        except SessionError as exc:
            await self._failed(exc)

    async def send_raw(self, data: bytes) -> None:
        """Raw mode: send exactly these bytes, then show what comes back for a while."""
        session = self._require()
        if session is None:
            return
        self._sending_raw = True
        try:
            if data.endswith(b"\n"):  # complete lines: the protocol tracks their replies
                await session.send_command(commands.raw(data), "raw")
            else:
                await session.write(data, "raw")
        except SessionError as exc:
            await self._failed(exc)
            return
        finally:
            self._sending_raw = False
        try:
            while self.session is not None:
                reply = await self._poll_reply(self.settings.raw_wait)
                if reply is None:
                    if self.session.protocol.expected:
                        self.note(self._t("raw.no_reply", seconds=self.settings.raw_wait))
                    break
                self.last_reply = reply
                if not self.session.protocol.expected:
                    break
        except SessionError as exc:
            await self._failed(exc)

    async def _poll_reply(self, seconds: float) -> Reply | None:
        """A reply if one comes within `seconds`, else None (and no error shown).

        Cancelling `read_reply` loses nothing: the stream keeps unread bytes and the
        protocol keeps a partial reply, so the next read carries on where this stopped.
        """
        assert self.session is not None
        wait = min(seconds, self.session.timeout / 2)
        try:
            return await asyncio.wait_for(self.session.read_reply("raw"), wait)
        except TimeoutError:
            return None

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

    # -- settings, status, explanations ---------------------------------------------

    def apply_setting(self, request: console.Set) -> None:
        name, value = request.name, request.value
        if name is None:
            self.show_settings()
            return
        if name not in console.SETTINGS:
            self.error(self._t("set.unknown", name=name, names=", ".join(console.SETTINGS)))
            return
        if name == "localecho":
            self.note(self._t("set.localecho"))
            return
        if name == "logfile":
            self._set_logfile(None if request.unset or (value or "").lower() == "off" else value)
            return
        if request.unset:
            value = {"explain": "on", "tls-verify": "off", "timeout": "30", "raw-wait": "3"}.get(
                name, ""
            )
        if value is None:
            self.show_settings(only=name)
            return
        try:
            self._set(name, value)
        except (ValueError, console.CommandError) as exc:
            self.error(f"set {name}: {exc}")
            return
        self.show_settings(only=name)

    def _set(self, name: str, value: str) -> None:
        if name == "explain":
            self.settings.explain = console.parse_on_off(value)
        elif name == "tls-verify":
            self.settings.tls_verify = console.parse_on_off(value)
        elif name in ("timeout", "raw-wait"):
            seconds = float(value.rstrip("s"))
            if seconds <= 0:
                raise ValueError("must be more than 0")
            if name == "timeout":
                self.settings.timeout = seconds
                if self.session is not None:
                    self.session.timeout = seconds
            else:
                self.settings.raw_wait = seconds
        elif name == "lang":
            if value not in ("en", "it"):
                raise ValueError("use en or it")
            self.settings.lang = value
        elif name == "ca-file":
            self.settings.ca_file = value or None
        elif name == "sni":
            self.settings.sni = value or None
        elif name == "dns":
            self.settings.dns = value or None

    def _set_logfile(self, path: str | None) -> None:
        if self.logfile is not None:
            self.logfile.close()
            self.note(self._t("log.stopped", path=self.logfile_path))
            self.logfile = self.logfile_path = None
        if not path:
            return
        path = os.path.expanduser(path)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            self.logfile = os.fdopen(descriptor, "a", encoding="utf-8")
        except OSError as exc:
            self.error(self._t("log.failed", path=path, reason=exc.strerror or exc))
            return
        self.logfile_path = path
        self.note(self._t("log.started", path=path))

    def show_settings(self, only: str | None = None) -> None:
        values = {
            "localecho": "on",
            "logfile": self.logfile_path or "off",
            "explain": "on" if self.settings.explain else "off",
            "timeout": f"{self.settings.timeout:g}s",
            "lang": self.settings.lang,
            "tls-verify": "on" if self.settings.tls_verify else "off",
            "ca-file": self.settings.ca_file or "-",
            "sni": self.settings.sni or "-",
            "dns": self.settings.dns or "-",
            "raw-wait": f"{self.settings.raw_wait:g}s",
        }
        names = [only] if only else list(values)
        self.info("\n".join(f"{name} = {values[name]}" for name in names))

    def status(self) -> None:
        session = self.session
        if session is None:
            self.info(self._t("not_connected"))
            return
        peer = f"{session.peer[0]} port {session.peer[1]}" if session.peer else "?"
        lines = [self._t("status.connected", host=self.host, peer=peer)]
        lines.append(f"TLS: {session.tls.summary() if session.tls else '-'}")
        lines.append(self._t("status.state", state=session.protocol.state.value))
        ehlo = session.protocol.ehlo
        if ehlo is not None:
            lines.append(self._t("status.extensions", keywords=" ".join(ehlo.keywords) or "-"))
        self.info("\n".join(lines))

    def explain(self, text: str) -> None:
        from smtpcheck.knowledge import explain_text
        from smtpcheck.knowledge.hints import normalize_step
        from smtpcheck.scenarios.annotate import failure_explanation

        lang = self.settings.lang
        if text:
            try:
                known = explain_text(text, None, lang)
            except ValueError as exc:
                self.error(str(exc))
                return
            self.show(explanation_lines(known, None, labels(lang)), log=False)
            return
        reply = self.last_reply
        if reply is None:
            self.error(self._t("explain.nothing"))
            return
        if reply.command in ("EHLO", "LHLO") and reply.is_success and self.ehlo is not None:
            self._explain_ehlo(self.ehlo)
            return
        from smtpcheck.knowledge import explain_reply

        step = normalize_step(reply.command)
        enhanced = str(reply.enhanced_status) if reply.enhanced_status else None
        try:
            known = explain_reply(reply.code, enhanced, reply.text, step, lang)
        except ValueError as exc:
            self.error(str(exc))
            return
        failure = None
        if reply.code >= 400:
            failure = failure_explanation(reply, step or "", lang)
        self.show(explanation_lines(known, failure, labels(lang)), log=False)

    def _explain_ehlo(self, ehlo: EhloInfo) -> None:
        from smtpcheck.knowledge import explain_ehlo_keyword

        lines = [Styled("heading", self._t("explain.ehlo", host=ehlo.hostname))]
        for keyword, params in ehlo.keywords.items():
            info = explain_ehlo_keyword(keyword, params, self.settings.lang)
            shown = " ".join((keyword, *params))
            detail = f" ({info.params_meaning})" if info.params_meaning else ""
            lines.append(Styled("info", f"  {shown}: {info.meaning}{detail}"))
        self.show(lines, log=False)

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
