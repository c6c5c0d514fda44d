"""The JSON API with an HTTP client (httpx): checks and their live events, history,
comparison, re-run, explain, MX, the mailbox, and the OpenAPI description."""

from __future__ import annotations

import json
from typing import Any

from clirun import run_cli
from peers.webui import WebLab, WebServer


def events_of(server: WebServer, check_id: str) -> list[tuple[str, Any]]:
    """Every Server-Sent Event of a check until `done`."""
    events: list[tuple[str, Any]] = []
    name = ""
    with (
        server.client() as client,
        client.stream("GET", f"/api/checks/{check_id}/events") as stream,
    ):
        assert stream.headers["content-type"].startswith("text/event-stream")
        for line in stream.iter_lines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                events.append((name, json.loads(line[6:])))
                if name == "done":
                    break
    return events


def count_steps(steps: list[dict[str, Any]]) -> int:
    return sum(1 + count_steps(step["children"]) for step in steps)


def test_a_check_through_the_api_with_live_events(lab_web: WebServer, web_lab: WebLab) -> None:
    with lab_web.client() as client:
        started = client.post(
            "/api/checks", json={"target": "alice@check.test", "port": web_lab.port}
        )
        assert started.status_code == 202
        check_id = started.json()["id"]
        assert client.get(f"/api/checks/{check_id}").json()["state"] == "running"
    events = events_of(lab_web, check_id)
    progress = [count_steps(data["steps"]) for name, data in events if name == "progress"]
    assert len(set(progress)) >= 3, progress  # the tree grew step by step
    assert progress == sorted(progress)
    name, done = events[-1]
    assert name == "done" and done["url"] == f"/checks/{check_id}"
    with lab_web.client() as client:
        found = client.get(f"/api/checks/{check_id}").json()
        assert found["state"] == "done"
        report = found["report"]
        assert report["schema"] == "smtpcheck.report/1"
        assert report["verdict"] == done["verdict"]
        assert report["data"]["tested"] == 7 and report["data"]["accepted"] == 2
        html = client.get(f"/api/checks/{check_id}/html")
        assert html.headers["content-disposition"].startswith("attachment")
        assert "sandbox" in html.headers["content-security-policy"]
        assert report["verdict"].replace("'", "&#x27;") in html.text


def test_bad_requests_are_refused_with_one_line(lab_web: WebServer) -> None:
    with lab_web.client() as client:
        no_domain = client.post("/api/checks", json={"target": "not an address"})
        assert no_domain.status_code == 400
        assert "invalid domain" in no_domain.json()["detail"]
        bad_server = client.post("/api/checks", json={"target": "a@b.test", "server": "x:99999"})
        assert bad_server.status_code == 400
        assert client.get("/api/checks/nosuchcheck").json() == {"detail": "no such check"}
        page = client.get("/checks/nosuchcheck")  # a page answers with a page
        assert page.status_code == 404 and 'id="error-message">no such check<' in page.text


def test_history_search_rerun_and_what_changed(lab_web: WebServer, web_lab: WebLab) -> None:
    # first the refusing host, then the working one: same domain, two runs
    refused = {"target": "kate@check.test", "server": "127.0.5.5", "port": web_lab.port}
    before = lab_web.finished(refused)
    assert before["exit_code"] == 4
    works = {"target": "kate@check.test", "server": "127.0.5.2", "port": web_lab.port}
    after = lab_web.finished(works)
    assert after["exit_code"] != 4
    with lab_web.client() as client:
        rows = client.get("/api/history", params={"q": "check.test"}).json()["checks"]
        kate = [row for row in rows if row["target"] in ("127.0.5.5", "127.0.5.2")]
        assert len(kate) >= 2
        newest, older = kate[0], kate[1]
        assert newest["started_at"] >= older["started_at"]
        assert client.get("/api/history", params={"q": "nowhere.example"}).json() == {"checks": []}

        diff = client.get("/api/history/compare", params={"a": newest["id"], "b": older["id"]})
        changes = diff.json()["changes"]
        assert changes["exit_code"]["before"] == 4  # ordered by time, whatever the order asked
        assert any(p["code"] == "connect-refused" for p in changes["solved_problems"])
        assert any(step["path"].startswith("/server/address@") for step in changes["changed_steps"])

        assert client.post(f"/api/checks/{older['id']}/rerun").status_code == 403  # no JSON
        again = client.post(f"/api/checks/{older['id']}/rerun", json={})
        assert again.status_code == 202
        rerun = again.json()["id"]
    report = lab_web.report_of(rerun)
    assert report["target"] == "127.0.5.5" and report["exit_code"] == 4


