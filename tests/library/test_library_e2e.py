"""End to end with the real local backends: a small clip and a scan, indexed by Tesseract, then searched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from framescribe.cli import main
from framescribe.testing.media import make_text_image, make_text_video


def test_real_backends_index_a_clip_and_a_scan_and_find_their_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("FRAMESCRIBE_PLUGINS", "tesseract")  # the default chains, with the Tesseract plugin only
    folder = tmp_path / "media"
    folder.mkdir()
    make_text_video(folder / "cards.mp4", ((0.0, 2.0, "HELLO WORLD"), (2.0, 4.0, "QUARTERLY TARGETS")), size=(480, 270))
    make_text_image(folder / "receipt.png", "TOTAL 42 EUR")
    library = str(tmp_path / "lib.sqlite3")
    assert main(["index", str(folder), "--library", library, "--json", "-j", "1"]) == 0
    assert json.loads(capsys.readouterr().out) == {"indexed": 2, "unchanged": 0, "failed": [], "removed": 0}
    assert main(["search", '"quarterly targets"', "--library", library, "-f", "json"]) == 0
    hits = json.loads(capsys.readouterr().out)["results"]
    assert [(Path(h["media"]).name, h["capability"]) for h in hits] == [("cards.mp4", "video_text")]
    assert hits[0]["start"] == pytest.approx(2.0, abs=0.3) and hits[0]["end"] == pytest.approx(4.0, abs=0.3)
    assert main(["search", "total", "--library", library]) == 0
    assert "receipt.png" in capsys.readouterr().out
