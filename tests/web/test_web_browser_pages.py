"""History and its comparison, Explain and MX in the browser (with screenshots)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from peers.webui import WebLab, WebServer


def test_history_compare_explain_and_mx(
    lab_web: WebServer, web_lab: WebLab, browser: Any, screenshots: Path
) -> None:
    lab_web.finished({"target": "bob@check.test", "server": "127.0.5.4", "port": web_lab.port})
    lab_web.finished({"target": "bob@check.test", "server": "127.0.5.2", "port": web_lab.port})
    page = browser(lab_web)

    page.goto(lab_web.url + "/history?q=check.test")
    rows = page.locator('#history tr[data-domain="check.test"]')
    assert rows.count() >= 2
    page.screenshot(path=str(screenshots / "history.png"), full_page=True)
    rows.nth(0).locator('input[name="b"]').check()
    rows.nth(1).locator('input[name="a"]').check()
    page.click("#compare")
    page.wait_for_selector("#solved-problems")
    assert page.locator('#solved-problems [data-code="connect-refused"]').count() == 1
    assert page.locator("#changed-steps tr").count() > 1
    page.screenshot(path=str(screenshots / "compare.png"), full_page=True)

    page.goto(lab_web.url + "/explain")
    page.fill("#q", "550 5.7.1 <kate@fabrikam.com>: Relay access denied")
    page.click("#explain-button")
    page.wait_for_selector("#explanation")
    assert "5.7.1" in (page.text_content("#explanation h2") or "")
    page.screenshot(path=str(screenshots / "explain.png"), full_page=True)
    page.fill("#q", "X-EXPS GSSAPI NTLM")
    page.check('input[name="mode"][value="ehlo"]')
    page.click("#explain-button")
    page.wait_for_selector('#explanation[data-kind="ehlo_keyword"]')

    page.goto(lab_web.url + "/mx")
    page.fill("#domain", "check.test")
    page.click("#mx-button")
    page.wait_for_selector("#mx-hosts")
    assert page.locator("#mx-hosts tbody tr, #mx-hosts tr").count() >= 7
    page.screenshot(path=str(screenshots / "mx.png"), full_page=True)
