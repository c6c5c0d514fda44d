"""The writer process (`--writer process`, the CLI's default): the Maildir and the index
are written by a process of their own, behind the spool.

`ProcessCommitter` is `GroupCommitter` (sink/commit.py: the spool's group commit, in a
thread of the server, before each 250) with its indexer in a child process
(sink/indexer_process.py) rather than a thread. So the slow part — creating a file per
message, the index's SQL — runs on another CPU, with no GIL shared with the event loop,
and at a lower CPU priority: when the machine is busy, answering clients comes first
and the Maildir catches up afterwards.

The writer ignores SIGINT and SIGTERM (a terminal's Ctrl-C and systemd's stop reach
the whole process group): it leaves when the server, having drained, closes its socket,
after writing everything committed. If the server is killed, the writer sees the socket
close, writes what it was told of and exits (the next start replays the rest). If the
writer dies, the messages are still acknowledged (they are durable in the spool) and a
new writer replays the old one's segments.
"""

from __future__ import annotations

import subprocess

from smtpcheck.sink.commit import GroupCommitter
from smtpcheck.sink.indexer_process import IndexerProcess
from smtpcheck.sink.journal import IndexerLink


class ProcessCommitter(GroupCommitter):
    """`GroupCommitter` whose Maildir and index are written by a writer process."""

    def make_indexer(self) -> IndexerLink:
        return IndexerProcess(self.store)

    @property
    def _process(self) -> subprocess.Popen[bytes] | None:
        """The writer process now (a new one if the first died)."""
        link = self.journal.link
        return link.process if isinstance(link, IndexerProcess) else None

    async def aclose(self) -> None:
        """Commit what is queued, wait for the writer to finish, end the threads."""
        await self.loop.run_in_executor(None, self.stop)
