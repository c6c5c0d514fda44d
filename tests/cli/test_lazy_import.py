"""Subcommand modules load with the garbage collector paused, and it comes back as it was."""

from __future__ import annotations

import gc

import pytest

from smtpcheck.cli.main import collector_paused, import_module


def test_the_collector_is_on_again_after_an_import() -> None:
    assert gc.isenabled()
    module = import_module("smtpcheck.cli.explain")
    assert module.__name__ == "smtpcheck.cli.explain"
    assert gc.isenabled()


def test_a_paused_collector_stays_paused() -> None:
    gc.disable()
    try:
        import_module("smtpcheck.cli.mx")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_failed_import_still_turns_the_collector_back_on() -> None:
    with pytest.raises(ModuleNotFoundError):
        import_module("smtpcheck.cli.no_such_command")
    assert gc.isenabled()


def test_collector_paused_restores_it_after_an_error() -> None:
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        raise RuntimeError("boom")
    assert gc.isenabled()
