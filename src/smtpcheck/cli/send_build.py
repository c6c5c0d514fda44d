"""`send`'s options, converted: click's parameters checked and turned into `SendOptions`.

Every mistake in the options ends here as a one-line `click.UsageError` (a
`ProxyUsageError` for PROXY options, exit 35 as in swaks). Running the transaction and
rendering its report is cli/send_runner.py's job; both load only when `send` runs.
"""

from __future__ import annotations

import socket
from typing import Any

import click

from smtpcheck.cli.send import _default_sender, _parse_timeout, _split_recipients
from smtpcheck.cli.send_params import XCLIENT_ATTRIBUTES
from smtpcheck.net.tls import TlsOptions
from smtpcheck.scenarios.send.options import (
    PROTOCOLS,
    ProxyOptions,
    SendOptions,
    TlsMode,
    normalise_quit_point,
)


class ProxyUsageError(click.UsageError):
    """PROXY options that cannot make a header: exit 35, as in swaks."""


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        for part in value.split(","):
            key, sep, val = part.partition("=")
            if not sep:
                raise click.UsageError(f"{option} takes KEY=VALUE, not {part!r}")
            out[key.strip()] = val.strip()
    return out


def _empty(value: str | None) -> str | None:
    """swaks: '<>' stands for an empty value."""
    return "" if value is not None and value.strip() == "<>" else value


def _tls_versions(text: str) -> tuple[str | None, str | None]:
    """`tlsv1_2,tlsv1_3` (allowed) or `no_tlsv1,no_tlsv1_1` (refused) -> (min, max)."""
    order = ["tlsv1", "tlsv1_1", "tlsv1_2", "tlsv1_3"]
    names = [n.strip().lower().replace(".", "_") for n in text.split(",") if n.strip()]
    names = [n.replace("tlsv1_0", "tlsv1") for n in names]
    if all(n.startswith("no_") for n in names):
        allowed = [v for v in order if f"no_{v}" not in names]
    else:
        allowed = [v for v in order if v in names]
        unknown = [n for n in names if n not in order]
        if unknown:
            raise click.UsageError(f"--tls-protocol: unknown {', '.join(unknown)}")
    if not allowed:
        raise click.UsageError(f"--tls-protocol {text!r} allows no version")
    return allowed[0], allowed[-1]


def _port(value: str | None) -> int | None:
    if value is None:
        return None
    if value.isdigit() and 0 < int(value) < 65536:
        return int(value)
    try:
        return socket.getservbyname(value, "tcp")
    except OSError:
        raise click.UsageError(
            f"--port: {value!r} is neither a port number nor a service"
        ) from None


def _attachments(params: dict[str, Any]) -> list[dict[str, Any]]:
    """--attach/--attach-type/--attach-name pair up in order, as swaks pairs them."""
    out: list[dict[str, Any]] = []
    types, names = list(params["attach_type"]), list(params["attach_name"])
    for index, source in enumerate(params["attach"]):
        out.append(
            {
                "source": source,
                "content_type": types[index] if index < len(types) else None,
                "name": names[index] if index < len(names) else None,
            }
        )
    out += [{"source": s, "inline": True} for s in params["attach_inline"]]
    extra_types = types[len(params["attach"]) :]
    for index, source in enumerate(params["attach_body"]):
        kind = extra_types[index] if index < len(extra_types) else "text/html"
        out.append({"source": source, "content_type": kind, "body": True})
    return out


def _check_dns_server(spec: str, lang: str | None) -> None:
    """A bad --dns is a usage error, found before connecting (not "no mail host")."""
    from smtpcheck.dns.resolver import DnsConfigError, DnsServer  # only when given
    from smtpcheck.knowledge.dns import explain_dns_error
    from smtpcheck.knowledge.i18n import pick_language

    try:
        DnsServer.parse(spec)
    except DnsConfigError as exc:
        reason = explain_dns_error(exc.code, pick_language(lang), **exc.facts)
        raise click.UsageError(f"--dns: {reason}") from None


