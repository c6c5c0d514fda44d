"""TLS in `send`: STARTTLS (required, optional, optional-strict) and implicit TLS.

The handshake never verifies (CERT_NONE): the chain is captured, shown as swaks shows
it (protocol:cipher:bits, each peer certificate's subject, names and expiry), saved
with `--tls-get-peer-cert/-chain`, and only then verified as asked (`--tls-verify-ca`,
`--tls-verify-host`) by `net.verify` -- so a failed verification still shows what the
server presented, in the same session (see net/verify.py for why).
"""

from __future__ import annotations

import dataclasses
import ssl
import time
from typing import Any

from smtpcheck.knowledge.i18n import t
from smtpcheck.net.errors import SessionError
from smtpcheck.net.handshake import TlsInfo
from smtpcheck.net.tls import TlsConfigError, build_context
from smtpcheck.protocol import EhloInfo, commands
from smtpcheck.report.model import Status, Step
from smtpcheck.scenarios.send.options import ExitCode, SendOptions, Target, TlsMode
from smtpcheck.scenarios.send.run import ReconnectPlain, SendRun, StopSession


def handshake_context(options: SendOptions) -> ssl.SSLContext:
    """The context used for the handshake: the user's TLS options, no verification.

    With `--tls-chain`, the intermediates are sent after the client certificate:
    OpenSSL sends what the certificate file holds after the leaf, so the two files are
    joined in a private temporary file just for loading.
    """
    tls = dataclasses.replace(options.tls, verify=False, ca_file=None)
    if not (options.tls_chain and tls.client_cert):
        return build_context(tls)
    context = build_context(dataclasses.replace(tls, client_cert=None, client_key=None))
    _load_client_chain(context, tls.client_cert, tls.client_key, options.tls_chain)
    return context


def _load_client_chain(context: ssl.SSLContext, cert: str, key: str | None, chain: str) -> None:
    import os
    import tempfile

    try:
        with open(cert, "rb") as handle:
            leaf = handle.read()
        with open(chain, "rb") as handle:
            intermediates = handle.read()
    except OSError as exc:
        raise TlsConfigError(f"cannot load client certificate: {exc}") from None
    with tempfile.TemporaryDirectory(prefix="smtpcheck-tls-") as folder:
        joined = os.path.join(folder, "client-chain.pem")  # the folder is ours alone (0700)
        with open(joined, "wb") as handle:
            handle.write(leaf.rstrip(b"\n") + b"\n" + intermediates)
        try:
            context.load_cert_chain(joined, key)
        except (OSError, ssl.SSLError) as exc:
            raise TlsConfigError(f"cannot load client certificate and chain: {exc}") from None


def sni(options: SendOptions, target: Target) -> str | None:
    return options.tls.sni or target.mx_host or target.host or None


async def starttls(run: SendRun, ehlo: EhloInfo | None, target: Target) -> EhloInfo | None:
    """STARTTLS as the mode asks; returns the EHLO info still valid afterwards."""

    opts = run.options
    mode = opts.tls_mode
    if mode in (TlsMode.NONE, TlsMode.ON_CONNECT):
        return ehlo
    offered = ehlo is not None and ehlo.has("STARTTLS")
    if not offered:
        if mode == TlsMode.STARTTLS:
            run.note_failure("tls", t("send.no_starttls", opts.lang))
            raise StopSession(await run.quit(ExitCode.TLS))
        run.transcript.note(t("send.starttls_skipped", opts.lang))
        return ehlo
    context = handshake_context(opts)
    _, _, ok = await run.exchange("starttls", "STARTTLS", commands.starttls(), (220,), point="tls")
    if not ok:
        if mode == TlsMode.OPTIONAL:
            run.transcript.note(t("send.starttls_refused_going_on", opts.lang))
            return ehlo
        raise StopSession(await run.quit(ExitCode.TLS))
    step = run.step("tls", t("send.step.tls", opts.lang))
    started = time.monotonic()
    try:
        await run.need_session().starttls(context, sni(opts, target))
    except SessionError as exc:
        if mode != TlsMode.OPTIONAL:
            raise  # exit 29, as in swaks
        # swaks --tls-optional goes on after a failed handshake, over the same (now
        # unusable) connection. We go on too, but over a new connection in clear
        # text, as an opportunistic MTA does: the rest of the transaction is tested.
        step.duration_ms = (time.monotonic() - started) * 1000
        step.status = Status.WARN
        step.detail = exc.message
        run.transcript.note(
            f"TLS handshake failed ({exc.message}); --tls-optional: reconnecting to go on"
            " without TLS"
        )
        run.report.data["tls_fallback"] = {"error": exc.message}
        raise ReconnectPlain from None
    step.duration_ms = (time.monotonic() - started) * 1000
    step.status = Status.PASS
    step.data = await after_handshake(run, step, target)
    return None


