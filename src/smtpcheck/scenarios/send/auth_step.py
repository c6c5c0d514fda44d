"""AUTH in `send`: every mechanism of `protocol.sasl`, tried as swaks tries them.

With named mechanisms (`--auth CRAM-MD5,PLAIN`) each one the server offers is tried in
the order given; bare `--auth` tries those the server offers in `sasl.TRY_ORDER`
(challenge-response first, cleartext last), until one succeeds. `--auth-map
ALIAS=TYPE` lets a server's name (SPA, MSN, X-LOGIN...) stand for a mechanism we know.
Secrets never reach the transcript unless asked: `--show-secrets` shows the wire;
`--auth-plaintext` shows the decoded lines with the password masked;
`--auth-hide-password STR` puts STR where the password was.
"""

from __future__ import annotations

import base64
import time

from smtpcheck.knowledge.i18n import t
from smtpcheck.protocol import EhloInfo, commands
from smtpcheck.protocol.sasl import (
    DEFAULT_ALIASES,
    SUPPORTED,
    TRY_ORDER,
    Credentials,
    SaslClient,
    SaslContext,
    SaslError,
    client_for,
    decode_for_display,
    oauth_error,
)
from smtpcheck.report.model import Status
from smtpcheck.scenarios.send.options import ExitCode, Target
from smtpcheck.scenarios.send.run import SendRun, StopSession

MAX_ROUNDS = 10


def candidates(
    offered: tuple[str, ...], wanted: tuple[str, ...], aliases: dict[str, str]
) -> list[tuple[str, str]]:
    """(name the server knows, mechanism we run), in the order to try."""
    offered_upper = [m.upper() for m in offered]
    mapping = {**DEFAULT_ALIASES, **{k.upper(): v.upper() for k, v in aliases.items()}}
    out: list[tuple[str, str]] = []
    for name in [w.upper() for w in wanted] or list(TRY_ORDER):
        mechanism = mapping.get(name, name)
        if mechanism not in SUPPORTED:
            continue
        if name in offered_upper:
            out.append((name, mechanism))
        elif mechanism == name:
            # the server may offer it under an alias
            for alias, target in mapping.items():
                if target == mechanism and alias in offered_upper:
                    out.append((alias, mechanism))
        # LOGIN-INITIAL is LOGIN on the wire
        if mechanism == "LOGIN-INITIAL" and name not in offered_upper and "LOGIN" in offered_upper:
            out.append(("LOGIN", mechanism))
    seen: set[tuple[str, str]] = set()
    return [c for c in out if not (c in seen or seen.add(c))]  # type: ignore[func-returns-value]


def _shown(run: SendRun, text: str, prefix: str = "") -> bytes | None:
    """The transcript form of one AUTH line (None: the session's default redaction)."""
    opts = run.options
    password = opts.auth_password or ""
    if opts.show_secrets:
        return (prefix + (decode_for_display(text) if opts.auth_plaintext else text)).encode()
    hide = opts.auth_hide_password
    if not (opts.auth_plaintext or hide is not None):
        return None
    try:
        raw = base64.b64decode(text, validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        raw = None
    mask = hide if hide is not None else "<redacted>"
    if raw is None or (password and password not in raw and not opts.auth_plaintext):
        return (prefix + "<redacted>").encode()
    masked = raw.replace(password, mask) if password else raw
    if opts.auth_plaintext:
        shown = decode_for_display(base64.b64encode(masked.encode()).decode())
    else:
        shown = base64.b64encode(masked.encode()).decode()
    return (prefix + shown).encode()


async def authenticate(run: SendRun, ehlo: EhloInfo | None, target: Target) -> None:

    opts = run.options
    lang = opts.lang
    offered = tuple(ehlo.auth_mechanisms) if ehlo is not None else ()
    if not offered:
        text = t("send.auth_not_advertised", lang)
        if not run.need_session().under_tls:
            text += " " + t("send.auth_after_tls", lang)
        if opts.auth_optional:
            run.note_failure("auth", text, Status.WARN)
            return
        run.note_failure("auth", text)
        raise StopSession(await run.quit(ExitCode.AUTH))
    todo = candidates(offered, opts.auth_mechanisms, opts.auth_map)
    if not todo:
        wanted = ", ".join(opts.auth_mechanisms) or t("send.auth_any", lang)
        text = t("send.auth_not_offered", lang, offered=" ".join(offered), wanted=wanted)
        fatal = opts.auth_optional != 1 if not opts.auth_mechanisms else not opts.auth_optional
        run.note_failure("auth", text, Status.FAIL if fatal else Status.WARN)
        if fatal:
            raise StopSession(await run.quit(ExitCode.AUTH))
        return
    creds = Credentials(opts.auth_user or "", opts.auth_password or "")
    extra = opts.auth_extra
    context = SaslContext(
        host=target.mx_host or target.host,
        port=target.port,
        service="lmtp" if opts.lmtp else "smtp",
        realm=extra.get("realm"),
        domain=extra.get("domain", ""),
        workstation=extra.get("workstation", ""),
        digest_uri=_digest_uri(extra),
    )
    if "authzid" in extra:
        creds = Credentials(creds.username, creds.password, extra["authzid"])
    for index, (server_name, mechanism) in enumerate(todo):
        if await _attempt(run, server_name, client_for(mechanism, creds, context)):
            return
        if index + 1 < len(todo):
            run.report.steps[-1].status = Status.WARN  # another mechanism comes next
    run.transcript.error(t("send.auth_none_succeeded", lang))
    if opts.auth_optional != 1:
        raise StopSession(await run.quit(ExitCode.AUTH))


def _digest_uri(extra: dict[str, str]) -> str | None:
    if not any(k in extra for k in ("dmd5-serv-type", "dmd5-host", "dmd5-serv-name")):
        return None
    uri = f"{extra.get('dmd5-serv-type', 'smtp')}/{extra.get('dmd5-host', 'localhost')}"
    if "dmd5-serv-name" in extra:
        uri += "/" + extra["dmd5-serv-name"]
    return uri


async def _attempt(run: SendRun, server_name: str, client: SaslClient) -> bool:
    session = run.need_session()
    initial = client.initial()
    wire_name = "LOGIN" if client.name == "LOGIN-INITIAL" else server_name
    command = commands.auth(wire_name, initial)
    shown = _shown(run, initial, f"AUTH {wire_name} ") if initial is not None else None
    step, reply, _ = await run.exchange(
        "auth", f"AUTH {client.name}", command, (235, 334), point="auth", shown=shown
    )
    rounds = 0
    while reply.code == 334 and rounds < MAX_ROUNDS:
        rounds += 1
        challenge = reply.lines[0] if reply.lines else ""
        if oauth_error(challenge) and client.name in ("XOAUTH2", "OAUTHBEARER"):
            step.data["oauth_error"] = oauth_error(challenge)
        started = time.monotonic()
        try:
            answer = client.respond(challenge)
        except SaslError as exc:
            run.transcript.error(f"AUTH {client.name}: {exc}")
            answer = "*"  # cancel the exchange (RFC 4954)
        reply = await session.command(
            commands.auth_response(answer), "auth", (235, 334), shown=_shown(run, answer)
        )
        run.record(step, reply, reply.code in (235, 334), started)
    if reply.code != 235:
        run.record(step, reply, False, time.monotonic())
        return False
    return True
