"""A real HTTPS server (nginx) on loopback serving MTA-STS policies, with certificates
from a test CA (trustme): `MtaStsWeb(ip, policies, untrusted, redirects)`.

- `policies`: host -> policy text, served at /.well-known/mta-sts.txt as text/plain
  (a host mapped to None has no file: 404);
- `untrusted`: hosts whose certificate comes from another CA, which the tests do not trust;
- `redirects`: host -> URL answered with a 301.
`ca_file` is the PEM of the trusted test CA (give it to the fetch as its CA file).
Port 443 on `ip` (a loopback address of its own), as RFC 8461 fixes the port.
"""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import time
from pathlib import Path

from peers.foreground import ForegroundPeer
from peers.process import (
    PeerError,
    find_program,
    make_run_folder,
    port_free,
    start_daemon,
    tail,
    wait_exit,
)
from peers.process import wait_ready as _wait_ready

HTTPS_PORT = 443
RUN_PREFIX = "smtpcheck-nginx-"


def _stop_stale(run_dir: Path) -> None:
    """End the nginx a dead session left running (its master's pid is in nginx.pid)."""
    pid = int((run_dir / "nginx.pid").read_text().split()[0])
    os.kill(pid, signal.SIGTERM)
    wait_exit(pid, 5)


class MtaStsWeb(ForegroundPeer):
    def __init__(
        self,
        ip: str,
        policies: dict[str, str | None],
        *,
        untrusted: set[str] | frozenset[str] = frozenset(),
        redirects: dict[str, str] | None = None,
    ) -> None:
        self.nginx = find_program("nginx")
        # under /tmp, readable by all: nginx's workers run as nobody (pytest's own
        # temporary folders are private to root)
        self.dir = make_run_folder(RUN_PREFIX, None, _stop_stale)
        self.ip = ip
        self.policies = dict(policies)
        self.untrusted = set(untrusted)
        self.redirects = dict(redirects or {})
        self.ca_file = self.dir / "test-ca.pem"
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = self.dir / "error.log"

    def _certificates(self) -> None:
        import trustme

        hosts = sorted({*self.policies, *self.redirects})
        trusted = trustme.CA()
        trusted.cert_pem.write_to_path(str(self.ca_file))
        leaf = trusted.issue_cert(*hosts)
        leaf.cert_chain_pems[0].write_to_path(str(self.dir / "trusted.pem"))
        for extra in leaf.cert_chain_pems[1:]:
            extra.write_to_path(str(self.dir / "trusted.pem"), append=True)
        leaf.private_key_pem.write_to_path(str(self.dir / "trusted.key"))
        other = trustme.CA().issue_cert(*sorted(self.untrusted) or ["none.test"])
        other.cert_chain_pems[0].write_to_path(str(self.dir / "untrusted.pem"))
        other.private_key_pem.write_to_path(str(self.dir / "untrusted.key"))

    def _site(self, host: str) -> None:
        folder = self.dir / "www" / host / ".well-known"
        folder.mkdir(parents=True, exist_ok=True)
        text = self.policies.get(host)
        if text is not None:
            (folder / "mta-sts.txt").write_text(text)

    def _config(self) -> str:
        d = self.dir
        listen = f"listen {self.ip}:{HTTPS_PORT} ssl"
        blocks = [
            f"""    server {{
        {listen} default_server;
        server_name _;
        ssl_certificate {d}/trusted.pem;
        ssl_certificate_key {d}/trusted.key;
        root {d}/www/$host;
    }}"""
        ]
        for host in sorted(self.untrusted):
            blocks.append(f"""    server {{
        {listen};
        server_name {host};
        ssl_certificate {d}/untrusted.pem;
        ssl_certificate_key {d}/untrusted.key;
        root {d}/www/$host;
    }}""")
        for host, target in sorted(self.redirects.items()):
            blocks.append(f"""    server {{
        {listen};
        server_name {host};
        ssl_certificate {d}/trusted.pem;
        ssl_certificate_key {d}/trusted.key;
        return 301 {target};
    }}""")
        temp = "\n".join(
            f"    {kind}_temp_path {d}/tmp/{kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        servers = "\n".join(blocks)
        return f"""daemon off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 64; }}
http {{
    access_log {d}/access.log;
{temp}
    types {{ text/plain txt; text/html html; }}
    default_type application/octet-stream;
{servers}
}}
"""

    def start(self) -> None:
        if not port_free(self.ip, HTTPS_PORT):
            raise PeerError(f"{self.ip}:{HTTPS_PORT} is taken (run the tests in a network"
                            " namespace: /work/tools/netns-run, or free the port)")  # fmt: skip
        (self.dir / "tmp").mkdir(exist_ok=True)
        self._certificates()
        for host in {*self.policies, *self.untrusted}:
            self._site(host)
        config = self.dir / "nginx.conf"
        config.write_text(self._config())
        command = [self.nginx, "-p", str(self.dir), "-c", str(config)]
        self.process = start_daemon(command, self.dir / "nginx.out")
        _wait_ready("nginx", self._answers, time.monotonic() + 10, self.log_tail, self.process)

    def _answers(self) -> str | None:
        context = ssl.create_default_context(cafile=str(self.ca_file))
        host = next(iter(self.policies))
        with (
            socket.create_connection((self.ip, HTTPS_PORT), timeout=1) as raw,
            context.wrap_socket(raw, server_hostname=host),
        ):
            return None

    def log_tail(self, lines: int = 30) -> str:
        return (tail(self.log_path, lines) or "") + (tail(self.dir / "nginx.out", 10) or "")
