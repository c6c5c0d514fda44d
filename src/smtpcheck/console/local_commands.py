"""Console commands answered without the server: set, status and explain.

Functions over a `ConsoleState` (console/state.py). `set` changes the settings (and
opens or closes the log file), `status` shows the connection, `explain` says what the
last reply (or a code typed after it) means, with the likely causes and fixes of a
failure.
"""

from __future__ import annotations

import os

from smtpcheck.console import commands as console
from smtpcheck.console.messages import labels
from smtpcheck.console.render import Styled, explanation_lines
from smtpcheck.console.state import ConsoleState, Settings
from smtpcheck.protocol.ehlo import EhloInfo

#: what `unset NAME` goes back to (the rest go back to "not set")
_DEFAULTS = {"explain": "on", "tls-verify": "off", "timeout": "30", "raw-wait": "3"}


def apply_setting(state: ConsoleState, request: console.Set) -> None:
    """`set`, `set NAME`, `set NAME VALUE`, `unset NAME`."""
    name, value = request.name, request.value
    if name is None:
        show_settings(state)
        return
    if name not in console.SETTINGS:
        state.output.error(state.t("set.unknown", name=name, names=", ".join(console.SETTINGS)))
        return
    if name == "localecho":
        state.output.note(state.t("set.localecho"))
        return
    if name == "logfile":
        off = request.unset or (value or "").lower() == "off"
        _set_logfile(state, None if off else value)
        return
    if request.unset:
        value = _DEFAULTS.get(name, "")
    if value is None:
        show_settings(state, only=name)
        return
    try:
        _set(state.settings, name, value)
    except (ValueError, console.CommandError) as exc:
        state.output.error(f"set {name}: {exc}")
        return
    if name == "timeout" and state.session is not None:
        state.session.timeout = state.settings.timeout
    show_settings(state, only=name)


def _set(settings: Settings, name: str, value: str) -> None:
    if name == "explain":
        settings.explain = console.parse_on_off(value)
    elif name == "tls-verify":
        settings.tls_verify = console.parse_on_off(value)
    elif name in ("timeout", "raw-wait"):
        seconds = float(value.rstrip("s"))
        if seconds <= 0:
            raise ValueError("must be more than 0")
        if name == "timeout":
            settings.timeout = seconds
        else:
            settings.raw_wait = seconds
    elif name == "lang":
        if value not in ("en", "it"):
            raise ValueError("use en or it")
        settings.lang = value
    elif name == "ca-file":
        settings.ca_file = value or None
    elif name == "sni":
        settings.sni = value or None
    elif name == "dns":
        settings.dns = value or None


def _set_logfile(state: ConsoleState, path: str | None) -> None:
    out = state.output
    stopped = out.stop_log()
    if stopped is not None:
        out.note(state.t("log.stopped", path=stopped))
    if not path:
        return
    path = os.path.expanduser(path)
    try:
        out.start_log(path)
    except OSError as exc:
        out.error(state.t("log.failed", path=path, reason=exc.strerror or exc))
        return
    out.note(state.t("log.started", path=path))


def show_settings(state: ConsoleState, only: str | None = None) -> None:
    settings = state.settings
    values = {
        "localecho": "on",
        "logfile": state.output.logfile_path or "off",
        "explain": "on" if settings.explain else "off",
        "timeout": f"{settings.timeout:g}s",
        "lang": settings.lang,
        "tls-verify": "on" if settings.tls_verify else "off",
        "ca-file": settings.ca_file or "-",
        "sni": settings.sni or "-",
        "dns": settings.dns or "-",
        "raw-wait": f"{settings.raw_wait:g}s",
    }
    names = [only] if only else list(values)
    state.output.info("\n".join(f"{name} = {values[name]}" for name in names))


def status(state: ConsoleState) -> None:
    session = state.session
    if session is None:
        state.output.info(state.t("not_connected"))
        return
    peer = f"{session.peer[0]} port {session.peer[1]}" if session.peer else "?"
    lines = [state.t("status.connected", host=state.host, peer=peer)]
    lines.append(f"TLS: {session.tls.summary() if session.tls else '-'}")
    lines.append(state.t("status.state", state=session.protocol.state.value))
    ehlo = session.protocol.ehlo
    if ehlo is not None:
        lines.append(state.t("status.extensions", keywords=" ".join(ehlo.keywords) or "-"))
    state.output.info("\n".join(lines))


def explain(state: ConsoleState, text: str) -> None:
    """`explain` (the last reply) or `explain REPLY` (a reply pasted after it)."""
    from smtpcheck.knowledge.explain import explain_reply, explain_text
    from smtpcheck.knowledge.hints import normalize_step
    from smtpcheck.scenarios.annotate import failure_explanation, report_explanation

    out, lang = state.output, state.settings.lang
    if text:
        try:
            known = explain_text(text, None, lang)
        except ValueError as exc:
            out.error(str(exc))
            return
        failed = known.outcome in ("transient", "permanent")
        diagnosis = report_explanation(known) if failed else None
        out.show(explanation_lines(known, diagnosis, labels(lang)), log=False)
        return
    reply = state.last_reply
    if reply is None:
        out.error(state.t("explain.nothing"))
        return
    if reply.command in ("EHLO", "LHLO") and reply.is_success and state.ehlo is not None:
        _explain_ehlo(state, state.ehlo)
        return
    step = normalize_step(reply.command)
    enhanced = str(reply.enhanced_status) if reply.enhanced_status else None
    try:
        known = explain_reply(reply.code, enhanced, reply.text, step, lang)
    except ValueError as exc:
        out.error(str(exc))
        return
    failure = None
    if reply.code >= 400:
        failure = failure_explanation(reply, step or "", lang)
    out.show(explanation_lines(known, failure, labels(lang)), log=False)


def _explain_ehlo(state: ConsoleState, ehlo: EhloInfo) -> None:
    from smtpcheck.knowledge.ehlo import explain_ehlo_keyword

    lines = [Styled("heading", state.t("explain.ehlo", host=ehlo.hostname))]
    for keyword, params in ehlo.keywords.items():
        info = explain_ehlo_keyword(keyword, params, state.settings.lang)
        shown = " ".join((keyword, *params))
        detail = f" ({info.params_meaning})" if info.params_meaning else ""
        lines.append(Styled("info", f"  {shown}: {info.meaning}{detail}"))
    state.output.show(lines, log=False)
