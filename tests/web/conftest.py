"""The web interface's test bed: a mail lab, `smtpcheck web` as a user starts it, and a
real browser (Playwright driving Debian's Chromium) with no network but this server.

- `web_lab`    (session) DNS from the session's dnsmasq (check.test: seven MX hosts on
               127.0.5.1-7) and two capture servers on one free port: 127.0.5.2
               answers at once, 127.0.5.7 slowly (greeting and some commands delayed),
               so a check's steps come in one after another. The other five addresses
               refuse the connection.
- `start_web`  (function) factory: `start_web(*args)` runs `python -m smtpcheck web ARGS`
               on a free loopback port and waits until it serves; stopped at the end.
- `lab_web`    (session) one server for the lab: the capture server (--sink) on its own
               port, 127.0.0.0/8 and the lab's port allowed as targets.
- `browser`    (function) factory: `browser(server)` -> a Playwright page that reaches
               `server` and nothing else: Chromium runs in a network namespace of its
               own (it looks up Google's hosts at start-up whatever its flags say), and
               reaches the server through a UNIX-socket relay (peers/relay.py).
- `screenshots` (session) where pages are saved as PNG: $SMTPCHECK_WEB_SCREENSHOTS if
               set, else a folder under pytest's temporary directory (its path is printed).

A missing program (chromium, unshare, ip) fails the test with how to install it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from peers.dnsmasq import Dnsmasq
from peers.relay import Relay, tcp_connector
from peers.webui import FAST, SLOW, WebLab, WebServer, free_port, launch_web
from smtpcheck.sink.config import SinkConfig
from smtpcheck.sink.rules import RuleSet, parse_shorthand
from smtpcheck.sink.server import run_in_thread

BROWSER_NETNS = Path(__file__).parent.parent / "peers" / "browser_netns.py"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def web_lab(dnsmasq: Dnsmasq, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebLab]:
    work = tmp_path_factory.mktemp("web-lab")
    port = free_port(FAST, SLOW)
    slow = RuleSet(rules=[parse_shorthand("delay", f"{verb}=0.4") for verb in ("EHLO", "MAIL")])
    slow.greeting_delay = 1.0
    lab = WebLab(dns=dnsmasq.server, port=port)
    with contextlib.ExitStack() as stack:
        for host, rules in ((FAST, RuleSet()), (SLOW, slow)):
            lab.stores[host] = work / host
            config = SinkConfig(
                host=host,
                port=port,
                hostname=f"lab-{host.rsplit('.', 1)[1]}.check.test",
                store_dir=lab.stores[host],
                durable=False,
                starttls=False,
                auth=False,
                rules=rules,
            )
            stack.enter_context(run_in_thread(config))
        yield lab


@pytest.fixture
def start_web(tmp_path: Path) -> Iterator[Callable[..., WebServer]]:
    started: list[WebServer] = []

    def start(*args: str, **kwargs: Any) -> WebServer:
        server = launch_web(tmp_path / f"home-{len(started)}", *args, **kwargs)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def lab_web(web_lab: WebLab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    home = tmp_path_factory.mktemp("lab-web")
    sink_port = free_port("127.0.0.1")
    server = launch_web(
        home,
        *web_lab.args(),
        "--sink",
        "--sink-listen", f"127.0.0.1:{sink_port}",
        "--store", str(home / "sink"),
    )  # fmt: skip
    server.sink_port = sink_port
    yield server
    server.stop()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    configured = os.environ.get("SMTPCHECK_WEB_SCREENSHOTS")
    folder = Path(configured) if configured else tmp_path_factory.mktemp("web-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nweb screenshots: {folder}")
    return folder


def _needed(program: str, package: str) -> str:
    path = program if program.startswith("/") else shutil.which(program)
    if not path or not os.access(path, os.X_OK):
        message = f"{program} is needed: install {package} (scripts/install-peers.sh)"
        pytest.fail(message, pytrace=False)
    return path


@pytest.fixture
def playwright_driver() -> Iterator[Any]:
    """Playwright's driver for one test: its sync API keeps an event loop running in
    this thread, which must not outlive the test (asyncio.run() elsewhere would fail)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture
def browser(playwright_driver: Any, tmp_path: Path) -> Iterator[Callable[[WebServer], Any]]:
    """`browser(server)` -> a page of a Chromium that can reach `server` only."""
    chromium = _needed(CHROMIUM, "chromium")
    unshare = _needed("unshare", "util-linux")
    _needed("ip", "iproute2")
    opened: list[tuple[Any, Relay]] = []

    def open_page(server: WebServer) -> Any:
        index = len(opened)
        socket_path = str(tmp_path / f"browser-{index}.sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(socket_path)
        listener.listen(64)
        relay = Relay(listener, tcp_connector("127.0.0.1", server.port)).start()
        launcher = tmp_path / f"chromium-{index}.sh"
        launcher.write_text(
            "#!/bin/sh\n"
            f"exec {unshare} --net -- {sys.executable} {BROWSER_NETNS} "
            f'{socket_path} {server.port} {chromium} "$@"\n'
        )
        launcher.chmod(0o755)
        context = playwright_driver.chromium.launch_persistent_context(
            str(tmp_path / f"profile-{index}"),  # a new, empty --user-data-dir
            executable_path=str(launcher),
            headless=True,
            args=CHROMIUM_FLAGS,
            locale="en-US",
        )
        opened.append((context, relay))
        page = context.pages[0] if context.pages else context.new_page()
        page.set_default_timeout(30_000)
        return page

    yield open_page
    for context, relay in opened:
        with contextlib.suppress(Exception):
            context.close()
        relay.stop()
