"""The progress bar drawn on stderr for long work."""

from __future__ import annotations

import io

from framescribe.progress import ProgressBar


def test_bar_draws_fraction_and_message_then_clears() -> None:
    stream = io.StringIO()
    bar = ProgressBar("video-text", stream=stream, enabled=True, width=10)
    bar(5, 10, "frame 5")
    assert stream.getvalue().endswith("video-text [#####-----]  50% frame 5")
    bar(10, 10, "done")  # the last update is always drawn
    assert stream.getvalue().endswith("[##########] 100% done")
    bar.close()
    assert stream.getvalue().endswith("\r\x1b[2K")


def test_no_bar_when_not_a_terminal() -> None:
    stream = io.StringIO()
    bar = ProgressBar("ocr", stream=stream)
    bar(1, 2, "x")
    bar.close()
    assert stream.getvalue() == ""
