"""Console commands answered without the server: set, status and explain.

A mixin of `ConsoleEngine` (console/session.py). `set` changes the settings (and opens
or closes the log file), `status` shows the connection, `explain` says what the last
reply (or a code typed after it) means, with the likely causes and fixes of a failure.
"""

from __future__ import annotations

import os

from smtpcheck.console import commands as console
from smtpcheck.console.engine_state import EngineState
from smtpcheck.console.messages import labels
from smtpcheck.console.render import Styled, explanation_lines
from smtpcheck.protocol.ehlo import EhloInfo


class LocalCommands(EngineState):
    """Settings, status and explanations."""

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
