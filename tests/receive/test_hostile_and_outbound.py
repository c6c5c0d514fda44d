"""Hostile messages are bounded and escaped (no traceback, no raw ESC on the terminal);
`receive outbound` tells an open port 25 from a closed one (real Postfix, loopback)."""

from __future__ import annotations

from pathlib import Path

from clirun import run_cli
from peers.dnsmasq import Dnsmasq
from peers.postfix import PostfixPeer
from peers.process import free_port
from peers.receive_lab import GOOD_IP


def analyze_text(lab_dns: Dnsmasq, path: Path, *args: str):  # type: ignore[no-untyped-def]
    return run_cli(
        "receive", "--analyze", str(path), "--dns", lab_dns.server, "--no-dnsbl",
        "--client-ip", GOOD_IP, "--helo", "mail.sender.test", "--timeout", "3", *args,
    )  # fmt: skip


def test_escape_sequences_in_headers_never_reach_the_terminal(
    lab_dns: Dnsmasq, tmp_path: Path
) -> None:
    message = (
        b"From: \x1b]0;pwned\x07Evil <evil@sender.test>\r\n"
        b"From: second <x@sender.test>\r\n"
        b"Subject: \x1b[2J\x1b[31mred\r\n"
        b"Message-ID: not-an-id \x1b[1m\r\n"
        b"Date: yesterday \xc2\x9b31m\r\n\r\nbody\r\n"  # U+009B: a one-byte CSI
    )
    path = tmp_path / "esc.eml"
    path.write_bytes(message)
    result = analyze_text(lab_dns, path, "--mail-from", "evil@sender.test")
    assert result.code == 3, result.stderr
    assert "Traceback" not in result.stderr
    assert "\x1b" not in result.stdout and "\x9b" not in result.stdout
    assert "from-multiple" not in result.stdout  # the text, not the code, is shown
    assert "2 From headers" in result.stdout
    json_result = analyze_text(lab_dns, path, "--output", "json")
    invalid = [f for f in json_result.report["findings"] if f["code"] == "date-invalid"]
    assert invalid and "\\x9b31m" in invalid[0]["message"]


def test_huge_headers_and_broken_mime_are_bounded(lab_dns: Dnsmasq, tmp_path: Path) -> None:
    header = b"X-Filler: " + b"a" * 200_000 + b"\r\n"
    many = b"".join(b"X-Many-%d: v\r\n" % i for i in range(5000))
    mime = (
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="never-closed"\r\n\r\n'
        b"--never-closed\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"PGh0bWw+!!!not base64\r\n"
    )
    message = b"From: a@sender.test\r\nSubject: big\r\n" + header + many + mime
    path = tmp_path / "huge.eml"
    path.write_bytes(message)
    result = analyze_text(lab_dns, path, "--output", "json")
    assert result.code in (2, 3), result.stderr
    found = {f["code"] for f in result.report["findings"]}
    assert {"line-too-long", "date-missing", "mime-defect"} <= found


def test_outbound_open_and_closed(postfix: PostfixPeer) -> None:
    opened = run_cli("receive", "outbound", f"127.0.0.1:{postfix.main_port}", "--output", "json")
    assert opened.code == 0, opened.stderr
    probe = opened.report["probes"][0]
    assert probe["status"] == "open" and probe["greeting"].startswith("220 ")
    closed = run_cli(
        "receive", "outbound", f"127.0.0.1:{free_port(['127.0.0.1'], set())}", "-t", "3"
    )
    assert closed.code == 4
    assert "refused" in closed.stdout


def test_bad_input_is_one_line(tmp_path: Path) -> None:
    missing = run_cli("receive", "--analyze", str(tmp_path / "nope.eml"))
    assert missing.code == 1 and missing.stderr.count("\n") == 1 and "cannot read" in missing.stderr
    path = tmp_path / "m.eml"
    path.write_bytes(b"From: a@b.test\r\n\r\nx\r\n")
    bad_ip = run_cli("receive", "--analyze", str(path), "--client-ip", "999.1.1.1")
    assert bad_ip.code == 1 and "--client-ip" in bad_ip.stderr
    zones = tmp_path / "zones.toml"
    zones.write_text("[[zone]]\nkind = 'ip'\n")
    bad_zones = run_cli("receive", "--analyze", str(path), "--dnsbl-zones", str(zones))
    assert bad_zones.code == 1 and "no name" in bad_zones.stderr
    public = run_cli("receive", "--listen", "0.0.0.0:2525")
    assert public.code == 1 and "--allow-public" in public.stderr
