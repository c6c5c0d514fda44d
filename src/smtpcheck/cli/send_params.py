# ruff: noqa: E501  (a table of option help texts reads best one option per line)
"""The options of `smtpcheck send`, grouped as in the manual (docs/send.md).

Names follow swaks (long and short forms), so a swaks command line works with
`swaks` replaced by `smtpcheck send`. Only click is imported here: `--help` stays fast.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

#: the XCLIENT attributes with an option of their own (--xclient-NAME), as swaks has them
XCLIENT_ATTRIBUTES = (
    "addr",
    "name",
    "port",
    "proto",
    "helo",
    "login",
    "reverse-name",
    "destaddr",
    "destport",
)

Decorator = Callable[[Any], Any]


def _opt(*names: str, **kwargs: Any) -> Decorator:
    return click.option(*names, **kwargs)


def _flag(*names: str, help: str) -> Decorator:
    return click.option(*names, is_flag=True, help=help)


def _optional_value(*names: str, flag_value: str, metavar: str, help: str) -> Decorator:
    """An option whose value may be left out (swaks' `--auth [TYPES]`)."""
    return click.option(
        *names, is_flag=False, flag_value=flag_value, default=None, metavar=metavar, help=help
    )


TRANSPORT = [
    _opt(
        "-s",
        "--server",
        metavar="HOST[:PORT]",
        help="Server: name, IPv4, [IPv6]:port or IPv6/port. Without it, the MX hosts of the last recipient's domain are tried in order.",
    ),
    _opt(
        "-p",
        "--port",
        metavar="PORT",
        help="Port number or service name (default 25; 465 with --tls-on-connect; 24 for LMTP).",
    ),
    _flag("-4", "ipv4", help="IPv4 only."),
    _flag("-6", "ipv6", help="IPv6 only."),
    _opt(
        "-li",
        "--local-interface",
        "local_interface",
        metavar="ADDRESS[:PORT]",
        help="Source address (and port) to connect from.",
    ),
    _opt("-lp", "--local-port", "local_port", type=click.IntRange(1, 65535), help="Source port."),
    _opt("--socket", "socket_path", metavar="PATH", help="Talk over a UNIX-domain socket."),
    _opt(
        "--pipe",
        "pipe_command",
        metavar="'CMD ARGS'",
        help="Talk to a child process over its stdin/stdout (e.g. 'exim -bh 1.2.3.4').",
    ),
    _opt(
        "--timeout",
        "-to",
        "timeout",
        default="30s",
        show_default=True,
        metavar="DURATION",
        help="Hard deadline for each step (s, m, h).",
    ),
    _opt("--dns", metavar="IP[:PORT]", help="DNS resolver for the MX lookup."),
]

PROTOCOL = [
    _opt(
        "--protocol",
        metavar="NAME",
        help="SMTP, ESMTP (default), LMTP, or with TLS/AUTH: SSMTP, SSMTPA, SMTPS, ESMTPA, ESMTPS, ESMTPSA, LMTPA, LMTPS, LMTPSA.",
    ),
    _opt(
        "--ehlo",
        "--helo",
        "--lhlo",
        "-h",
        "ehlo",
        metavar="NAME",
        help="Name sent with EHLO/HELO/LHLO (default: this host's name).",
    ),
    _opt(
        "-f",
        "--from",
        "sender",
        metavar="ADDRESS",
        help="Envelope sender; '<>' for the null sender.",
    ),
    _opt(
        "-t", "--to", "to", multiple=True, metavar="ADDR[,ADDR]", help="Recipient(s); repeatable."
    ),
    _opt(
        "--cc", multiple=True, metavar="ADDR[,ADDR]", help="Cc recipient(s): a Cc header and RCPTs."
    ),
    _opt("--bcc", multiple=True, metavar="ADDR[,ADDR]", help="Bcc recipient(s): RCPTs only."),
    _flag("--pipeline", help="Send MAIL, RCPT and DATA in one batch (PIPELINING)."),
    _flag(
        "--prdr",
        help="Ask for per-recipient replies after the message (PRDR; exit 30 if not offered).",
    ),
    _flag("--chunking", help="Send the message with BDAT when CHUNKING is offered."),
    _opt(
        "--chunk-size",
        type=click.IntRange(1),
        default=65536,
        show_default=True,
        help="BDAT chunk size in bytes.",
    ),
    _flag("--binarymime", help="BODY=BINARYMIME (needs --chunking; the message is sent as is)."),
    _flag("--8bitmime", "eight_bit", help="BODY=8BITMIME on MAIL (automatic for 8-bit messages)."),
    _flag("--size", "declare_size", help="Declare SIZE= on MAIL."),
    _opt(
        "--smtputf8",
        type=click.Choice(["auto", "always", "never"]),
        default="auto",
        show_default=True,
        help="SMTPUTF8 on MAIL: when an address needs it, always, or never.",
    ),
    _opt(
        "--dsn-notify",
        metavar="WHEN",
        help="DSN NOTIFY on each RCPT: success,failure,delay or never.",
    ),
    _opt(
        "--dsn-ret",
        type=click.Choice(["full", "hdrs"], case_sensitive=False),
        help="DSN RET on MAIL.",
    ),
    _opt("--dsn-envid", metavar="ID", help="DSN ENVID on MAIL."),
    _flag("--dsn-orcpt", help="DSN ORCPT on each RCPT (the recipient's address)."),
    _opt(
        "--count",
        type=click.IntRange(1, 100000),
        default=1,
        help="Send N messages in one connection (RSET between).",
    ),
    _opt(
        "--repeat", type=click.IntRange(1, 100000), default=1, help="Run the whole session N times."
    ),
    _opt(
        "-q",
        "--quit-after",
        "quit_after",
        metavar="POINT",
        help="QUIT after: connect/banner, proxy, first-helo, xclient, xclient-helo, tls, helo, auth, mail, rcpt.",
    ),
    _opt(
        "-da",
        "--drop-after",
        "drop_after",
        metavar="POINT",
        help="Close without QUIT after a point (also data, dot).",
    ),
    _opt(
        "-das",
        "--drop-after-send",
        "drop_after_send",
        metavar="POINT",
        help="Close right after sending that point's command.",
    ),
]

TLS = [
    _flag(
        "--tls",
        "-tls",
        "tls_required",
        help="STARTTLS, required (exit 29 if not offered or failing).",
    ),
    _flag(
        "--tls-optional", "-tlso", "tls_optional", help="STARTTLS if offered, else go on in clear."
    ),
    _flag(
        "--tls-optional-strict",
        "-tlsos",
        "tls_optional_strict",
        help="STARTTLS if offered; fail only if it is offered and fails.",
    ),
    _flag(
        "--tls-on-connect",
        "-tlsc",
        "tls_on_connect",
        help="Implicit TLS from the first byte (SMTPS).",
    ),
    _flag(
        "--tls-verify",
        help="Verify the certificate: chain (--tls-verify-ca) and name (--tls-verify-host).",
    ),
    _flag("--tls-verify-ca", help="Verify the chain and dates against the CAs."),
    _flag("--tls-verify-host", help="Verify the server's name against the certificate."),
    _opt(
        "--tls-verify-target",
        metavar="NAME",
        help="Name to verify instead of the host connected to.",
    ),
    _opt(
        "--tls-ca-path",
        "--tls-ca",
        "tls_ca",
        metavar="FILE|DIR",
        help="CA certificates (PEM file or directory) instead of the system store.",
    ),
    _opt("--tls-sni", metavar="NAME", help="SNI name (default: the host connected to)."),
    _opt(
        "-tlsp",
        "--tls-protocol",
        "tls_protocol",
        metavar="LIST",
        help="Allowed versions, e.g. tlsv1_2,tlsv1_3 or no_tlsv1_1.",
    ),
    _opt("--tls-min-version", metavar="VERSION", help="Lowest TLS version, e.g. tlsv1_2."),
    _opt("--tls-max-version", metavar="VERSION", help="Highest TLS version."),
    _opt("--tls-cipher", metavar="LIST", help="OpenSSL cipher list (TLS 1.2 and below)."),
    _opt("--tls-cert", metavar="FILE", help="Client certificate (PEM)."),
    _opt("--tls-key", metavar="FILE", help="Key of the client certificate (PEM)."),
    _opt(
        "--tls-chain",
        metavar="FILE",
        help="Intermediate certificates to send with the client certificate.",
    ),
    _optional_value(
        "--tls-get-peer-cert",
        flag_value="-",
        metavar="[FILE]",
        help="Save the server's certificate (PEM) to FILE, or show it.",
    ),
    _optional_value(
        "--tls-get-peer-chain",
        flag_value="-",
        metavar="[FILE]",
        help="Save the server's whole chain (PEM) to FILE, or show it.",
    ),
]

AUTH = [
    _optional_value(
        "-a",
        "--auth",
        "auth",
        flag_value="ANY",
        metavar="[TYPE[,TYPE]]",
        help="Authenticate: PLAIN, LOGIN, LOGIN-INITIAL, CRAM-MD5, CRAM-SHA1, DIGEST-MD5, NTLM, XOAUTH2, OAUTHBEARER. Bare: each one offered, CRAM-SHA1, CRAM-MD5, DIGEST-MD5, NTLM, PLAIN, LOGIN in turn.",
    ),
    _opt(
        "-au",
        "--auth-user",
        metavar="USER",
        help="AUTH user ('<>' for empty; prompted if missing).",
    ),
    _opt(
        "-ap",
        "--auth-password",
        metavar="PASSWORD",
        help="AUTH password or OAuth token ('<>' for empty; prompted without echo if missing).",
    ),
    _flag(
        "-ao",
        "--auth-optional",
        help="Authenticate if possible; go on if it fails or is not offered.",
    ),
    _flag(
        "-aos",
        "--auth-optional-strict",
        help="Go on if AUTH is not offered; fail if it is offered and fails.",
    ),
    _opt(
        "-am",
        "--auth-map",
        multiple=True,
        metavar="ALIAS=TYPE",
        help="Server mechanism name ALIAS means TYPE.",
    ),
    _opt(
        "-ae",
        "--auth-extra",
        multiple=True,
        metavar="KEY=VALUE",
        help="realm, domain, workstation, authzid, dmd5-serv-type, dmd5-host, dmd5-serv-name.",
    ),
    _flag("-apt", "--auth-plaintext", help="Show AUTH lines decoded (the password stays masked)."),
    _opt(
        "-ahp", "--auth-hide-password", metavar="STRING", help="Show STRING where the password was."
    ),
]

XCLIENT_PROXY = [
    *[
        _opt(
            f"--xclient-{name}",
            f"xclient_{name.replace('-', '_')}",
            metavar="VALUE",
            help=f"XCLIENT {name.upper().replace('-', '_')}=VALUE.",
        )
        for name in XCLIENT_ATTRIBUTES
    ],
    _opt(
        "--xclient",
        "xclient_raw",
        multiple=True,
        metavar="'ATTR=VALUE ...'",
        help="Raw XCLIENT arguments.",
    ),
    _flag("--xclient-optional", help="Go on if XCLIENT is not offered or fails."),
    _flag("--xclient-optional-strict", help="Go on if XCLIENT is not offered; fail if it fails."),
    _flag("--xclient-no-verify", help="Send XCLIENT attributes the server does not list."),
    _flag("--xclient-before-starttls", help="XCLIENT before STARTTLS."),
    _opt(
        "--xforward",
        "xforward",
        multiple=True,
        metavar="ATTR=VALUE",
        help="XFORWARD attribute before MAIL (NAME, ADDR, PORT, PROTO, HELO, IDENT, SOURCE).",
    ),
    _opt(
        "--proxy-version",
        type=click.Choice(["1", "2"]),
        help="Send a PROXY protocol header of this version.",
    ),
    _opt(
        "--proxy",
        "proxy_raw",
        metavar="TEXT|base64:DATA|@FILE",
        help="Raw PROXY header: TEXT goes after 'PROXY ' (v1) or the v2 signature, as in swaks; base64:DATA and @FILE are sent exactly.",
    ),
    _opt(
        "--proxy-family",
        metavar="FAMILY",
        help="TCP4/TCP6/UNKNOWN (v1); AF_INET, AF_INET6, AF_UNIX (v2).",
    ),
    _opt("--proxy-protocol", metavar="PROTO", help="STREAM or DGRAM (v2)."),
    _opt("--proxy-command", metavar="CMD", help="PROXY or LOCAL (v2)."),
    _opt("--proxy-source", metavar="ADDRESS", help="Client address in the header."),
    _opt("--proxy-source-port", type=click.IntRange(0, 65535), help="Client port in the header."),
    _opt("--proxy-dest", metavar="ADDRESS", help="Server address in the header."),
    _opt("--proxy-dest-port", type=click.IntRange(0, 65535), help="Server port in the header."),
]

MESSAGE = [
    _opt(
        "-d",
        "--data",
        metavar="TEXT|@FILE|-",
        help="The whole message; swaks' %TOKENS% are replaced.",
    ),
    _opt("--body", metavar="TEXT|@FILE|-", help="Body of the default message."),
    _opt(
        "--header",
        "headers",
        multiple=True,
        metavar="'NAME: value'",
        help="Set a header (replaces one of that name). Also --h-NAME value.",
    ),
    _opt(
        "-ah",
        "--add-header",
        "add_headers",
        multiple=True,
        metavar="'NAME: value'",
        help="Add a header.",
    ),
    _opt(
        "--attach",
        "attach",
        multiple=True,
        metavar="@FILE|TEXT",
        help="Attach; repeatable (base64).",
    ),
    _opt(
        "--attach-type",
        "attach_type",
        multiple=True,
        metavar="MIME/TYPE",
        help="Type of the next --attach.",
    ),
    _opt(
        "--attach-name",
        "attach_name",
        multiple=True,
        metavar="NAME",
        help="File name of the next --attach.",
    ),
    _opt(
        "--attach-inline",
        "attach_inline",
        multiple=True,
        metavar="@FILE",
        help="Inline part with a Content-ID.",
    ),
    _opt(
        "--attach-body",
        "attach_body",
        multiple=True,
        metavar="TEXT|@FILE",
        help="Alternative body (e.g. HTML with --attach-type text/html first).",
    ),
    _flag(
        "-ndf",
        "--no-data-fixup",
        help="Send --data exactly as given (no tokens, no dot-stuffing; end it with '.').",
    ),
    _flag("-nsf", "--no-strip-from", help="Keep a leading mbox 'From ' line."),
    _flag("-dab", "--dump-as-body", help="Use the --dump output as the body."),
    _opt("--dkim-key", metavar="FILE", help="Sign with this private key (PEM) (needs dkimpy)."),
    _opt("--dkim-selector", metavar="S", help="DKIM selector."),
    _opt("--dkim-domain", metavar="D", help="DKIM signing domain (default: the sender's)."),
]

OUTPUT = [
    _opt(
        "--output",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
        help="Live transcript, or one JSON report at the end.",
    ),
    _optional_value(
        "-S",
        "--silent",
        flag_value="1",
        metavar="[1|2|3]",
        help="1: only errors and failed replies; 2: only errors; 3: nothing.",
    ),
    _flag("-hs", "--hide-send", help="Hide what is sent."),
    _flag("-hr", "--hide-receive", help="Hide what is received."),
    _flag("-hi", "--hide-informational", help="Hide notes (===)."),
    _flag("-ha", "--hide-all", help="Hide the transcript."),
    _flag("-n", "--suppress-data", help="Summarise the message as 'N lines sent'."),
    _flag("-raw", "--show-raw-text", help="Hex dump of every read and write."),
    _optional_value(
        "-stl",
        "--show-time-lapse",
        "--show-time",
        flag_value="ms",
        metavar="[i]",
        help="Show how long each reply took ('i': whole seconds).",
    ),
    _flag("-nih", "--no-info-hints", help="No '===' markers."),
    _flag("-nsh", "--no-send-hints", help="No ' -> ' markers."),
    _flag("-nrh", "--no-receive-hints", help="No '<- ' markers."),
    _flag("-nth", "--no-hints", help="No transcript markers at all."),
    _flag("--no-explain", help="Do not annotate replies with their meaning."),
    _opt("--output-file", metavar="FILE", help="Write everything to FILE instead of the terminal."),
    _opt("--output-file-stdout", metavar="FILE", help="Write standard output to FILE."),
    _opt("--output-file-stderr", metavar="FILE", help="Write standard error to FILE."),
    _opt("--log-file", metavar="FILE", help="Also write the full transcript to FILE."),
    _optional_value(
        "--dump",
        flag_value="ALL",
        metavar="[SECTIONS]",
        help="Show the resolved options and exit (secrets masked unless --show-secrets).",
    ),
    _flag("--show-secrets", help="Show AUTH exchanges in clear (off by default)."),
    _opt("--lang", type=click.Choice(["en", "it"]), default=None, help="Language of explanations."),
]

GROUPS = (TRANSPORT, PROTOCOL, TLS, AUTH, XCLIENT_PROXY, MESSAGE, OUTPUT)


def apply_options(command: Any) -> Any:
    for group in reversed(GROUPS):
        for decorator in reversed(group):
            command = decorator(command)
    return command
