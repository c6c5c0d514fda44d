"""The message(s) a `send` transmits: built from the options, DKIM-signed if asked."""

from __future__ import annotations

from smtpcheck.scenarios.send.message import MessageSpec, build_message
from smtpcheck.scenarios.send.run import SendRun
from smtpcheck.scenarios.send.sources import MessageSourceError


def spec_of(run: SendRun) -> MessageSpec:
    opts = run.options
    attachments = []
    if opts.attachments:
        from smtpcheck.scenarios.send.mime import Attachment  # only with attachments

        attachments = [Attachment(**a) for a in opts.attachments]  # type: ignore[arg-type]
    return MessageSpec(
        opts.sender,
        opts.recipients,
        opts.data,
        opts.body,
        opts.headers,
        opts.ehlo,
        cc=opts.cc,
        bcc=opts.bcc,
        add_headers=opts.add_headers,
        attachments=attachments,
        fixup=opts.data_fixup,
        strip_from=opts.strip_from,
    )


def prepare_messages(run: SendRun) -> list[bytes]:
    """One message per --count (each with its own Message-Id), signed if asked."""
    spec = spec_of(run)
    messages = [build_message(spec) for _ in range(max(1, run.options.count))]
    if run.options.dkim_key:
        messages = [dkim_sign(run, m) for m in messages]
    return messages


def dkim_sign(run: SendRun, message: bytes) -> bytes:
    """Prepend a DKIM-Signature (rsa-sha256 or ed25519-sha256, relaxed/relaxed)."""
    opts = run.options
    try:
        import dkim  # dkimpy: only imported when --dkim-key is given
    except ImportError:
        raise MessageSourceError(
            "--dkim-key needs the dkimpy package (pip install dkimpy)"
        ) from None
    try:
        with open(opts.dkim_key or "", "rb") as handle:
            key = handle.read()
    except OSError as exc:
        raise MessageSourceError(f"cannot read {opts.dkim_key}: {exc.strerror}") from None
    domain = opts.dkim_domain or opts.sender.rpartition("@")[2]
    if not (opts.dkim_selector and domain):
        raise MessageSourceError("--dkim-key needs --dkim-selector and --dkim-domain")
    crlf = message.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    algorithm = (
        b"ed25519-sha256"
        if b"PRIVATE KEY" in key and b"RSA" not in key and len(key) < 200
        else b"rsa-sha256"
    )
    try:
        signature = dkim.sign(
            crlf,
            opts.dkim_selector.encode(),
            domain.encode(),
            key,
            canonicalize=(b"relaxed", b"relaxed"),
            signature_algorithm=algorithm,
        )
    except Exception as exc:  # dkimpy raises several kinds for bad keys
        raise MessageSourceError(f"DKIM signing failed: {exc}") from None
    run.transcript.note(f"DKIM-signed for d={domain} s={opts.dkim_selector} ({algorithm.decode()})")
    return bytes(signature).replace(b"\r\n", b"\n") + message.replace(b"\r\n", b"\n")
