"""The server's own protections: the token when listening publicly, CSRF on forms and
the API, the Host check, size and rate limits, and the headers on every response."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx

from peers.webui import WebLab, WebServer, free_port, launch_web

TOKEN = "correct-horse-battery-staple"


def csrf_of(client: httpx.Client, path: str = "/") -> str:
    page = client.get(path).text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1)


def test_listening_publicly_needs_a_token(tmp_path: Path) -> None:
    port = free_port("127.0.0.1")
    listen = ["--listen", f"0.0.0.0:{port}"]
    refused = launch_web(tmp_path / "a", *listen, expect_start=False)
    assert refused.proc.wait(timeout=60) == 1
    assert "not a loopback address" in refused.stop()
    no_token = launch_web(tmp_path / "b", *listen, "--allow-public", expect_start=False)
    assert no_token.proc.wait(timeout=60) == 1
    assert "needs a token" in no_token.stop()
    short = tmp_path / "short"
    short.write_text("secret\n")
    weak = launch_web(tmp_path / "c", *listen, "--allow-public", "--token-file", str(short),
                      expect_start=False)  # fmt: skip
    assert weak.proc.wait(timeout=60) == 1
    assert "too short" in weak.stop()


def test_the_token_is_required_on_every_request(
    start_web: Any, tmp_path: Path, browser: Any, screenshots: Path
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    port = free_port("127.0.0.1")
    server = start_web(
        "--listen", f"0.0.0.0:{port}", "--allow-public", "--token-file", str(token_file), port=port
    )
    with server.client() as client:
        assert client.get("/api/history").status_code == 401
        page = client.get("/history")
        assert page.status_code == 303 and page.headers["location"] == "/login?next=/history"
        assert client.get("/static/app.css").status_code == 200  # the login page needs it
        assert (
            client.get("/api/history", headers={"Authorization": "Bearer nope"}).status_code == 401
        )
    with server.client(headers={"Authorization": f"Bearer {TOKEN}"}) as api:
        assert api.get("/api/history").json() == {"checks": []}
        # an API client with the token needs no CSRF token, whatever it posts
        answer = api.post(
            "/api/checks", content=b"target=x", headers={"content-type": "text/plain"}
        )
        assert answer.status_code == 422  # past the guard: the body is not JSON

    page = browser(server)
    page.goto(server.url + "/history")
    page.wait_for_selector("#login-form")
    page.screenshot(path=str(screenshots / "login.png"), full_page=True)
    page.fill("#token", "wrong-token-wrong-token")
    page.click("#login-button")
    page.wait_for_selector("#login-error")
    page.fill("#token", TOKEN)
    page.click("#login-button")
    page.wait_for_url("**/history")
    assert page.text_content("h1") == "History"


def test_forms_need_their_csrf_token(lab_web: WebServer) -> None:
    with lab_web.client() as client:
        token = csrf_of(client)
        form = {"target": "alice@check.test", "port": "25"}
        assert client.post("/checks", data=form).status_code == 403
        assert client.post("/checks", data={**form, "csrf_token": "forged" * 5}).status_code == 403
        started = client.post("/checks", data={**form, "server": "127.0.5.2", "csrf_token": token})
        assert started.status_code == 303 and started.headers["location"].startswith("/checks/")
    with lab_web.client() as stranger:  # another browser: its own cookie, not this token
        assert stranger.post("/checks", data={**form, "csrf_token": token}).status_code == 403


def test_the_api_refuses_what_a_cross_site_page_could_send(lab_web: WebServer) -> None:
    with lab_web.client() as client:
        simple = client.post("/api/checks", content=b'{"target": "a@b.test"}',
                             headers={"content-type": "text/plain"})  # fmt: skip
        assert simple.status_code == 403
        other_site = client.post(
            "/api/checks", json={"target": "a@b.test"}, headers={"origin": "http://evil.test"}
        )
        assert other_site.status_code == 403
        sandboxed = client.delete("/api/messages/x", headers={"origin": "null"})
        assert sandboxed.status_code == 403


def test_only_this_servers_names_are_answered(lab_web: WebServer) -> None:
    with lab_web.client() as client:
        assert client.get("/", headers={"host": "attacker.example"}).status_code == 400
        assert client.get("/", headers={"host": f"localhost:{lab_web.port}"}).status_code == 200


def test_request_bodies_are_bounded(lab_web: WebServer) -> None:
    with lab_web.client() as client:
        large = client.post("/api/checks", json={"target": "a" * 70_000})
        assert large.status_code == 413

        def chunks() -> Any:  # no Content-Length: counted as it comes
            for _ in range(40):
                yield b"x" * 4096

        streamed = client.post(
            "/api/checks", content=chunks(), headers={"content-type": "application/json"}
        )
        assert streamed.status_code == 413


def test_checks_are_rate_limited_per_client(start_web: Any, web_lab: WebLab) -> None:
    server = start_web("--dns", web_lab.dns, "--checks-per-minute", "1", "--timeout", "2")
    body = {"target": "kate@example.test", "server": "192.0.2.1"}
    with server.client() as client:
        assert client.post("/api/checks", json=body).status_code == 202
        again = client.post("/api/checks", json=body)
        assert again.status_code == 429
        assert "wait a minute" in again.json()["detail"]


def test_every_page_carries_a_strict_policy(lab_web: WebServer) -> None:
    with lab_web.client() as client:
        for path in ("/", "/history", "/explain?q=550", "/mx", "/mailbox", "/api/history"):
            answer = client.get(path)
            policy = answer.headers["content-security-policy"]
            assert "script-src 'self'" in policy and "default-src 'none'" in policy, path
            assert "unsafe-inline" not in policy
            assert answer.headers["x-frame-options"] == "DENY"
            assert answer.headers["x-content-type-options"] == "nosniff"
        cookie = (
            client.get("/").headers["set-cookie"] if "smtpcheck_csrf" not in client.cookies else ""
        )
        assert cookie == "" or ("HttpOnly" in cookie and "SameSite=Strict" in cookie)


def test_values_from_servers_are_escaped(lab_web: WebServer) -> None:
    evil = "<script>alert(1)</script>"
    with lab_web.client() as client:
        page = client.get("/explain", params={"q": f"550 5.1.1 {evil}"}).text
        assert evil not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        page = client.get("/history", params={"q": evil}).text
        assert evil not in page
