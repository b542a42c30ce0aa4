"""The progress bar's time left counts only the files really indexed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from framescribe.library import Library
from framescribe.library.eta import Eta, clock_text
from framescribe.testing import ManualClock


def test_skipped_files_do_not_make_the_rest_look_fast() -> None:
    clock = ManualClock(100.0)
    eta = Eta(clock)
    for _ in range(90):  # 90 unchanged files, skipped at once
        eta.update(skipped=True)
    assert eta.left(90, 100) is None  # nothing indexed yet: nothing to go on
    clock.now += 10.0
    eta.update(skipped=False)  # the first file that needed work took 10 s
    assert eta.left(91, 100) == 90.0  # 9 files to come at 10 s each (not 10 / 91 s each)
    assert clock_text(eta.left(91, 100)) == "1:30"
    assert eta.left(100, 100) == 0.0 and clock_text(None) == "-:--"


def test_the_indexer_says_which_files_were_skipped(library: Library, media_dir: Path,
                                                   index_kw: dict[str, Any]) -> None:
    library.index([media_dir], **index_kw)
    (media_dir / "new.png").write_bytes((media_dir / "cjk.png").read_bytes() + b"\0")
    seen: list[tuple[int, int, str, bool]] = []
    library.index([media_dir], progress=lambda *a: seen.append(a), **index_kw)
    assert [Path(p).name for _, _, p, skipped in seen if not skipped] == ["broken.mp4", "new.png"]  # failed: tried again
    assert [d for d, *_ in seen] == list(range(1, len(seen) + 1)) and {t for _, t, *_ in seen} == {len(seen)}