def test_explain_and_mx(lab_web: WebServer) -> None:
    with lab_web.client() as client:
        reply = client.get("/api/explain", params={"q": "550 5.1.1 <kate@x.test>: User unknown"})
        body = reply.json()
        assert body["kind"] == "reply" and body["result"]["enhanced"] == "5.1.1"
        italian = client.get("/api/explain", params={"q": "421", "lang": "it"}).json()
        assert italian["result"]["lang"] == "it"
        keyword = client.get("/api/explain", params={"q": "250-PIPELINING", "mode": "ehlo"})
        assert keyword.json()["result"]["keyword"] == "PIPELINING"
        enhanced = client.get("/api/explain", params={"q": "5.7.1"}).json()
        assert enhanced["kind"] == "enhanced"
        assert client.get("/api/explain", params={"q": "hello"}).status_code == 400

        mx = client.get("/api/mx", params={"domain": "check.test"}).json()
        assert mx["schema"] == "smtpcheck.mx/1"
        exchanges = [host["exchange"] for host in mx["hosts"]]
        assert len(exchanges) == 7 and exchanges[:2] == ["good.check.test", "selfsigned.check.test"]
        assert client.get("/api/mx", params={"domain": "bad..name"}).status_code == 400
        page = client.get("/mx", params={"domain": "check.test"}).text
        assert page.count("127.0.5.") >= 7


def test_the_mailbox_through_the_api(lab_web: WebServer) -> None:
    sent = run_cli(
        "send", "--server", f"127.0.0.1:{lab_web.sink_port}", "--from", "api@example.test",
        "--to", "box@example.test", "--header", "Subject: Through the API", "--body", "api body",
    )  # fmt: skip
    assert sent.code == 0, sent.stderr
    with lab_web.client() as client:
        found = client.get("/api/messages", params={"q": "through api"}).json()["messages"]
        assert len(found) == 1
        ident = found[0]["id"]
        detail = client.get(f"/api/messages/{ident}").json()
        assert detail["mail_from"] == "api@example.test"
        assert detail["text"].strip() == "api body"
        assert ["Subject", "Through the API"] in detail["headers"]
        raw = client.get(f"/api/messages/{ident}/raw")
        assert raw.headers["content-type"] == "message/rfc822"
        assert b"Subject: Through the API" in raw.content
        html = client.get(f"/mailbox/{ident}/html")
        policy = html.headers["content-security-policy"]
        assert "sandbox" in policy and "script-src" not in policy and "default-src 'none'" in policy
        assert client.delete(f"/api/messages/{ident}").json() == {"deleted": ident}
        assert client.delete(f"/api/messages/{ident}").status_code == 404


def test_the_openapi_description(lab_web: WebServer) -> None:
    with lab_web.client() as client:
        spec = client.get("/api/openapi.json").json()
    assert spec["info"]["title"] == "smtpcheck web"
    for path in ("/api/checks", "/api/checks/{check_id}/events", "/api/history/compare",
                 "/api/explain", "/api/mx", "/api/messages/{message_id}"):  # fmt: skip
        assert path in spec["paths"], path
    assert not any(path.startswith("/mailbox") for path in spec["paths"])  # pages are not API


def test_no_mailbox_without_the_sink(start_web: Any) -> None:
    server = start_web()
    with server.client() as client:
        assert client.get("/api/messages").status_code == 404
        page = client.get("/mailbox")
        assert page.status_code == 404 and "smtpcheck web --sink" in page.text
