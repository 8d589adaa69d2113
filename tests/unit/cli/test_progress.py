"""The one progress helper: a line redrawn on a terminal, nothing into a file or a pipe."""

from __future__ import annotations

import io

from cli.progress import Progress, progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress__into_a_file_or_pipe_writes_nothing():
    out = io.StringIO()
    with progress("replay", out) as shown:
        for n in range(1000):
            shown.count(n, 1000, "records")
    assert out.getvalue() == ""


def test_progress__on_a_terminal_redraws_one_line_and_clears_it():
    out = Terminal()
    with progress("score imp", out) as shown:
        shown.update("first", force=True)
        shown.count(10, 10, "IMP-periods scored")
    text = out.getvalue()
    assert "\n" not in text
    assert "\rscore imp: first" in text and "10 of 10 IMP-periods scored" in text
    assert text.endswith("\r")  # cleared for the summary line that follows


def test_progress__throttles_redraws():
    out = Terminal()
    shown = Progress("pull", out)
    for n in range(500):
        shown(f"page {n}")
    assert out.getvalue().count("\r") < 20
