"""The web interface's test bed: a mail lab, `smtpcheck web` as a user starts it, and a
real browser (Playwright driving Debian's Chromium) with no network but this server.

- `web_lab`    (session) DNS from the session's dnsmasq (check.test: seven MX hosts on
               127.0.5.1-7) and two capture servers on one free port: 127.0.5.2
               answers at once, 127.0.5.7 slowly (greeting and each command delayed),
               so a check's steps come in one after another. The other five addresses
               refuse the connection.
- `start_web`  (function) factory: `start_web(*args)` runs `python -m smtpcheck web ARGS`
               on a free loopback port and waits until it serves; stopped at the end.
- `lab_web`    (session) one server for the lab: the capture server (--sink) on its own
               port, 127.0.0.0/8 and the lab's port allowed as targets.
- `browser`    (function) factory: `browser(server)` -> a Playwright page that reaches
               `server` (and nothing else: Chromium runs in a network namespace of its
               own, see relay.py). Closed at the end of the test.
- `screenshots` (session) the folder where pages are saved as PNG: $SMTPCHECK_WEB_SCREENSHOTS
               if set, else a folder under pytest's temporary directory (printed).

A missing program (chromium, unshare, ip) fails the test with how to install it.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from relay import Relay, tcp_connector

from peers.dnsmasq import Dnsmasq
from smtpcheck.sink.config import SinkConfig
from smtpcheck.sink.rules import RuleSet, parse_shorthand
from smtpcheck.sink.server import run_in_thread

HERE = Path(__file__).parent
FAST, SLOW = "127.0.5.2", "127.0.5.7"
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


def free_port(*hosts: str) -> int:
    """A TCP port free on every one of `hosts`."""
    for _ in range(100):
        with socket.socket() as probe:
            probe.bind((hosts[0], 0))
            port = int(probe.getsockname()[1])
        free = True
        for host in hosts[1:]:
            with socket.socket() as other:
                try:
                    other.bind((host, port))
                except OSError:
                    free = False
                    break
        if free:
            return port
    raise RuntimeError(f"no port free on all of {hosts}")


@dataclass
class WebLab:
    dns: str
    port: int  # the capture servers' port on 127.0.5.2 and 127.0.5.7
    stores: dict[str, Path] = field(default_factory=dict)


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


@dataclass
class WebServer:
    """A running `smtpcheck web`."""

    proc: subprocess.Popen[str]
    port: int
    home: Path  # XDG_DATA_HOME of the server (history, default store)
    sink_port: int | None = None
    output: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kwargs)

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rest = self.proc.stdout.read() if self.proc.stdout else ""
        return "".join(self.output) + (rest or "")


def _read_until(proc: subprocess.Popen[str], marker: str, seconds: float) -> list[str]:
    """Lines of the server's output until one contains `marker` (or it exits, or time's up)."""
    assert proc.stdout is not None
    lines: list[str] = []
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not selector.select(timeout=0.2):
            if proc.poll() is not None:
                break
            continue
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if marker in line:
            break
    selector.close()
    return lines


def launch_web(
    home: Path,
    *args: str,
    port: int | None = None,
    env: dict[str, str] | None = None,
    expect_start: bool = True,
) -> WebServer:
    port = port or free_port("127.0.0.1")
    home.mkdir(parents=True, exist_ok=True)
    environment = {k: v for k, v in os.environ.items() if k != "SMTPCHECK_WEB_TOKEN"}
    environment.update({"XDG_DATA_HOME": str(home), "NO_COLOR": "1", **(env or {})})
    listen = [] if any(a == "--listen" for a in args) else ["--listen", f"127.0.0.1:{port}"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "smtpcheck", "web", *listen, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=environment,
    )
    server = WebServer(proc, port, home)
    if expect_start:
        server.output = _read_until(proc, "smtpcheck web on", 60)
        if not any("smtpcheck web on" in line for line in server.output):
            output = server.stop()
            pytest.fail(f"smtpcheck web did not start:\n{output}", pytrace=False)
    return server


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


def lab_args(lab: WebLab) -> list[str]:
    return [
        "--dns", lab.dns,
        "--allow-targets", "127.0.0.0/8",
        "--allow-ports", str(lab.port),
        "--timeout", "5",
        "--ehlo", "client.check.test",
        "--from", "tester@client.check.test",
        "--checks-per-minute", "200",
        "--max-checks", "20",
    ]  # fmt: skip


@pytest.fixture(scope="session")
def lab_web(web_lab: WebLab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    home = tmp_path_factory.mktemp("lab-web")
    sink_port = free_port("127.0.0.1")
    server = launch_web(
        home,
        *lab_args(web_lab),
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
    path = shutil.which(program) if not program.startswith("/") else program
    if not path or not os.access(path, os.X_OK):
        pytest.fail(
            f"{program} is needed: install {package} (scripts/install-peers.sh)", pytrace=False
        )
    return path


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Any]:
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
            f"exec {unshare} --net -- {sys.executable} {HERE / 'browser_netns.py'} "
            f'{socket_path} {server.port} {chromium} "$@"\n'
        )
        launcher.chmod(0o755)
        profile = tmp_path / f"profile-{index}"  # a new, empty --user-data-dir
        context = playwright_driver.chromium.launch_persistent_context(
            str(profile),
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
