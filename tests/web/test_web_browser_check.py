"""A check from the browser: the steps arrive one by one, then the report, its
downloads and the Italian interface (Chromium, against `smtpcheck web` and the lab)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from peers.webui import SLOW, WebLab, WebServer

# Records each new number of steps in the live tree, in Python (kept across the final
# navigation to the report). Installed by the test, not by the page.
COUNT_STEPS = """
document.addEventListener('DOMContentLoaded', () => {
  const tree = document.getElementById('live-tree');
  if (!tree) { return; }
  let last = -1;
  new MutationObserver(() => {
    const count = tree.querySelectorAll('.step').length;
    if (count !== last) { last = count; window.stepCount(count); }
  }).observe(tree, {childList: true, subtree: true});
});
"""


def run_check(page: Any, server: WebServer, lab: WebLab, target: str) -> list[int]:
    counts: list[int] = []
    page.expose_function("stepCount", lambda count: counts.append(count))
    page.add_init_script(COUNT_STEPS)
    page.goto(server.url + "/")
    page.fill("#target", target)
    page.click("#check-form summary")
    page.fill("#port", str(lab.port))
    page.click("#run-check")
    page.wait_for_url("**/checks/*")
    return counts


def test_a_check_shows_its_steps_live_then_the_report(
    lab_web: WebServer, web_lab: WebLab, browser: Any, screenshots: Path, tmp_path: Path
) -> None:
    page = browser(lab_web)
    counts = run_check(page, lab_web, web_lab, "alice@check.test")
    page.wait_for_selector("#live-tree .step")
    page.screenshot(path=str(screenshots / "check-live.png"), full_page=True)
    page.wait_for_selector("#verdict", timeout=90_000)
    page.screenshot(path=str(screenshots / "check-report.png"), full_page=True)

    # The live tree grew several times before the report replaced it: steps came in
    # as they finished (the slow lab host answers each command late), not all at once.
    assert len(counts) >= 3, counts
    assert counts == sorted(counts), counts

    verdict = page.text_content("#verdict") or ""
    assert "alice@check.test" in verdict
    # every address of the seven MX hosts, each with its reply meanings
    assert page.locator('details.step[data-name="address"]').count() == 7
    slow = page.locator(f'details.step[data-name="address"]:has-text("{SLOW}")')
    assert slow.locator('details.step[data-name="rcpt"][data-status="pass"]').count() == 1
    assert page.locator(".meaning").count() > 5
    assert page.locator('#top-findings [data-code="connect-refused"]').count() == 5
    permalink = page.get_attribute("#permalink", "href") or ""
    assert page.url.endswith(permalink)

    with page.expect_download() as download_json:
        page.click("#download-json")
    report = json.loads(Path(download_json.value.path()).read_text(encoding="utf-8"))
    assert report["schema"] == "smtpcheck.report/1"
    assert report["verdict"] == verdict.strip()

    with page.expect_download() as download_html:
        page.click("#download-html")
    html = Path(download_html.value.path()).read_text(encoding="utf-8")
    assert 'id="verdict"' in html and "<script" not in html  # `check --html`'s file
    assert html.count('data-name="address"') == 7


def test_the_interface_switches_to_italian(
    lab_web: WebServer, web_lab: WebLab, browser: Any, screenshots: Path
) -> None:
    page = browser(lab_web)
    page.goto(lab_web.url + "/")
    assert page.text_content("header nav a[href='/']") == "Check"
    page.click("#lang-it")
    page.wait_for_selector("html[lang='it']")
    assert page.text_content("header nav a[href='/']") == "Verifica"
    assert page.input_value("#report-lang") == "it"  # the report follows the interface
    page.screenshot(path=str(screenshots / "check-form-it.png"), full_page=True)
    page.goto(lab_web.url + "/explain")  # the choice is remembered
    assert page.text_content("h1") == "Spiegazione di una risposta"

    page.goto(lab_web.url + "/")
    page.fill("#target", "alice@check.test")
    page.click("#check-form summary")
    page.fill("#port", str(web_lab.port))
    page.fill("#server", "127.0.5.2")
    page.click("#run-check")
    page.wait_for_selector("#verdict", timeout=90_000)
    assert "Le cose più importanti" in page.content()
    assert "La posta per alice@check.test" in (page.text_content("#verdict") or "")
    page.screenshot(path=str(screenshots / "check-report-it.png"), full_page=True)
