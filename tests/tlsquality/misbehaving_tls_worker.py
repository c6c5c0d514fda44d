"""A TLS-scan worker that misbehaves, to test how `net.tls_scan` copes with its worker.

Run as `python -m misbehaving_tls_worker` (the test puts this folder on PYTHONPATH and
points `tls_scan.WORKER_MODULE` here). What it does depends on each target's host name:

- `partial-then-hang`: report the version probes (a partial result), then never finish;
- `crash`: die with a traceback before reporting anything;
- `noise`: print lines that are not results (bad JSON, an unknown index), then finish.
"""

from __future__ import annotations

import json
import sys
import time

from smtpcheck.net.tls_scan_model import ScanOutcome, ScanTarget, TlsScanFacts


def main() -> None:
    request = json.loads(sys.stdin.read())
    hang = False
    for index, target in enumerate(request["targets"]):
        facts = TlsScanFacts(
            target=ScanTarget(**target),
            outcome=ScanOutcome.INCOMPLETE,
            versions={"TLSv1.3": True, "TLSv1.0": True},
        )
        host = target["host"]
        if host == "crash":
            raise RuntimeError("the scanner blew up")
        if host == "noise":
            print("this is not JSON", flush=True)
            print(json.dumps({"index": 99, "final": True, "facts": {}}), flush=True)
            final = {"index": index, "final": True, "facts": facts.to_dict()}
            final["facts"]["outcome"] = "scanned"
            print(json.dumps(final), flush=True)
        if host == "partial-then-hang":
            print(
                json.dumps({"index": index, "final": False, "facts": facts.to_dict()}), flush=True
            )
            hang = True
    while hang:
        time.sleep(1)


if __name__ == "__main__":
    main()
