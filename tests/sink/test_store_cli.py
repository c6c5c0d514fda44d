"""Storage (Maildir + index, orphan recovery) and `smtpcheck sink list/show/clear`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from smtpcheck.sink.store import Envelope, Store

MESSAGE = b"Subject: =?utf-8?q?h=C3=A9llo?=\r\nFrom: a@x.test\r\n\r\nbody line\r\n"


def sink_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "smtpcheck", "sink", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def fill(root: Path, count: int = 2) -> Store:
    store = Store(root).open()
    store.write_batch(
        [
            Envelope(
                id=f"ID{i}",
                mail_from="a@x.test",
                recipients=["b@y.test"],
                data=MESSAGE,
                client="127.0.0.1:1",
                helo="client.test",
                hostname="sink.test",
            )
            for i in range(count)
        ]
    )
    return store


def test_maildir_file_holds_trace_headers_then_exact_message(tmp_path: Path) -> None:
    store = fill(tmp_path)
    message = store.resolve("ID1")
    assert message is not None and message["subject"] == "héllo"
    full = (tmp_path / "Maildir" / message["path"]).read_bytes()
    assert full.startswith(b"Return-Path: <a@x.test>\r\nDelivered-To: b@y.test\r\nReceived:")
    assert store.raw(message, with_trace=False) == MESSAGE
    assert not list((tmp_path / "Maildir" / "tmp").iterdir())


def test_orphan_maildir_file_is_reindexed(tmp_path: Path) -> None:
    store = fill(tmp_path)
    store.db.execute("DELETE FROM messages WHERE id = 'ID0'")
    store.db.commit()
    store.close()
    again = Store(tmp_path).open()
    recovered = again.resolve("ID0")
    assert recovered is not None
    assert recovered["mail_from"] == "a@x.test" and recovered["recipients"] == ["b@y.test"]
    assert again.raw(recovered, with_trace=False) == MESSAGE


def test_cli_list_show_export_clear(tmp_path: Path) -> None:
    fill(tmp_path).close()
    listed = sink_cli("list", "--store", str(tmp_path), "--json")
    assert listed.returncode == 0, listed.stderr
    ids = [m["id"] for m in json.loads(listed.stdout)["messages"]]
    assert ids == ["ID0", "ID1"]
    shown = sink_cli("show", "2", "--store", str(tmp_path))
    assert "ID1" in shown.stdout and "body line" in shown.stdout
    raw = subprocess.run(
        [
            sys.executable,
            "-m",
            "smtpcheck",
            "sink",
            "show",
            "ID0",
            "--raw",
            "--store",
            str(tmp_path),
        ],
        capture_output=True,
        timeout=60,
    )
    assert raw.stdout == MESSAGE
    exported = sink_cli("show", "ID0", "--store", str(tmp_path), "--export", str(tmp_path))
    assert (tmp_path / "ID0.eml").read_bytes().endswith(MESSAGE), exported.stderr
    missing = sink_cli("show", "nope", "--store", str(tmp_path))
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    cleared = sink_cli("clear", "--yes", "--store", str(tmp_path))
    assert "deleted 2 messages" in cleared.stdout
    assert json.loads(sink_cli("list", "--store", str(tmp_path), "--json").stdout) == {
        "messages": []
    }


def test_cli_refuses_public_address_and_bad_rules(tmp_path: Path) -> None:
    public = sink_cli("--listen", "0.0.0.0:2525", "--store", str(tmp_path))
    assert public.returncode == 2 and "loopback" in public.stderr
    assert "Traceback" not in public.stderr
    bad = sink_cli("--reply", "RCPT=hello", "--store", str(tmp_path))
    assert bad.returncode == 2 and "3-digit code" in bad.stderr
    persona = sink_cli("--persona", "nosuch", "--store", str(tmp_path))
    assert persona.returncode == 2 and "exchange" in persona.stderr