async def after_handshake(run: SendRun, step: Step, target: Target) -> dict[str, Any]:
    """Show and save what the server presented, then verify it as asked."""

    opts = run.options
    session = run.need_session()
    info = session.tls
    assert info is not None
    show_certificates(run, info)
    save_certificates(run, info)
    data = info.to_dict()
    step.detail = info.summary()
    if not (opts.tls_verify_ca or opts.tls_verify_host):
        data["verified"] = False
        return data
    from smtpcheck.net.verify import verify_chain

    host = opts.tls_verify_target or sni(opts, target) or target.host
    result = verify_chain(
        [cert.der for cert in info.chain],
        check_trust=opts.tls_verify_ca,
        host=(host or "") if opts.tls_verify_host else None,
        ca_path=opts.tls.ca_file,
    )
    session.tls = dataclasses.replace(info, verified=result.ok)
    data["verified"] = result.ok
    data["verification"] = {
        "ca": result.trusted,
        "ca_error": result.reason,
        "host": result.host_match,
        "host_error": result.host_error,
        "host_checked": host if opts.tls_verify_host else None,
    }
    line = t("send.tls_peer_cert", opts.lang, summary=result.summary(opts.lang))
    if result.ok:
        run.transcript.note(line, tls=True)
        return data
    run.transcript.error(line, tls=True)
    step.status = Status.FAIL
    step.detail = result.summary(opts.lang)
    step.data = data
    if opts.tls_mode == TlsMode.OPTIONAL:
        run.transcript.note(t("send.tls_unverified_going_on", opts.lang), tls=True)
        step.status = Status.WARN
        return data
    raise StopSession(await run.quit(ExitCode.TLS))


def show_certificates(run: SendRun, info: TlsInfo) -> None:
    """swaks' lines: the cipher, our certificate, each peer certificate."""
    note, lang = run.transcript.note, run.options.lang
    note(t("send.tls_cipher", lang, summary=info.summary()), tls=True)
    client = run.options.tls.client_cert
    local = (
        t("send.tls_local_cert", lang, path=client) if client else t("send.tls_no_local_cert", lang)
    )
    note(local, tls=True)
    for index, cert in enumerate(info.chain):
        note(f"TLS peer[{index}]   subject=[{cert.subject}]", tls=True)
        names = ", ".join(cert.names) or "none"
        note(
            f"TLS peer[{index}]   issuer=[{cert.issuer}] subjectAltName=[{names}] "
            f"notAfter=[{cert.not_after}]",
            tls=True,
        )


def _pem(der: bytes) -> str:
    return ssl.DER_cert_to_PEM_cert(der)


def save_certificates(run: SendRun, info: TlsInfo) -> None:
    opts = run.options
    for option, certs in (
        (opts.tls_get_peer_cert, info.chain[:1]),
        (opts.tls_get_peer_chain, info.chain),
    ):
        if option is None:
            continue
        pem = "".join(_pem(cert.der) for cert in certs)
        if option in ("", "-"):
            run.transcript.note(pem.rstrip("\n"), tls=True)
            continue
        try:
            with open(option, "w", encoding="ascii") as handle:
                handle.write(pem)
        except OSError as exc:
            run.transcript.error(
                t("send.cannot_write", opts.lang, path=option, reason=exc.strerror)
            )
