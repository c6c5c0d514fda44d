"""The mailbox in the browser: mail sent with `smtpcheck send` appears without a reload;
an HTML message is shown in a sandbox where its script does not run; delete, .eml."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from clirun import run_cli
from peers.webui import WebServer

HTML_MESSAGE = """\
From: App <app@example.test>
To: Dev <dev@example.test>
Subject: Hostile HTML
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: multipart/alternative; boundary="inner"

--inner
Content-Type: text/plain; charset=utf-8

Plain words for the text part.
--inner
Content-Type: text/html; charset=utf-8

<html><body><p id="greeting">Hello from HTML</p>
<script>document.body.setAttribute('data-script-ran', 'yes');
document.getElementById('greeting').textContent = 'SCRIPT RAN';
try { parent.document.title = 'pwned'; } catch (e) {}</script>
<img src="http://tracker.example.test/pixel.png" alt="pixel">
<img src="x" onerror="document.title='onerror ran'">
</body></html>
--inner--
--outer
Content-Type: application/pdf; name="invoice.pdf"
Content-Disposition: attachment; filename="invoice.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQKJWZha2UK
--outer--
"""


def send(server: WebServer, *args: str) -> None:
    result = run_cli(
        "send", "--server", f"127.0.0.1:{server.sink_port}",
        "--from", "app@example.test", "--to", "dev@example.test", *args,
    )  # fmt: skip
    assert result.code == 0, result.stdout + result.stderr


def message_id(server: WebServer, subject: str) -> str:
    with server.client() as client:
        found = client.get("/api/messages", params={"q": subject}).json()["messages"]
    assert len(found) == 1, found
    return str(found[0]["id"])


def wait_for_session(server: WebServer, ident: str) -> dict[str, Any]:
    """The session record is written when the session ends, just after the reply."""
    deadline = time.monotonic() + 20
    with server.client() as client:
        while time.monotonic() < deadline:
            detail: dict[str, Any] = client.get(f"/api/messages/{ident}").json()
            if detail["session"] is not None:
                return detail
            time.sleep(0.2)
    raise AssertionError("no session record for the message")


def test_mail_appears_live_without_a_reload(
    lab_web: WebServer, browser: Any, screenshots: Path
) -> None:
    page = browser(lab_web)
    page.goto(lab_web.url + "/mailbox")
    page.wait_for_selector("#mailbox-status")
    page.evaluate("window.sameDocument = true")  # gone if the page were reloaded
    send(lab_web, "--header", "Subject: Arrives live", "--body", "hello mailbox")
    row = page.wait_for_selector('tr.message:has-text("Arrives live")')
    assert page.evaluate("window.sameDocument") is True
    assert "dev@example.test" in (row.text_content() or "")
    page.screenshot(path=str(screenshots / "mailbox.png"), full_page=True)

    page.click('tr.message:has-text("Arrives live") a')
    page.wait_for_selector("#text-body")
    assert "hello mailbox" in (page.text_content("#text-body") or "")
    assert page.locator('#headers th:text-is("Subject")').count() == 1


def test_an_html_message_is_sandboxed_and_its_script_does_not_run(
    lab_web: WebServer, browser: Any, screenshots: Path, tmp_path: Path
) -> None:
    source = tmp_path / "hostile.eml"
    source.write_text(HTML_MESSAGE.replace("\n", "\r\n"), encoding="utf-8")
    send(lab_web, "--data", f"@{source}")
    ident = message_id(lab_web, "Hostile HTML")
    wait_for_session(lab_web, ident)

    page = browser(lab_web)
    answered: list[str] = []
    failed: dict[str, str] = {}
    page.on("requestfinished", lambda request: answered.append(request.url))
    page.on("requestfailed", lambda request: failed.update({request.url: request.failure}))
    page.goto(f"{lab_web.url}/mailbox/{ident}")
    frame_element = page.wait_for_selector("iframe#html-body")
    assert frame_element.get_attribute("sandbox") == ""  # no allow-scripts, nothing allowed
    frame = frame_element.content_frame()
    assert frame is not None
    frame.wait_for_load_state()
    page.wait_for_timeout(500)  # room for a script or an error handler, were they allowed
    assert frame.locator("#greeting").text_content() == "Hello from HTML"  # not "SCRIPT RAN"
    assert frame.locator("body").get_attribute("data-script-ran") is None
    assert page.title() not in ("pwned", "onerror ran")
    # the remote image was never fetched: the message's Content-Security-Policy stopped it
    assert not any("tracker.example.test" in url for url in answered), answered
    assert "csp" in failed.get("http://tracker.example.test/pixel.png", "").lower(), failed
    page.screenshot(path=str(screenshots / "message-html.png"), full_page=True)

    assert "Plain words for the text part." in (page.text_content("#text-body") or "")
    assert page.text_content("#attachments a") == "invoice.pdf"
    assert "EHLO" in (page.text_content("#transcript") or "")  # the session's transcript

    with page.expect_download() as attachment:
        page.click("#attachments a")
    assert Path(attachment.value.path()).read_bytes() == b"%PDF-1.4\n%fake\n"
    with page.expect_download() as eml:
        page.click("#download-eml")
    assert b"Subject: Hostile HTML" in Path(eml.value.path()).read_bytes()

    page.click("#delete-message")
    page.wait_for_url("**/mailbox")
    assert page.locator(f'tr.message[data-id="{ident}"]').count() == 0
    with httpx.Client(base_url=lab_web.url) as client:
        assert client.get(f"/api/messages/{ident}").status_code == 404
