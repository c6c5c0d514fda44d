"""`smtpcheck send` features against scripted servers: each option proves its effect.

The scripted server (tests/peers/badserver.py) checks every line it receives against
the prefix it expects, so an exchange that goes wrong shows up in `server.errors`.
"""

from __future__ import annotations

import base64

import pytest

from clirun import run_cli
from sendhelp import send, server_of

BANNER = ("", b"220 scripted.example.test ESMTP\r\n")
EHLO_AUTH = (
    b"250-scripted.example.test\r\n"
    b"250-AUTH PLAIN LOGIN CRAM-MD5 DIGEST-MD5 NTLM XOAUTH2 OAUTHBEARER\r\n"
    b"250 PIPELINING\r\n"
)


def _send(server, *args: str):
    return send(
        server_of(server), *args, sender="a@example.test", ehlo=None, step_timeout="3s", timeout=30
    )


def _auth(bad_server, steps, *args):
    server = bad_server("scripted", steps=[BANNER, ("EHLO", EHLO_AUTH), *steps])
    result = _send(server, "--to", "b@example.test", "--quit-after", "auth", *args)
    return server, result


def test_cram_md5_answer_is_checked_by_server(bad_server):
    import hashlib
    import hmac

    challenge = b"<1896.697170952@postoffice.example.net>"
    expected = "tim " + hmac.new(b"tanstaaftanstaaf", challenge, hashlib.md5).hexdigest()
    server, result = _auth(
        bad_server,
        [
            ("AUTH CRAM-MD5", b"334 " + base64.b64encode(challenge) + b"\r\n"),
            (base64.b64encode(expected.encode()).decode(), b"235 2.7.0 ok\r\n"),
            ("QUIT", b"221 bye\r\n"),
        ],
        "--auth",
        "CRAM-MD5",
        "--auth-user",
        "tim",
        "--auth-password",
        "tanstaaftanstaaf",
    )
    assert result.code == 0, result.stdout
    assert server.errors == []
    assert "tanstaaf" not in result.stdout


def test_login_initial_sends_user_on_auth_line(bad_server):
    user = base64.b64encode(b"tim").decode()
    server, result = _auth(
        bad_server,
        [
            (f"AUTH LOGIN {user}", b"334 UGFzc3dvcmQ6\r\n"),
            (base64.b64encode(b"pw").decode(), b"235 ok\r\n"),
            ("QUIT", b"221 bye\r\n"),
        ],
        "--auth",
        "LOGIN-INITIAL",
        "--auth-user",
        "tim",
        "--auth-password",
        "pw",
    )
    assert result.code == 0 and server.errors == [], result.stdout


def test_digest_md5_rfc2831_exchange(bad_server):
    challenge = (
        b'realm="elwood.innosoft.com",nonce="OA6MG9tEQGm2hh",qop="auth",'
        b"algorithm=md5-sess,charset=utf-8"
    )
    server, result = _auth(
        bad_server,
        [
            ("AUTH DIGEST-MD5", b"334 " + base64.b64encode(challenge) + b"\r\n"),
            (
                "dXNlcm5hbWU9",
                b"334 " + base64.b64encode(b"rspauth=ea40f60335c427b5527b84dbabcdfffd") + b"\r\n",
            ),
            ("\r\n", b"235 ok\r\n"),
            ("QUIT", b"221 bye\r\n"),
        ],
        "--auth",
        "DIGEST-MD5",
        "--auth-user",
        "chris",
        "--auth-password",
        "secret",
    )
    assert result.code == 0, result.stdout
    assert server.errors == []
    sent = bytes(server.received).split(b"\r\n")
    response = base64.b64decode(sent[2]).decode()
    assert 'username="chris"' in response and 'digest-uri="smtp/127.0.0.1"' in response
    assert "qop=auth" in response and "response=" in response


