"""`net.tls_scan` against workers that misbehave, and the facts' JSON round trip."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from facts import MODERN

from smtpcheck.net import tls_scan
from smtpcheck.net.tls_scan_model import ScanOutcome, ScanTarget, facts_from_dict

HERE = Path(__file__).resolve().parent


def test_facts_survive_the_json_round_trip():
    assert facts_from_dict(json.loads(json.dumps(MODERN.to_dict()))) == MODERN


@pytest.fixture
def misbehaving_worker(monkeypatch):
    monkeypatch.setattr(tls_scan, "WORKER_MODULE", "misbehaving_tls_worker")
    monkeypatch.setenv("PYTHONPATH", str(HERE))


def scan(*hosts: str, time_limit: float = 30.0):
    targets = [ScanTarget(host, "192.0.2.1") for host in hosts]
    return asyncio.run(
        tls_scan.scan_tls_quality(targets, ehlo="client.test", time_limit=time_limit)
    )


def test_a_worker_that_hangs_is_killed_at_the_time_limit_and_partial_facts_are_kept(
    misbehaving_worker,
):
    (result,) = scan("partial-then-hang", time_limit=2)
    assert result.outcome is ScanOutcome.INCOMPLETE
    assert result.detail == "the time limit (2 s) struck during the scan"
    assert result.versions == {"TLSv1.3": True, "TLSv1.0": True}


def test_a_worker_that_crashes_gives_an_error_with_its_last_words(misbehaving_worker):
    first, second = scan("crash", "crash")
    assert first.outcome is second.outcome is ScanOutcome.ERROR
    assert first.detail is not None
    assert first.detail.endswith("RuntimeError: the scanner blew up")
    assert first.target.host == "crash"


def test_lines_that_are_not_results_are_ignored(misbehaving_worker):
    (result,) = scan("noise")
    assert result.outcome is ScanOutcome.SCANNED


def test_a_missing_scanner_is_an_error_not_a_traceback(monkeypatch):
    monkeypatch.setattr(tls_scan, "WORKER_MODULE", "smtpcheck.net.no_such_worker")
    (result,) = scan("mx.example.test")
    assert result.outcome is ScanOutcome.ERROR
    assert "No module named smtpcheck.net.no_such_worker" in (result.detail or "")


def test_no_targets_no_process():
    assert scan() == []
