"""Session extensions for proxies and relays: PROXY header, XCLIENT, XFORWARD.

- PROXY (HAProxy v1/v2): written right after connecting, before the banner.
- XCLIENT (Postfix): overrides the client's address, name, HELO... as seen by the
  server; a 220 answers it and the session starts again with EHLO (swaks: exit 33 if
  it fails, 34 if the EHLO after it does).
- XFORWARD (Postfix): passes the original client's attributes for logging, before MAIL.
"""

from __future__ import annotations

from smtpcheck.knowledge.i18n import t
from smtpcheck.protocol import EhloInfo, commands
from smtpcheck.report.model import Status
from smtpcheck.scenarios.send.options import ExitCode, Target
from smtpcheck.scenarios.send.run import SendRun, StopSession

#: --xclient-NAME option -> XCLIENT attribute
XCLIENT_ATTRIBUTES = {
    "addr": "ADDR",
    "name": "NAME",
    "port": "PORT",
    "proto": "PROTO",
    "helo": "HELO",
    "login": "LOGIN",
    "reverse-name": "REVERSE_NAME",
    "destaddr": "DESTADDR",
    "destport": "DESTPORT",
}
XFORWARD_ATTRIBUTES = ("NAME", "ADDR", "PORT", "PROTO", "HELO", "IDENT", "SOURCE")


def proxy_header(run: SendRun, target: Target) -> bytes:
    """The PROXY header bytes; ValueError (exit 35) when the options cannot make one."""
    from smtpcheck.protocol.proxy import v1_header, v2_header  # only with --proxy

    proxy = run.options.proxy
    assert proxy is not None
    if proxy.raw is not None:
        return proxy.raw
    session = run.need_session()
    local = session.local or ("127.0.0.1", 0)
    peer = session.peer or (target.host, target.port)
    source = proxy.source or local[0]
    source_port = proxy.source_port if proxy.source_port is not None else int(local[1])
    dest = proxy.dest or peer[0]
    dest_port = proxy.dest_port if proxy.dest_port is not None else int(peer[1])
    if proxy.version == 1:
        return v1_header(source, source_port, dest, dest_port, proxy.family)
    return v2_header(
        source,
        source_port,
        dest,
        dest_port,
        family=proxy.family,
        protocol=proxy.protocol,
        command=proxy.command,
    )


async def send_proxy(run: SendRun, target: Target) -> None:
    from smtpcheck.protocol.proxy import ProxyHeaderError

    try:
        header = proxy_header(run, target)
    except ProxyHeaderError as exc:
        run.note_failure("proxy", f"PROXY: {exc}")
        raise StopSession(ExitCode.PROXY_OPTIONS) from None
    proxy = run.options.proxy
    assert proxy is not None
    step = run.step("proxy", t("send.step.proxy", run.options.lang, version=proxy.version))
    # v1 is a text line; v2 is binary: shown in hex rather than as broken lines
    readable = header.isascii() and header.endswith(b"\n") and header.count(b"\n") == 1
    step.command = (
        header.decode("ascii").rstrip("\r\n")
        if readable
        else f"<PROXY header, {len(header)} bytes: {header.hex(' ')}>"
    )
    shown = header if readable else step.command.encode("ascii") + b"\r\n"
    await run.need_session().write(header, "proxy", shown=shown)
    step.status = Status.PASS
    if run.options.drop_after == "proxy" or run.options.drop_after_send == "proxy":
        await run.drop()


def xclient_lines(run: SendRun, advertised: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """(XCLIENT argument strings to send, requested attributes not advertised)."""
    opts = run.options
    pairs = [(XCLIENT_ATTRIBUTES.get(k, k.upper()), v) for k, v in opts.xclient.items()]
    missing = [name for name, _ in pairs if name not in {a.upper() for a in advertised}]
    lines = []
    if pairs:
        lines.append(" ".join(f"{name}={commands.xtext(value)}" for name, value in pairs))
    lines += opts.xclient_raw
    return lines, missing


async def xclient(run: SendRun, ehlo: EhloInfo | None) -> EhloInfo | None:
    """XCLIENT then EHLO again; returns the EHLO info valid afterwards."""

    opts = run.options
    if not (opts.xclient or opts.xclient_raw):
        return ehlo
    lang = opts.lang
    optional = opts.xclient_optional
    if ehlo is None or not ehlo.has("XCLIENT"):
        fatal = not optional
        run.note_failure(
            "xclient", t("send.no_xclient", lang), Status.FAIL if fatal else Status.WARN
        )
        if fatal:
            raise StopSession(await run.quit(ExitCode.XCLIENT))
        return ehlo
    lines, missing = xclient_lines(run, ehlo.params("XCLIENT"))
    if missing and not opts.xclient_no_verify:
        text = t("send.xclient_attributes", lang, missing=", ".join(missing))
        fatal = not optional
        run.note_failure("xclient", text, Status.FAIL if fatal else Status.WARN)
        if fatal:
            raise StopSession(await run.quit(ExitCode.XCLIENT))
        return ehlo
    for line in lines:
        _, _, ok = await run.exchange(
            "xclient", "XCLIENT", commands.raw(f"XCLIENT {line}"), (220,), point="xclient"
        )
        if not ok:
            if optional == 1:
                return ehlo
            raise StopSession(await run.quit(ExitCode.XCLIENT))
    await run.checkpoint("xclient")
    ehlo = await run.hello("ehlo-xclient", ExitCode.EHLO_AFTER_XCLIENT, "helo")
    await run.checkpoint("xclient-helo")
    return ehlo


async def xforward(run: SendRun, ehlo: EhloInfo | None) -> None:

    opts = run.options
    if ehlo is None or not ehlo.has("XFORWARD"):
        run.transcript.note(t("send.not_offered", opts.lang, what="XFORWARD", keyword="XFORWARD"))
        return
    attrs = " ".join(f"{k.upper()}={commands.xtext(v)}" for k, v in opts.xforward.items())
    _, _, ok = await run.exchange("xforward", "XFORWARD", commands.raw(f"XFORWARD {attrs}"), (250,))
    if not ok:
        raise StopSession(await run.quit(ExitCode.MAIL))