def test_ntlm_negotiate_challenge_authenticate(bad_server):
    import struct

    from smtpcheck.protocol import ntlm

    challenge = ntlm.SIGNATURE + struct.pack(
        "<IHHIIQ8s", 2, 0, 0, 56, ntlm.FLAGS, 0x0123456789ABCDEF, b"\0" * 8
    )
    challenge += struct.pack("<HHI", 0, 0, 56) + b"\0" * 8
    server, result = _auth(
        bad_server,
        [
            (
                "AUTH NTLM " + base64.b64encode(ntlm.negotiate_message()).decode(),
                b"334 " + base64.b64encode(challenge) + b"\r\n",
            ),
            ("TlRMTVNTUAADAAAA", b"235 ok\r\n"),
            ("QUIT", b"221 bye\r\n"),
        ],
        "--auth",
        "NTLM",
        "--auth-user",
        "DOMAIN\\user",
        "--auth-password",
        "Password",
    )
    assert result.code == 0, result.stdout
    assert server.errors == []


def test_oauthbearer_failure_reply_then_535(bad_server):
    token = "ya29.secret-token"
    error = base64.b64encode(b'{"status":"invalid_token","scope":"mail"}')
    server, result = _auth(
        bad_server,
        [
            ("AUTH OAUTHBEARER ", b"334 " + error + b"\r\n"),
            ("AQ==", b"535 5.7.8 invalid token\r\n"),
            ("QUIT", b"221 bye\r\n"),
        ],
        "--auth",
        "OAUTHBEARER",
        "--auth-user",
        "me@example.test",
        "--auth-password",
        token,
    )
    assert result.code == 28, result.stdout
    assert server.errors == []
    sent = bytes(server.received).split(b"\r\n")[1].split()[-1]
    assert b"auth=Bearer " + token.encode() in base64.b64decode(sent)
    assert token not in result.stdout
    assert "invalid_token" in result.step("auth")["data"]["oauth_error"]


def test_xoauth2_success(bad_server):
    wire = base64.b64encode(b"user=me@example.test\1auth=Bearer tok\1\1").decode()
    server, result = _auth(
        bad_server,
        [(f"AUTH XOAUTH2 {wire}", b"235 2.7.0 Accepted\r\n"), ("QUIT", b"221 bye\r\n")],
        "--auth",
        "XOAUTH2",
        "--auth-user",
        "me@example.test",
        "--auth-password",
        "tok",
    )
    assert result.code == 0 and server.errors == [], result.stdout


def test_bare_auth_tries_next_mechanism_after_failure(bad_server):
    server, result = _auth(
        bad_server,
        [
            ("AUTH CRAM-MD5", b"334 PDEyMzQ+\r\n"),
            ("dSA", b"535 5.7.8 no\r\n"),  # base64 of "u <digest>"
            ("AUTH DIGEST-MD5", b"535 5.7.8 no\r\n"),
            ("AUTH NTLM", b"535 5.7.8 no\r\n"),
            ("AUTH PLAIN", b"235 2.7.0 ok\r\n"),
            ("QUIT", b"221 bye\r\n"),
        ],
        "--auth",
        "--auth-user",
        "u",
        "--auth-password",
        "p",
    )
    assert result.code == 0, result.stdout
    assert server.errors == []
    assert [s["title"] for s in result.steps("auth")] == [
        "AUTH CRAM-MD5",
        "AUTH DIGEST-MD5",
        "AUTH NTLM",
        "AUTH PLAIN",
    ]


@pytest.mark.parametrize(
    ("flag", "code"), [("--auth-optional", 0), ("--auth-optional-strict", 28), ("", 28)]
)
def test_auth_optional_modes_when_auth_fails(bad_server, flag, code):
    steps = [
        BANNER,
        ("EHLO", b"250-x\r\n250 AUTH PLAIN\r\n"),
        ("AUTH PLAIN", b"535 no\r\n"),
        ("QUIT", b"221 bye\r\n"),
    ]
    if code == 0:
        steps[-1:] = [("MAIL", b"250 ok\r\n"), ("QUIT", b"221 bye\r\n")]
    server = bad_server("scripted", steps=steps)
    args = [
        "--auth",
        "PLAIN",
        "-au",
        "u",
        "-ap",
        "p",
        "--to",
        "b@example.test",
        "--quit-after",
        "mail",
    ]
    result = _send(server, *[a for a in [flag, *args] if a])
    assert result.code == code, result.stdout