def build_options(params: dict[str, Any]) -> SendOptions:
    """Validate and convert; raises click.UsageError with a one-line message."""
    if params["dns"]:
        _check_dns_server(params["dns"], params["lang"])
    hello_verb, protocol_auth, protocol_tls = "EHLO", False, None
    if params["protocol"]:
        name = params["protocol"].strip().lower()
        if name not in PROTOCOLS:
            raise click.UsageError(f"unknown --protocol {params['protocol']!r}")
        hello_verb, protocol_auth, protocol_tls = PROTOCOLS[name]
    modes = [
        m
        for m, on in (
            (TlsMode.STARTTLS, params["tls_required"]),
            (TlsMode.OPTIONAL, params["tls_optional"]),
            (TlsMode.OPTIONAL_STRICT, params["tls_optional_strict"]),
            (TlsMode.ON_CONNECT, params["tls_on_connect"]),
        )
        if on
    ]
    if len(modes) > 1:
        raise click.UsageError(
            "choose one of --tls, --tls-optional, --tls-optional-strict and --tls-on-connect"
        )
    tls_mode = modes[0] if modes else (protocol_tls or TlsMode.NONE)
    if params["ipv4"] and params["ipv6"]:
        raise click.UsageError("-4 and -6 exclude each other")
    transports = [p for p in ("server", "socket_path", "pipe_command") if params[p]]
    if len(transports) > 1:
        raise click.UsageError("--server, --socket and --pipe exclude each other")
    sender = params["sender"]
    if sender is None:
        sender = _default_sender()
    elif sender.strip() == "<>":
        sender = ""
    points: dict[str, str | None] = {}
    for key, option in (
        ("quit_after", "--quit-after"),
        ("drop_after", "--drop-after"),
        ("drop_after_send", "--drop-after-send"),
    ):
        try:
            points[key] = normalise_quit_point(params[key], option) if params[key] else None
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
    try:
        timeout = _parse_timeout(params["timeout"])
    except click.BadParameter as exc:
        raise click.UsageError(f"--timeout: {exc.message}") from None
    auth = params["auth"]
    auth_optional = 2 if params["auth_optional_strict"] else 1 if params["auth_optional"] else 0
    if auth is None and (protocol_auth or auth_optional or params["auth_user"]):
        auth = "ANY"
    mechanisms: tuple[str, ...] = ()
    if auth and auth.upper() != "ANY":
        mechanisms = tuple(m.strip().upper() for m in auth.split(",") if m.strip())
    lang = params["lang"]
    if lang is None:
        from smtpcheck.knowledge.i18n import pick_language

        lang = pick_language(None)
    min_version, max_version = params["tls_min_version"], params["tls_max_version"]
    if params["tls_protocol"]:
        min_version, max_version = _tls_versions(params["tls_protocol"])
    local_interface, local_port = params["local_interface"], params["local_port"]
    if local_interface:
        from smtpcheck.hostport import HostPortError, split_host_port

        try:
            local_interface, given_port = split_host_port(local_interface, 0)
        except HostPortError as exc:
            raise click.UsageError(f"--local-interface: {exc}") from None
        local_port = given_port or local_port
    xclient = {
        name: params[f"xclient_{name.replace('-', '_')}"]
        for name in XCLIENT_ATTRIBUTES
        if params[f"xclient_{name.replace('-', '_')}"] is not None
    }
    proxy = None
    proxy_parts = [
        f"--proxy-{name.replace('_', '-')}"
        for name in ("family", "protocol", "command", "source", "source_port", "dest", "dest_port")
        if params[f"proxy_{name}"] is not None
    ]
    if params["proxy_raw"] and proxy_parts:
        raise ProxyUsageError(f"--proxy cannot be mixed with {', '.join(proxy_parts)}")
    if params["proxy_version"] or params["proxy_raw"] or proxy_parts:
        raw = None
        if params["proxy_raw"]:
            from smtpcheck.protocol.proxy import ProxyHeaderError, parse_raw

            text = params["proxy_raw"]
            try:
                if text.startswith("@"):
                    with open(text[1:], "rb") as handle:
                        raw = handle.read()
                else:
                    raw = parse_raw(text, int(params["proxy_version"] or 1))
            except (OSError, ProxyHeaderError) as exc:
                raise ProxyUsageError(f"--proxy: {exc}") from None
        proxy = ProxyOptions(
            version=int(params["proxy_version"] or 1),
            raw=raw,
            family=params["proxy_family"],
            protocol=params["proxy_protocol"],
            command=params["proxy_command"],
            source=params["proxy_source"],
            source_port=params["proxy_source_port"],
            dest=params["proxy_dest"],
            dest_port=params["proxy_dest_port"],
        )
    verify = params["tls_verify"]
    return SendOptions(
        server=params["server"],
        port=_port(params["port"]),
        family=socket.AF_INET if params["ipv4"] else socket.AF_INET6 if params["ipv6"] else 0,
        local_interface=local_interface,
        local_port=local_port,
        socket_path=params["socket_path"],
        pipe_command=params["pipe_command"],
        ehlo=params["ehlo"] or socket.gethostname() or "localhost",
        hello_verb=hello_verb,
        sender=sender,
        recipients=_split_recipients(params["to"]),
        cc=_split_recipients(params["cc"]),
        bcc=_split_recipients(params["bcc"]),
        tls_mode=tls_mode,
        tls=TlsOptions(
            verify=False,
            ca_file=params["tls_ca"],
            sni=params["tls_sni"],
            min_version=min_version,
            max_version=max_version,
            client_cert=params["tls_cert"],
            client_key=params["tls_key"],
            ciphers=params["tls_cipher"],
        ),
        tls_verify_ca=verify or params["tls_verify_ca"],
        tls_verify_host=verify or params["tls_verify_host"],
        tls_verify_target=params["tls_verify_target"],
        tls_get_peer_cert=params["tls_get_peer_cert"],
        tls_get_peer_chain=params["tls_get_peer_chain"],
        tls_chain=params["tls_chain"],
        auth=auth is not None,
        auth_mechanisms=mechanisms,
        auth_user=_empty(params["auth_user"]),
        auth_password=_empty(params["auth_password"]),
        auth_optional=auth_optional,
        auth_map=_pairs(params["auth_map"], "--auth-map"),
        auth_extra=_pairs(params["auth_extra"], "--auth-extra"),
        auth_plaintext=params["auth_plaintext"],
        auth_hide_password=params["auth_hide_password"],
        data=params["data"],
        body=params["body"],
        headers=list(params["headers"]),
        add_headers=list(params["add_headers"]),
        attachments=_attachments(params),
        data_fixup=not params["no_data_fixup"],
        strip_from=not params["no_strip_from"],
        dsn_notify=params["dsn_notify"],
        dsn_ret=params["dsn_ret"],
        dsn_envid=params["dsn_envid"],
        dsn_orcpt=params["dsn_orcpt"],
        pipeline=params["pipeline"],
        prdr=params["prdr"],
        chunking=params["chunking"] or params["binarymime"],
        chunk_size=params["chunk_size"],
        binarymime=params["binarymime"],
        eight_bit=params["eight_bit"],
        declare_size=params["declare_size"],
        smtputf8=params["smtputf8"],
        xclient=xclient,
        xclient_raw=list(params["xclient_raw"]),
        xclient_optional=2
        if params["xclient_optional_strict"]
        else 1
        if params["xclient_optional"]
        else 0,
        xclient_before_starttls=params["xclient_before_starttls"],
        xclient_no_verify=params["xclient_no_verify"],
        xforward=_pairs(params["xforward"], "--xforward"),
        proxy=proxy,
        quit_after=points["quit_after"],
        drop_after=points["drop_after"],
        drop_after_send=points["drop_after_send"],
        count=params["count"],
        dkim_key=params["dkim_key"],
        dkim_selector=params["dkim_selector"],
        dkim_domain=params["dkim_domain"],
        timeout=timeout,
        dns=params["dns"],
        show_secrets=params["show_secrets"],
        lang=lang,
    )
