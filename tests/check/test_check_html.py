"""The HTML report opens in a real browser (headless Chromium) with its structure intact,
and escapes what servers say."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from html.parser import HTMLParser

import pytest

from smtpcheck.report.model import Finding, ReplyInfo, Report, Status, Step
from smtpcheck.report.render_html import render_html

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of the headless browser (a test peer: tests/conftest.py marks its users)."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("chromium is not installed: run scripts/install-peers.sh", pytrace=False)
    return path


def _isolated() -> list[str]:
    """Run the browser in a network namespace of its own (loopback only, down).

    Chromium looks up Google's hosts at start-up whatever its flags say; no test may
    send traffic off this machine, so the browser gets no network at all. The report is
    a local file and needs none.
    """
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.fail("unshare (util-linux) is needed to run the browser offline", pytrace=False)
    return [unshare, "--net"]


def dump_dom(chromium: str, html_path: str) -> str:
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run(
            [
                *_isolated(),
                chromium,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                "--dump-dom",
                f"file://{html_path}",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_check_report_in_chromium(checked, chromium):
    _, html = checked
    dom = dump_dom(chromium, str(html))
    assert 'id="verdict"' in dom
    assert 'id="top-findings"' in dom
    assert dom.count('data-name="address"') == 7
    assert 'data-code="cert-expired"' in dom
    assert 'data-code="maybe-open-relay"' in dom
    assert "<script" not in html.read_text()


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)


def test_everything_is_escaped(tmp_path, chromium):
    evil = "<script>alert(1)</script>"
    step = Step(
        name="banner",
        title=evil,
        status=Status.FAIL,
        reply=ReplyInfo(554, None, [evil]),
        detail=evil,
    )
    step.findings.append(Finding(Status.FAIL, "x", evil, fix=evil, subject=evil))
    report = Report(
        scenario="check", target=evil, verdict=evil, steps=[step], findings=list(step.findings)
    )
    text = render_html(report, "en")
    parser = _Tags()
    parser.feed(text)
    assert "script" not in parser.tags
    path = tmp_path / "evil.html"
    path.write_text(text, encoding="utf-8")
    dom = dump_dom(chromium, str(path))
    assert "<script>alert" not in dom


def test_the_page_carries_the_time_of_the_report_not_of_rendering():
    report = Report(scenario="check", target="example.test", started_at="2021-03-04T05:06:07+01:00")
    text = render_html(report, "en")
    assert "on 2021-03-04 04:06 UTC" in text
    assert render_html(report, "en") == text
