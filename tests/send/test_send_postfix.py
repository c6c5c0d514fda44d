"""`smtpcheck send` against a real Postfix on loopback: each case the issue names."""

from __future__ import annotations

import uuid

from clirun import run_cli
from sendhelp import send, server_of


def _server(postfix, port_name: str = "main") -> str:
    return server_of(postfix, port_name)


def _send(postfix, *args: str, port: str = "main", json_out: bool = True):
    return send(_server(postfix, port), *args, json_out=json_out)


def test_delivery_lands_in_mailbox(postfix):
    marker = uuid.uuid4().hex
    result = _send(
        postfix,
        "--from",
        "chris@contoso.test",
        "--to",
        "alice@example.test",
        "--header",
        f"X-Test-Marker: {marker}",
    )
    assert result.code == 0, result.stdout + result.stderr
    report = result.report
    assert report["schema"] == "smtpcheck.report/1"
    assert [s["name"] for s in report["steps"]] == [
        "connect",
        "banner",
        "ehlo",
        "mail",
        "rcpt",
        "data",
        "eod",
        "quit",
    ]
    assert result.step("eod")["reply"]["code"] == 250
    assert result.step("eod")["reply"]["enhanced_status"] == "2.0.0"
    delivery = postfix.wait_for_delivery("alice", marker)
    message = delivery.message
    assert message["From"] == "chris@contoso.test"
    assert "smtpcheck test" in message["Subject"]
    assert message["Message-Id"]


def test_text_transcript_has_markers_and_meaning(postfix):
    result = _send(postfix, "--to", "alice@example.test", "--quit-after", "rcpt", json_out=False)
    assert result.code == 0, result.stdout
    lines = result.stdout.splitlines()
    assert any(line.startswith("<-  220 ") for line in lines)
    assert any(line.startswith(" -> EHLO client.example.test") for line in lines)
    assert any(line.startswith(" -> RCPT TO:<alice@example.test>") for line in lines)
    assert not any(line.startswith(" -> DATA") for line in lines)
    assert "Stopped after rcpt" in result.stdout


def test_unknown_user_550_511(postfix):
    result = _send(postfix, "--to", "nosuchuser@example.test")
    assert result.code == 24
    reply = result.step("rcpt")["reply"]
    assert (reply["code"], reply["enhanced_status"]) == (550, "5.1.1")
    assert result.step("rcpt")["status"] == "fail"
    assert not result.steps("data")


def test_invalid_ehlo_name_501(postfix):
    result = _send(postfix, "--ehlo", "bad..host", "--to", "alice@example.test")
    assert result.code == 22
    reply = result.step("ehlo")["reply"]
    assert reply["code"] == 501 and "Invalid name" in reply["lines"][0]


def test_relay_denied_554(postfix):
    result = _send(postfix, "--to", "someone@remote.test")
    assert result.code == 24
    reply = result.step("rcpt")["reply"]
    assert (reply["code"], reply["enhanced_status"]) == (554, "5.7.1")
    assert "Relay access denied" in reply["lines"][0]


def test_starttls_required_530(postfix):
    result = _send(postfix, "--to", "alice@example.test", port="submission")
    assert result.code == 23
    reply = result.step("mail")["reply"]
    assert reply["code"] == 530 and "STARTTLS" in reply["lines"][0]


def test_authentication_required_530(postfix):
    result = _send(postfix, "--tls", "--to", "alice@example.test", port="submission")
    assert result.code == 24
    reply = result.step("rcpt")["reply"]
    assert reply["code"] == 530 and "Authentication required" in reply["lines"][0]
    assert result.step("tls")["status"] == "pass"
    assert result.step("ehlo-tls")["reply"]["code"] == 250


def test_wrong_password_535(postfix):
    result = _send(
        postfix,
        "--tls",
        "--auth",
        "--auth-user",
        postfix.sasl_user,
        "--auth-password",
        "wrong-password-xyz",
        "--to",
        "bob@example.test",
        port="submission",
    )
    assert result.code == 28
    reply = result.step("auth")["reply"]
    assert (reply["code"], reply["enhanced_status"]) == (535, "5.7.8")
    assert "wrong-password-xyz" not in result.stdout + result.stderr


def test_right_password_235_and_secrets_hidden(postfix, tmp_path):
    marker = uuid.uuid4().hex
    log = tmp_path / "session.log"
    for mechanism in ("PLAIN", "LOGIN"):
        result = _send(
            postfix,
            "--tls",
            "--auth",
            mechanism,
            "--auth-user",
            postfix.sasl_user,
            "--auth-password",
            postfix.sasl_password,
            "--to",
            "bob@example.test",
            "--header",
            f"X-Test-Marker: {marker}-{mechanism}",
            "--log-file",
            str(log),
            port="submission",
        )
        assert result.code == 0, result.stdout
        assert result.step("auth")["reply"]["code"] == 235
        postfix.wait_for_delivery("bob", f"{marker}-{mechanism}")
        everything = result.stdout + result.stderr + log.read_text()
        # neither the password nor its base64 forms may appear anywhere
        import base64

        plain = base64.b64encode(f"\0{postfix.sasl_user}\0{postfix.sasl_password}".encode())
        assert postfix.sasl_password not in everything
        assert plain.decode() not in everything
        assert base64.b64encode(postfix.sasl_password.encode()).decode() not in everything
        assert "<redacted>" in everything


