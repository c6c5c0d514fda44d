"""Where `send` connects: the `--server` the user named, or the recipient's mail hosts.

Without `--server`, the MX records of the (last) recipient's domain are looked up and
every address of every host is tried in preference order until one answers; a domain
with no MX falls back to its own address (RFC 5321 §5.1), a null MX means no mail.
"""

from __future__ import annotations

from smtpcheck.hostport import HostPortError, split_host_port
from smtpcheck.net.transcript import Transcript
from smtpcheck.scenarios.send.options import SendOptions, Target, TlsMode


class TargetError(Exception):
    """No place to send to could be found."""


def default_port(options: SendOptions) -> int:
    if options.port:
        return options.port
    if options.lmtp:
        return 24
    return 465 if options.tls_mode == TlsMode.ON_CONNECT else 25


async def resolve_targets(options: SendOptions, transcript: Transcript) -> list[Target]:
    port = default_port(options)
    if options.socket_path or options.pipe_command:
        return [Target(options.socket_path or options.pipe_command or "", 0)]
    if options.server:
        try:
            host, server_port = split_host_port(options.server, port, allow_slash=True)
        except HostPortError as exc:
            raise TargetError(f"--server: {exc}") from None
        return [Target(host, options.port or server_port)]
    if not options.recipients:
        raise TargetError("no --server and no --to: nowhere to send")
    domain = options.recipients[-1].rpartition("@")[2]
    if not domain:
        raise TargetError(f"no domain in {options.recipients[-1]!r} to look up")
    from smtpcheck.dns.errors import DnsError
    from smtpcheck.dns.mx import mail_targets
    from smtpcheck.knowledge.dns import explain_dns_error
    from smtpcheck.knowledge.i18n import t

    transcript.note(t("send.looking_up", options.lang, domain=domain))
    try:
        found = await mail_targets(domain, dns=options.dns, timeout=min(options.timeout, 10.0))
    except DnsError as exc:
        reason = explain_dns_error(exc.code, options.lang, **exc.facts)
        raise TargetError(
            t("send.no_mail_hosts", options.lang, domain=domain, reason=reason)
        ) from None
    if not found:
        raise TargetError(t("send.no_mail_host", options.lang, domain=domain))
    targets = [Target(ip, port, pref, host) for host, ip, pref in found]
    for target in targets:
        transcript.note(f"MX {target.preference} {target.mx_host} -> {target.host}")
    return targets
