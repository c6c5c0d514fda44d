"""The SSRF guard: a check started from the web connects only where the operator allows
(real listener on loopback: it must never see a connection it was not allowed)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from peers.webui import WebLab, WebServer, free_port


def connect_steps(report: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    pending = list(report["steps"])
    while pending:
        step = pending.pop()
        if step["name"] == "connect":
            found.append(step)
        pending += step["children"]
    return found


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A TCP listener on 127.0.0.1 that records whether anyone connected."""
    port = free_port("127.0.0.1")
    sock = socket.create_server(("127.0.0.1", port))
    sock.setblocking(False)
    yield sock
    sock.close()


def nobody_connected(sock: socket.socket) -> bool:
    try:
        client, _ = sock.accept()
    except BlockingIOError:
        return True
    client.close()
    return False


def test_loopback_is_refused_before_any_connection(
    start_web: Any, web_lab: WebLab, listener: socket.socket
) -> None:
    port = listener.getsockname()[1]
    server = start_web("--dns", web_lab.dns, "--allow-ports", str(port), "--timeout", "3")
    report = server.finished({"target": "kate@example.test", "server": "127.0.0.1", "port": port})
    (connect,) = connect_steps(report)
    assert connect["status"] == "fail"
    assert "127.0.0.1 is a loopback address" in connect["detail"]
    assert report["exit_code"] == 4
    assert nobody_connected(listener)


def test_a_name_that_resolves_to_loopback_is_refused(
    start_web: Any, web_lab: WebLab, listener: socket.socket
) -> None:
    port = listener.getsockname()[1]
    server = start_web("--dns", web_lab.dns, "--allow-ports", str(port), "--timeout", "3")
    # up.mxfallback.test has the address 127.0.0.1 in the lab's DNS
    body = {"target": "kate@example.test", "server": "up.mxfallback.test", "port": port}
    (connect,) = connect_steps(server.finished(body))
    assert "127.0.0.1 is a loopback address" in connect["detail"]
    assert nobody_connected(listener)
    # and an MX set on loopback (check.test: 127.0.5.1-7) is refused address by address
    report = server.finished({"target": "alice@check.test", "port": port})
    details = [step["detail"] for step in connect_steps(report)]
    assert len(details) == 7 and all("loopback address" in d for d in details), details


def test_a_port_other_than_the_mail_ports_is_refused(start_web: Any, web_lab: WebLab) -> None:
    server = start_web("--dns", web_lab.dns, "--allow-targets", "127.0.0.0/8", "--timeout", "3")
    body = {"target": "alice@check.test", "server": "127.0.5.2", "port": web_lab.port}
    (connect,) = connect_steps(server.finished(body))
    assert f"port {web_lab.port} is not allowed here (allowed: 25, 465, 587)" in connect["detail"]


def test_allowed_ranges_reach_the_lab(lab_web: WebServer, web_lab: WebLab) -> None:
    body = {"target": "alice@check.test", "server": "127.0.5.2", "port": web_lab.port}
    report = lab_web.finished(body)
    (connect,) = connect_steps(report)
    assert connect["status"] == "pass"
    assert report["data"]["accepted"] == 1


def test_the_browser_sees_the_refusal(
    start_web: Any, web_lab: WebLab, browser: Any, screenshots: Path, listener: socket.socket
) -> None:
    port = listener.getsockname()[1]
    server = start_web("--dns", web_lab.dns, "--allow-ports", str(port), "--timeout", "3")
    page = browser(server)
    page.goto(server.url + "/")
    page.fill("#target", "kate@example.test")
    page.click("#check-form summary")
    page.fill("#server", "127.0.0.1")
    page.fill("#port", str(port))
    page.click("#run-check")
    page.wait_for_selector("#verdict", timeout=60_000)
    connect = page.locator('details.step[data-name="connect"]')
    assert "127.0.0.1 is a loopback address" in (connect.text_content() or "")
    page.screenshot(path=str(screenshots / "check-refused.png"), full_page=True)
    assert nobody_connected(listener)