def test_temporary_failures_452_450_421(postfix):
    full = _send(postfix, "--to", "full@example.test")
    assert full.code == 24 and full.step("rcpt")["reply"]["code"] == 452
    grey = _send(postfix, "--to", "greylist@example.test")
    assert grey.code == 24 and grey.step("rcpt")["reply"]["enhanced_status"] == "4.7.1"
    busy = _send(postfix, "--to", "busy@example.test")
    assert busy.code == 24 and busy.step("rcpt")["reply"]["code"] == 421


def test_partial_rejection_is_visible(postfix):
    result = _send(postfix, "--to", "alice@example.test,nosuchuser@example.test")
    assert result.code == 0
    report = result.report
    assert report["data"]["recipients"] == {
        "accepted": ["alice@example.test"],
        "rejected": ["nosuchuser@example.test"],
    }
    assert any(f["code"] == "partial-rcpt" for f in report["findings"])


def test_size_limit_552(postfix):
    big = "Subject: big\\n\\n" + ("y" * 76 + "\\n") * 400  # ~31 KB > 10240
    result = _send(postfix, "--to", "alice@example.test", "--data", big, port="tight")
    assert result.code == 26
    reply = result.step("eod")["reply"]
    assert (reply["code"], reply["enhanced_status"]) == (552, "5.3.4")


def test_starttls_self_signed_fails_verification_then_passes_with_ca(postfix):
    bad = _send(
        postfix,
        "--tls",
        "--tls-verify",
        "--tls-sni",
        "mx.example.test",
        "--to",
        "alice@example.test",
        "--quit-after",
        "tls",
    )
    assert bad.code == 29
    failed = [s for s in bad.report["steps"] if s["status"] == "fail"][-1]
    assert failed["name"] == "tls"
    assert "self-signed" in failed["detail"] or "self signed" in failed["detail"]
    good = _send(
        postfix,
        "--tls",
        "--tls-verify",
        "--tls-ca",
        str(postfix.ca_file),
        "--tls-sni",
        "mx.example.test",
        "--to",
        "alice@example.test",
        "--quit-after",
        "tls",
    )
    assert good.code == 0, good.stdout
    tls = good.step("tls")["data"]
    assert tls["verified"] is True and tls["version"].startswith("TLSv1")
    assert "mx.example.test" in tls["chain"][0]["names"]


def test_implicit_tls_on_wrapper_port(postfix):
    marker = uuid.uuid4().hex
    result = _send(
        postfix,
        "--tls-on-connect",
        "--to",
        "alice@example.test",
        "--header",
        f"X-Test-Marker: {marker}",
        port="implicit_tls",
    )
    assert result.code == 0, result.stdout
    assert result.step("connect")["data"]["tls"]["version"].startswith("TLSv1")
    postfix.wait_for_delivery("alice", marker)


def test_dsn_parameters_used_when_offered(postfix):
    result = _send(
        postfix,
        "--from",
        "alice@example.test",
        "--to",
        "bob@example.test",
        "--dsn-notify",
        "success,failure",
        "--dsn-ret",
        "hdrs",
        "--dsn-envid",
        "smtpcheck-envid-1",
    )
    assert result.code == 0, result.stdout
    assert "RET=HDRS" in result.step("mail")["command"]
    assert "ENVID=smtpcheck-envid-1" in result.step("mail")["command"]
    assert "NOTIFY=SUCCESS,FAILURE" in result.step("rcpt")["command"]
    report = postfix.wait_for_delivery("alice", "smtpcheck-envid-1", timeout=20)
    assert b"Action: delivered" in report.raw


def test_ipv6_loopback(postfix):
    assert postfix.ipv6_host, "this machine has no usable ::1"
    result = run_cli(
        "send",
        "-6",
        "--server",
        f"[::1]:{postfix.main_port}",
        "--ehlo",
        "client.example.test",
        "--to",
        "alice@example.test",
        "--quit-after",
        "ehlo",
        "--output",
        "json",
    )
    assert result.code == 0, result.stdout
    assert result.step("connect")["data"]["peer"][0] == "::1"


def test_source_address(postfix):
    result = _send(
        postfix,
        "--local-interface",
        "127.0.0.2",
        "--to",
        "someone@remote.test",
        "--quit-after",
        "rcpt",
    )
    # 127.0.0.2 is in mynetworks: relaying is allowed (the "Local only" transport then
    # refuses the domain with 550 5.1.1, which shows the relay check itself passed).
    assert result.step("connect")["data"]["local"][0] == "127.0.0.2"
    assert result.step("rcpt")["reply"]["code"] != 554
