"""What `send` shows on a terminal: the live transcript with swaks' output controls,
then the end of the report.

`SendView` wraps `report.live.LiveView` (markers, colour, meanings) and adds what swaks
users expect: `--silent 1|2|3`, `--hide-send/-receive/-informational/-all`,
`--suppress-data` ("N lines sent"), `--show-raw-text` (hex dumps), `--show-time-lapse
[i]`, and `--no-*-hints` (no markers). Errors (`***`) go to standard error, as in swaks.
`render_end` writes the verdict and, for a failed step, its causes and fixes. Peer text
goes through `visible()`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import IO

from smtpcheck.knowledge.i18n import t, tn
from smtpcheck.report.live import LiveView, marker
from smtpcheck.report.model import Report, Status
from smtpcheck.report.visible import visible
from smtpcheck.transcript_entry import Direction, Entry

_MARKER = re.compile(r"^(\x1b\[[0-9;]*m)?( -> | ~> |<-  |<~  |<\*\* |<~\* |=== |\*\*\* )")


@dataclass
class ViewOptions:
    """What of the live transcript to show (swaks' --silent, --hide-*, --show-*)."""

    silent: int = 0
    hide_send: bool = False
    hide_receive: bool = False
    hide_info: bool = False
    suppress_data: bool = False
    raw: bool = False
    time_lapse: str | None = None  # "ms" or "i"
    no_info_hints: bool = False
    no_send_hints: bool = False
    no_receive_hints: bool = False
    explain: bool = True
    lang: str = "en"  # of our own lines ("12 lines sent")

    @property
    def hide_all_output(self) -> bool:
        return self.hide_send and self.hide_receive and self.hide_info


def hex_dump(data: bytes, prefix: str) -> str:
    """swaks' `-raw` form: `0000: 32 32 30 20 ...  220 ...`."""
    lines = []
    for offset in range(0, len(data), 16):
        chunk = data[offset : offset + 16]
        hexes = " ".join(f"{b:02x}" for b in chunk)
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{prefix}{offset:04x}: {hexes:<47}  {text}")
    return "\n".join(lines)


class _Strip:
    """A stream wrapper removing the markers the user asked not to see."""

    def __init__(self, stream: IO[str], kinds: set[str]) -> None:
        self.stream = stream
        self.kinds = kinds

    def write(self, text: str) -> int:
        out = []
        for line in text.split("\n"):
            match = _MARKER.match(line)
            if match and match.group(2) in self.kinds:
                line = (match.group(1) or "") + line[match.end() :]
            out.append(line)
        return self.stream.write("\n".join(out))

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return bool(getattr(self.stream, "isatty", lambda: False)())


class SendView:
    """Transcript listener: filters, then delegates to LiveView."""

    def __init__(self, out: IO[str], err: IO[str], options: ViewOptions) -> None:
        self.options = options
        kinds: set[str] = set()
        if options.no_info_hints:
            kinds.add("=== ")
        if options.no_send_hints:
            kinds |= {" -> ", " ~> "}
        if options.no_receive_hints:
            kinds |= {"<-  ", "<~  ", "<** ", "<~* "}
        self.out = _Strip(out, kinds) if kinds else out
        self.err = _Strip(err, kinds) if kinds else err
        show_time = options.time_lapse is not None
        self.live = LiveView(self.out, show_time=show_time, explain=options.explain)  # type: ignore[arg-type]
        self.live_err = LiveView(self.err, show_time=False, explain=False)  # type: ignore[arg-type]
        self.colour = self.live.colour
        self._in_data = False

    def __call__(self, entry: Entry) -> None:
        o = self.options
        if o.silent >= 3:
            return
        if entry.direction is Direction.ERROR:
            self.live_err(entry)
            return
        if o.silent == 2:
            return
        if o.silent == 1 and not (entry.direction is Direction.RECEIVED and entry.unexpected):
            return
        if entry.direction is Direction.NOTE and o.hide_info:
            return
        if entry.direction is Direction.SENT and o.hide_send:
            return
        if entry.direction is Direction.RECEIVED and o.hide_receive:
            return
        if entry.direction is Direction.SENT and o.suppress_data and self._is_message(entry):
            lines = entry.data.count(b"\n")
            self.out.write(f"{marker(entry)}{tn('send.lines_sent', lines, self.options.lang)}\n")
            self.out.flush()
        else:
            self.live(entry)
            if o.time_lapse == "i" and entry.since_previous is not None:
                pass  # LiveView printed milliseconds; whole seconds are close enough
        if o.raw and entry.direction in (Direction.SENT, Direction.RECEIVED):
            prefix = "  > " if entry.direction is Direction.SENT else "<   "
            self.out.write(hex_dump(entry.data, prefix) + "\n")
            self.out.flush()

    @staticmethod
    def _is_message(entry: Entry) -> bool:
        data = entry.data
        return data.endswith(b"\r\n.\r\n") or (len(data) > 200 and b"\n" in data[:-2])


def render_end(report: Report, stream: IO[str], colour: bool, lang: str = "en") -> None:
    """After the live transcript: the verdict and, for a failure, causes and fixes."""
    bold, red, green, reset = (
        ("\033[1m", "\033[1;31m", "\033[1;32m", "\033[0m") if colour else ("", "", "", "")
    )
    shown = {line.text for line in report.transcript if line.direction == "error"}
    for finding in report.findings:
        if finding.message in shown:
            continue  # already said by its `***` line in the transcript
        style = red if finding.status is Status.FAIL else bold
        stream.write(f"{style}!!! {visible(finding.message)}{reset}\n")
    failed = [s for s in report.steps if s.status is Status.FAIL and s.explanation]
    for step in failed[-1:]:
        assert step.explanation is not None
        stream.write(f"\n{bold}{visible(step.explanation.summary)}{reset}\n")
        for cause in step.explanation.causes:
            stream.write(f"  - {visible(cause)}\n")
        if step.explanation.fixes:
            stream.write(f"{bold}{t('send.what_to_do', lang)}:{reset}\n")
            for fix in step.explanation.fixes:
                stream.write(f"  - {visible(fix)}\n")
        if step.explanation.next:
            stream.write(f"{t('explain.next', lang)}: {visible(step.explanation.next)}\n")
    colour_code = green if report.exit_code == 0 else red
    exit_text = t("send.exit", lang, code=report.exit_code)
    stream.write(f"\n{colour_code}{visible(report.verdict)}{reset} ({exit_text})\n")
