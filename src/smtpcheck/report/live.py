"""The live transcript on a terminal or in a log file, with swaks' markers.

` -> ` sent, `<-  ` received, ` ~> ` / `<~  ` the same under TLS, `<** ` / `<~* ` a reply
the step did not hope for, `=== ` our own notes, `*** ` errors. Colour only on a
terminal and never when NO_COLOR is set. Plain ANSI codes: importing rich here would
cost more start-up time than the whole SMTP session takes. What the peer sent is shown
through `visible()`: a control character is written as an escape, never obeyed.
"""

from __future__ import annotations

import os
from typing import IO

from smtpcheck.report.visible import visible
from smtpcheck.transcript_entry import Direction, Entry

RESET = "\033[0m"
COLOURS = {
    "sent": "\033[36m",
    "received": "\033[32m",
    "unexpected": "\033[1;31m",
    "note": "\033[2m",
    "error": "\033[1;31m",
    "meaning": "\033[2;3m",
}


def use_colour(stream: IO[str]) -> bool:
    return "NO_COLOR" not in os.environ and hasattr(stream, "isatty") and stream.isatty()


def marker(entry: Entry) -> str:
    if entry.direction is Direction.SENT:
        return " ~> " if entry.tls else " -> "
    if entry.direction is Direction.RECEIVED:
        if entry.unexpected:
            return "<~* " if entry.tls else "<** "
        return "<~  " if entry.tls else "<-  "
    return "=== " if entry.direction is Direction.NOTE else "*** "


class LiveView:
    """A transcript listener that writes each entry as it happens."""

    def __init__(
        self,
        stream: IO[str],
        *,
        colour: bool | None = None,
        show_time: bool = False,
        explain: bool = True,
        max_data_lines: int | None = None,
    ) -> None:
        self.stream = stream
        self.colour = use_colour(stream) if colour is None else colour
        self.show_time = show_time
        self.explain = explain
        self.max_data_lines = max_data_lines

    def _paint(self, kind: str, text: str) -> str:
        return f"{COLOURS[kind]}{text}{RESET}" if self.colour else text

    def __call__(self, entry: Entry) -> None:
        kind = entry.direction.value
        if entry.direction is Direction.RECEIVED and entry.unexpected:
            kind = "unexpected"
        lines = entry.text().split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        lines = [visible(line.removesuffix("\r")) for line in lines]
        if self.max_data_lines is not None and len(lines) > self.max_data_lines:
            hidden = len(lines) - self.max_data_lines
            lines = [*lines[: self.max_data_lines], f"... ({hidden} more lines)"]
        prefix = marker(entry)
        out = [self._paint(kind, prefix + line) for line in lines]
        if entry.direction is Direction.RECEIVED:
            if self.show_time and entry.since_previous is not None:
                out.append(self._paint("note", f"=== response in {entry.since_previous:.3f}s"))
            if self.explain and entry.annotation:
                out.append(self._paint("meaning", f"    ({visible(entry.annotation)})"))
        self.stream.write("\n".join(out) + "\n")
        self.stream.flush()
