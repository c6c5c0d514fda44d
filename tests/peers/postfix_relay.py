"""A private Postfix that relays to `smtpcheck receive` (the sending server under test).

The base peer (`peers.postfix.PostfixPeer`) with relay domains routed by a transport
map to our listener on 127.0.0.1:`target_port`, each through its own smtp transport:

| recipient domain    | transport | source address | HELO             | TLS              |
|---------------------|-----------|----------------|------------------|------------------|
| receive.test        | tlsout    | 127.0.9.1      | mail.sender.test | required         |
| plain.receive.test  | plainout  | 127.0.9.1      | mail.sender.test | none             |
| dyn.receive.test    | dynout    | 127.0.9.2      | localhost        | opportunistic    |

Postfix adds no missing Date/Message-ID (local_header_rewrite_clients is empty), so a
message lacking them arrives lacking them.
"""

from __future__ import annotations

from pathlib import Path

from peers.postfix import PostfixPeer
from peers.receive_lab import DYNAMIC_IP, GOOD_HELO, GOOD_IP

TRANSPORTS = {
    "receive.test": ("tlsout", GOOD_IP, GOOD_HELO, "encrypt"),
    "plain.receive.test": ("plainout", GOOD_IP, GOOD_HELO, "none"),
    "dyn.receive.test": ("dynout", DYNAMIC_IP, "localhost", "may"),
}


class RelayPostfix(PostfixPeer):
    """Postfix relaying the lab's recipient domains to our listener."""

    def __init__(self, target_port: int, base_dir: Path | None = None) -> None:
        super().__init__(base_dir)
        self.target_port = target_port

    def _write_files(self) -> None:
        super()._write_files()
        (self.config_dir / "transport").write_text(
            "".join(
                f"{domain} {name}:[127.0.0.1]:{self.target_port}\n"
                for domain, (name, *_rest) in TRANSPORTS.items()
            )
        )

    def _main_cf(self, uid: int, gid: int) -> str:
        return super()._main_cf(uid, gid) + (
            f"relay_domains = {', '.join(TRANSPORTS)}\n"
            f"transport_maps = texthash:{self.config_dir}/transport\n"
            "local_header_rewrite_clients =\n"
            "smtp_tls_loglevel = 1\n"
        )

    def _master_cf(self) -> str:
        lines = [super()._master_cf().rstrip("\n")]
        for name, source, helo, level in TRANSPORTS.values():
            lines += [
                f"{name} unix - - n - - smtp",
                f"  -o smtp_bind_address={source}",
                f"  -o smtp_helo_name={helo}",
                f"  -o smtp_tls_security_level={level}",
            ]
        return "\n".join(lines) + "\n"
