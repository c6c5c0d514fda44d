"""The parsed-data cache: same data as the TOML, keyed by the file, never required."""

from __future__ import annotations

import os

from smtpcheck.knowledge import _data


def _fresh_read(name: str):
    _data._read.cache_clear()
    return _data._read(name)


def test_cache_is_written_and_gives_the_same_data(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("SMTPCHECK_NO_DATA_CACHE", raising=False)
    from_toml = _fresh_read("en/replies.toml")
    files = list((tmp_path / "smtpcheck" / "knowledge").iterdir())
    assert len(files) == 1 and files[0].name.startswith("en_replies.toml-")
    from_cache = _fresh_read("en/replies.toml")
    assert from_cache == from_toml and from_cache is not from_toml


def test_corrupt_cache_falls_back_to_toml(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("SMTPCHECK_NO_DATA_CACHE", raising=False)
    expected = _fresh_read("it/messages.toml")
    (cached,) = (tmp_path / "smtpcheck" / "knowledge").iterdir()
    cached.write_bytes(b"\x00garbage")
    assert _fresh_read("it/messages.toml") == expected


def test_cache_can_be_turned_off(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("SMTPCHECK_NO_DATA_CACHE", "1")
    assert _fresh_read("en/hints.toml")
    assert not os.path.exists(tmp_path / "smtpcheck")
    _data._read.cache_clear()