def test_auth_plaintext_and_hide_password(bad_server):
    steps = [
        BANNER,
        ("EHLO", b"250-x\r\n250 AUTH PLAIN\r\n"),
        ("AUTH PLAIN", b"235 ok\r\n"),
        ("QUIT", b"221 bye\r\n"),
    ]
    server = bad_server("scripted", steps=steps)
    host, port = server.address
    result = run_cli(
        "send",
        "-s",
        f"{host}:{port}",
        "-t",
        "b@example.test",
        "-q",
        "auth",
        "-a",
        "PLAIN",
        "-au",
        "tim",
        "-ap",
        "hunter2",
        "--auth-plaintext",
        "--auth-hide-password",
        "XXXX",
    )
    assert result.code == 0, result.stdout
    assert "AUTH PLAIN \\0tim\\0XXXX" in result.stdout
    assert "hunter2" not in result.stdout


def test_lmtp_reads_one_reply_per_recipient(bad_server):
    steps = [
        BANNER,
        ("LHLO", b"250-lmtp.example.test\r\n250 PIPELINING\r\n"),
        ("MAIL FROM", b"250 ok\r\n"),
        ("RCPT TO:<a@", b"250 ok\r\n"),
        ("RCPT TO:<b@", b"250 ok\r\n"),
        ("DATA", b"354 go\r\n"),
        ("Date:", b"250 2.0.0 a delivered\r\n452 4.2.2 b over quota\r\n"),
        ("QUIT", b"221 bye\r\n"),
    ]
    server = bad_server("scripted", steps=steps)
    result = _send(server, "--protocol", "LMTP", "--to", "a@example.test,b@example.test")
    assert result.code == 0, result.stdout
    assert server.errors == []
    codes = [s["reply"]["code"] for s in result.steps("eod")]
    assert codes == [250, 452]
    assert result.report["data"]["lmtp"] == {"delivered": 1, "total": 2}


def test_prdr_per_recipient_replies(bad_server):
    steps = [
        BANNER,
        ("EHLO", b"250-x\r\n250 PRDR\r\n"),
        ("MAIL FROM:<a@example.test> PRDR", b"250 ok\r\n"),
        ("RCPT", b"250 ok\r\n"),
        ("RCPT", b"250 ok\r\n"),
        ("DATA", b"354 go\r\n"),
        (
            "Date:",
            b"353 PRDR content analysis beginning\r\n250 ok 1\r\n550 no 2\r\n250 all done\r\n",
        ),
        ("QUIT", b"221 bye\r\n"),
    ]
    server = bad_server("scripted", steps=steps)
    result = _send(server, "--prdr", "--to", "x@example.test,y@example.test")
    assert result.code == 0, result.stdout
    assert result.report["data"]["prdr"] == {"x@example.test": 250, "y@example.test": 550}
    assert server.errors == []


def test_prdr_not_offered_exits_30(bad_server):
    server = bad_server(
        "scripted", steps=[BANNER, ("EHLO", b"250 x\r\n"), ("QUIT", b"221 bye\r\n")]
    )
    assert _send(server, "--prdr", "--to", "x@example.test").code == 30


@pytest.mark.parametrize(
    ("option", "point", "last_sent"),
    [
        ("--drop-after", "rcpt", b"RCPT TO:<b@example.test>\r\n"),
        ("--drop-after-send", "mail", b"MAIL FROM:<a@example.test>\r\n"),
        ("--quit-after", "first-helo", b"QUIT\r\n"),
    ],
)
def test_drop_and_quit_points(bad_server, option, point, last_sent):
    steps = [BANNER, ("EHLO", b"250 x\r\n"), ("MAIL", b"250 ok\r\n"), ("RCPT", b"250 ok\r\n")]
    if option == "--quit-after":
        steps = [*steps[:2], ("QUIT", b"221 bye\r\n")]
    server = bad_server("scripted", steps=steps)
    result = _send(server, "--to", "b@example.test", option, point)
    assert result.code == 0, result.stdout
    assert bytes(server.received).endswith(last_sent)


