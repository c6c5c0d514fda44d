"""Async DNS lookups (dnspython) with hard deadlines: MX, A/AAAA, PTR.

- `names`: what the user typed -> the domain to look up (addresses, IDNA, trailing dot).
- `resolver`: build a resolver (system or `--dns IP[:port]`) and run one lookup into a
  typed `Lookup` that tells NXDOMAIN, no data, SERVFAIL, REFUSED and timeout apart.
- `mx`: where a domain's mail goes (`resolve_mail_hosts`), and the ordered
  (host, ip, preference) list `send` connects to (`mail_targets`).
- `mx_model`: the results of those lookups (`MxResult`, `MxHost`, `MxFinding`...).

Its modules import dnspython; the CLI imports them only inside commands.
"""
