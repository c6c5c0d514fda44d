"""The CLI's cache of parsed knowledge tables: same data as the TOML, bounded, optional.

The knowledge layer itself writes nothing: only a program that installs a cache (the
CLI's entry point does) keeps tables on disk.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from clirun import run_cli
from smtpcheck.cli.data_cache import STALE_AFTER, DiskTableCache
from smtpcheck.knowledge import _data


@pytest.fixture
def disk_cache(tmp_path: Path) -> Iterator[DiskTableCache]:
    table_cache = DiskTableCache(str(tmp_path / "knowledge"))
    _data.use_table_cache(table_cache)
    try:
        yield table_cache
    finally:
        _data.use_table_cache(None)


def entries(table_cache: DiskTableCache) -> list[str]:
    return sorted(os.listdir(table_cache.folder))


def test_a_cached_table_is_the_same_data_as_the_toml(disk_cache: DiskTableCache) -> None:
    from_toml = _data.language_file("en", "replies")
    (entry,) = entries(disk_cache)
    assert entry.startswith("en_replies.toml-")
    _data._read.cache_clear()
    from_cache = _data.language_file("en", "replies")
    assert from_cache == from_toml and from_cache is not from_toml


def test_a_corrupt_entry_falls_back_to_the_toml(disk_cache: DiskTableCache) -> None:
    expected = _data.language_file("it", "messages")
    (entry,) = entries(disk_cache)
    Path(disk_cache.folder, entry).write_bytes(b"\x00garbage")
    _data._read.cache_clear()
    assert _data.language_file("it", "messages") == expected


def test_a_changed_file_replaces_its_old_entry(disk_cache: DiskTableCache, tmp_path: Path) -> None:
    table = {"answer": 42}
    source = tmp_path / "data.toml"
    source.write_text("answer = 42\n")
    first = os.stat(source)
    disk_cache.store("en/data.toml", first, table)
    source.write_text("answer = 42  # changed\n")
    second = os.stat(source)
    assert disk_cache.load("en/data.toml", second) is None  # never an old table
    disk_cache.store("en/data.toml", second, table)
    (entry,) = entries(disk_cache)
    assert f"-{second.st_size}-{second.st_mtime_ns}-" in entry
    assert disk_cache.load("en/data.toml", second) == table


def test_folders_of_other_installations_go_when_stale(tmp_path: Path) -> None:
    root = tmp_path / "knowledge"
    stale, recent = root / "stale-install", root / "recent-install"
    stale.mkdir(parents=True)
    recent.mkdir()
    old = time.time() - STALE_AFTER - 60
    os.utime(stale, (old, old))
    table_cache = DiskTableCache(str(root))
    table_cache.store("en/hints.toml", os.stat(Path(_data.DATA_DIR, "en", "hints.toml")), {})
    assert sorted(p.name for p in root.iterdir()) == sorted(
        ["recent-install", os.path.basename(table_cache.folder)]
    )


def test_the_knowledge_layer_alone_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    _data.use_table_cache(None)
    for name in _data.LANGUAGE_FILES:
        assert _data.language_file("it", name)
    assert _data.neutral("rules")
    assert list(tmp_path.iterdir()) == []


def test_the_cli_keeps_its_cache_under_xdg_cache_home(tmp_path: Path) -> None:
    result = run_cli("explain", "550 5.1.1", env={"XDG_CACHE_HOME": str(tmp_path)})
    assert result.code == 0, result.stderr
    (installation,) = (tmp_path / "smtpcheck" / "knowledge").iterdir()
    assert any(p.name.startswith("en_replies.toml-") for p in installation.iterdir())


def test_the_cli_cache_can_be_turned_off(tmp_path: Path) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path), "SMTPCHECK_NO_DATA_CACHE": "1"}
    result = run_cli("explain", "550 5.1.1", env=env)
    assert result.code == 0, result.stderr
    assert not (tmp_path / "smtpcheck").exists()