def test_xclient_then_ehlo_and_exit_33(bad_server):
    ok = bad_server(
        "scripted",
        steps=[
            BANNER,
            ("EHLO", b"250-x\r\n250 XCLIENT NAME ADDR HELO\r\n"),
            ("XCLIENT ADDR=192.0.2.7 NAME=client.example.test", b"220 x ready\r\n"),
            ("EHLO", b"250 x\r\n"),
            ("QUIT", b"221 bye\r\n"),
        ],
    )
    result = _send(
        ok,
        "--to",
        "b@example.test",
        "--xclient-addr",
        "192.0.2.7",
        "--xclient-name",
        "client.example.test",
        "--quit-after",
        "xclient-helo",
    )
    assert result.code == 0 and ok.errors == [], result.stdout
    refused = bad_server(
        "scripted",
        steps=[
            BANNER,
            ("EHLO", b"250-x\r\n250 XCLIENT ADDR\r\n"),
            ("XCLIENT", b"550 no\r\n"),
            ("QUIT", b"221 bye\r\n"),
        ],
    )
    assert _send(refused, "--to", "b@example.test", "--xclient-addr", "192.0.2.7").code == 33
    missing = bad_server(
        "scripted", steps=[BANNER, ("EHLO", b"250 x\r\n"), ("QUIT", b"221 bye\r\n")]
    )
    assert _send(missing, "--to", "b@example.test", "--xclient-addr", "192.0.2.7").code == 33


def test_proxy_v2_header_bytes(bad_server):
    from smtpcheck.protocol.proxy import V2_SIGNATURE

    server = bad_server("no-banner")  # keeps every byte it receives
    host, port = server.address
    run_cli(
        "send",
        "-s",
        f"{host}:{port}",
        "-t",
        "b@example.test",
        "--timeout",
        "1s",
        "--proxy-version",
        "2",
        "--proxy-source",
        "192.0.2.1",
        "--proxy-source-port",
        "4000",
        "--proxy-dest",
        "192.0.2.2",
        "--proxy-dest-port",
        "25",
        "--quit-after",
        "connect",
    )
    received = bytes(server.received)
    assert received.startswith(V2_SIGNATURE + b"\x21\x11\x00\x0c\xc0\x00\x02\x01\xc0\x00\x02\x02")
    bad = run_cli(
        "send",
        "-s",
        f"{host}:{port}",
        "-t",
        "b@x.test",
        "--proxy-version",
        "1",
        "--proxy-source",
        "192.0.2.1",
        "--proxy-dest",
        "::1",
    )
    assert bad.code == 35


def test_data_tokens_attachments_and_headers(bad_server, tmp_path):
    attachment = tmp_path / "report.pdf"
    attachment.write_bytes(b"%PDF-1.4 fake")
    steps = [
        BANNER,
        ("EHLO", b"250 x\r\n"),
        ("MAIL", b"250 ok\r\n"),
        ("RCPT", b"250 ok\r\n"),
        ("RCPT", b"250 ok\r\n"),
        ("DATA", b"354 go\r\n"),
    ]
    steps += [("From: a@example.test", b"250 queued\r\n"), ("QUIT", b"221 bye\r\n")]
    server = bad_server("scripted", steps=steps)
    result = _send(
        server,
        "--to",
        "b@example.test",
        "--cc",
        "c@example.test",
        "--data",
        "From: %FROM_ADDRESS%\\nTo: %TO_ADDRESS%\\nCc: %CC_ADDRESS%\\nSubject: t\\n"
        "%NEW_HEADERS%\\n%BODY%\\n",
        "--body",
        "héllo",
        "--add-header",
        "X-Added: 1",
        "--h-X-Short",
        "yes",
        "--attach",
        f"@{attachment}",
    )
    assert result.code == 0, (result.stdout, server.errors)
    message = bytes(server.received).decode("utf-8")
    assert "Cc: c@example.test" in message and "X-Added: 1" in message and "X-Short: yes" in message
    assert "charset=utf-8" in message and 'filename="report.pdf"' in message
    assert "application/pdf" in message
    assert "JVBERi0xLjQgZmFrZQ==" in message  # the attachment, base64


