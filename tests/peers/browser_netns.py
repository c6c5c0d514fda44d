"""Started by `unshare --net` as the browser's executable: bring up the new namespace's
loopback, relay 127.0.0.1:PORT there to a UNIX socket (see relay.py), then become the
browser (exec, so Playwright's pipes and process id are the browser's own).

    browser_netns.py SOCKET PORT BROWSER [ARGS...]
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from relay import Relay, unix_connector


def main() -> None:
    socket_path, port, *browser = sys.argv[1:]
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    listener = socket.create_server(("127.0.0.1", int(port)))
    browser_pid = os.getpid()
    if os.fork() == 0:
        # the relay: no other descriptor of the browser's (Playwright's pipes) kept open
        for fd in range(3, 1024):
            if fd != listener.fileno():
                with contextlib.suppress(OSError):
                    os.close(fd)
        Relay(listener, unix_connector(socket_path)).start()
        while os.getppid() == browser_pid:  # until the browser is gone
            time.sleep(0.5)
        os._exit(0)
    listener.close()
    os.execv(browser[0], browser)


if __name__ == "__main__":
    main()
