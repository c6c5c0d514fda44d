"""The CLI's cache of parsed knowledge tables, under the user's cache folder.

Each data file's parsed table is kept as marshal data (loading it takes a fraction of
parsing the TOML), in `$XDG_CACHE_HOME/smtpcheck/knowledge/` (`~/.cache/...` when the
variable is unset), in a folder per installation (named after the data folder's device
and inode).
An entry is named after the TOML file's size and modification time, so a changed file
is parsed again; writing an entry removes the older entries of that file, and folders
of other installations unused for `STALE_AFTER` seconds. A cache that cannot be read
or written is ignored: the TOML files stay the only source of truth.
`SMTPCHECK_NO_DATA_CACHE=1` turns it off. `install()` is called by the entry point.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import time
from typing import Any

from smtpcheck.knowledge import _data

CACHE_VERSION = 1
STALE_AFTER = 30 * 24 * 3600  # seconds without a new entry before another install's folder goes


def cache_root() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "smtpcheck", "knowledge")


class DiskTableCache:
    """`knowledge._data.TableCache` over one folder of marshal files."""

    def __init__(self, root: str, data_dir: str = _data.DATA_DIR) -> None:
        self.root = root
        installation = os.stat(data_dir)
        self.folder = os.path.join(root, f"{installation.st_dev:x}-{installation.st_ino:x}")

    @staticmethod
    def _prefix(relative_path: str) -> str:
        return relative_path.replace("/", "_") + "-"

    def _path(self, relative_path: str, source: os.stat_result) -> str:
        key = f"{source.st_size}-{source.st_mtime_ns}-{CACHE_VERSION}"
        return os.path.join(self.folder, f"{self._prefix(relative_path)}{key}.marshal")

    def load(self, relative_path: str, source: os.stat_result) -> dict[str, Any] | None:
        try:
            with open(self._path(relative_path, source), "rb") as stream:
                loaded = marshal.load(stream)
        except (OSError, EOFError, ValueError, TypeError):
            return None
        return loaded if isinstance(loaded, dict) else None

    def store(self, relative_path: str, source: os.stat_result, table: dict[str, Any]) -> None:
        """Best effort: write atomically, prune, give up quietly (read-only home...)."""
        path = self._path(relative_path, source)
        try:
            os.makedirs(self.folder, exist_ok=True)
            temporary = f"{path}.{os.getpid()}.tmp"
            with open(temporary, "wb") as stream:
                marshal.dump(table, stream)
            os.replace(temporary, path)
            self._prune(relative_path, keep=os.path.basename(path))
        except (OSError, ValueError):
            pass

    def _prune(self, relative_path: str, keep: str) -> None:
        prefix = self._prefix(relative_path)
        for name in os.listdir(self.folder):
            if name.startswith(prefix) and name != keep and name.endswith(".marshal"):
                _remove(os.path.join(self.folder, name))
        import shutil  # only when an entry is written, which a run seldom does

        cutoff = time.time() - STALE_AFTER
        for name in os.listdir(self.root):
            other = os.path.join(self.root, name)
            if other != self.folder and os.path.isdir(other) and os.path.getmtime(other) < cutoff:
                shutil.rmtree(other, ignore_errors=True)


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(path)


def install() -> None:
    """Use the disk cache for this process, unless SMTPCHECK_NO_DATA_CACHE is set."""
    if os.environ.get("SMTPCHECK_NO_DATA_CACHE"):
        return
    try:
        table_cache = DiskTableCache(cache_root())
    except OSError:  # the data folder cannot be seen: nothing to cache
        return
    _data.use_table_cache(table_cache)