def test_config_file_env_and_cli_precedence(bad_server, tmp_path):
    steps = [
        BANNER,
        ("EHLO from-env", b"250 x\r\n"),
        ("MAIL FROM:<cli@example.test>", b"250 ok\r\n"),
        ("QUIT", b"221 bye\r\n"),
    ]
    server = bad_server("scripted", steps=steps)
    host, port = server.address
    config = tmp_path / "send.conf"
    config.write_text(
        f"server {host}:{port}\nehlo from-config\nfrom config@example.test\n"
        "to b@example.test\ntls\n"
    )
    result = run_cli(
        "send",
        "--config",
        str(config),
        "--from",
        "cli@example.test",
        "--no-tls",
        "--quit-after",
        "mail",
        env={"SMTPCHECK_OPT_ehlo": "from-env", "SMTPCHECK_OPT_from": "env@example.test"},
    )
    assert result.code == 0, result.stdout + result.stderr
    assert server.errors == []


def test_dump_masks_password():
    result = run_cli(
        "send", "-s", "127.0.0.1:1", "-t", "a@b.test", "-a", "-au", "u", "-ap", "s3cret", "--dump"
    )
    assert result.code == 0
    assert "s3cret" not in result.stdout and "auth-password" in result.stdout
    shown = run_cli(
        "send", "-s", "127.0.0.1:1", "-t", "a@b.test", "-ap", "s3cret", "--dump", "--show-secrets"
    )
    assert "s3cret" in shown.stdout


def test_output_controls(bad_server):
    steps = [BANNER, ("EHLO", b"250 x\r\n"), ("QUIT", b"221 bye\r\n")]
    server = bad_server("scripted", steps=steps)
    host, port = server.address
    raw = run_cli(
        "send",
        "-s",
        f"{host}:{port}",
        "-t",
        "b@example.test",
        "-q",
        "helo",
        "--show-raw-text",
        "--hide-informational",
        "-nth",
    )
    assert raw.code == 0
    assert "<   0000: 32 32 30 20" in raw.stdout  # "220 " as hex
    assert not any(line.startswith("=== ") for line in raw.stdout.splitlines())
    assert any(line.startswith("EHLO ") for line in raw.stdout.splitlines())  # no " -> "
    server2 = bad_server("scripted", steps=steps)
    host, port = server2.address
    quiet = run_cli(
        "send", "-s", f"{host}:{port}", "-t", "b@example.test", "-q", "helo", "--silent", "3"
    )
    assert quiet.code == 0 and quiet.stdout == ""


def test_pipe_transport(tmp_path):
    import sys

    script = tmp_path / "pipe_server.py"
    script.write_text(
        "import sys\n"
        "w, r = sys.stdout.buffer, sys.stdin.buffer\n"
        "w.write(b'220 pipe ESMTP\\r\\n'); w.flush()\n"
        "for line in r:\n"
        "    verb = line[:4].upper()\n"
        "    replies = {b'EHLO': b'250 pipe\\r\\n', b'QUIT': b'221 bye\\r\\n'}\n"
        "    w.write(replies.get(verb, b'250 ok\\r\\n'))\n"
        "    w.flush()\n"
        "    if verb == b'QUIT':\n"
        "        break\n"
    )
    result = run_cli(
        "send",
        "--pipe",
        f"{sys.executable} {script}",
        "-t",
        "a@example.test",
        "-q",
        "rcpt",
        "--output",
        "json",
    )
    assert result.code == 0, result.stdout
    assert result.step("rcpt")["reply"]["code"] == 250
