"""Indexing folders into a library: kinds, incremental runs, edits, deletions, failures, the walk."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from framescribe import Framescribe
from framescribe.errors import BadInput, MissingDependency
from framescribe.library import Library
from framescribe.library.work import Setup, Task, index_one
from framescribe.testing.media import make_text_image

from .conftest import LIB_PLUGIN, calls


def test_each_kind_gets_the_capabilities_its_streams_allow(library: Library, media_dir: Path,
                                                           index_kw: dict[str, Any]) -> None:
    summary = library.index([media_dir], **index_kw)
    assert summary.indexed == 6
    assert [m for m, _ in summary.failed] == [str(media_dir / "broken.mp4")]
    records = {Path(r.path).relative_to(media_dir).as_posix(): r for r in library.media()}
    assert "notes.txt" not in records  # only media suffixes inside folders
    assert records["clip.mp4"].backends == {"video_text": "lib-echo"}  # no audio stream: no transcribe
    assert records["talk.mp4"].backends == {"video_text": "lib-echo", "transcribe": "lib-echo"}
    assert records["voice.wav"].backends == {"transcribe": "lib-echo"}
    assert records["sub/scan.png"].backends == {"image_ocr": "lib-echo"}
    assert (records["voice.wav"].kind, records["talk.mp4"].kind, records["sub/scan.png"].kind) == ("audio", "video", "image")
    assert records["voice.wav"].duration == pytest.approx(0.5, abs=0.05)
    assert records["clip.mp4"].status == "ok" and records["clip.mp4"].hash and records["clip.mp4"].size
    pages = library.results(media_dir / "sub" / "pages.tif")["image_ocr"]
    assert isinstance(pages, list) and [p.page for p in pages] == [1, 2, 3]  # every page of a multi-page TIFF
    assert library.search("page3")[0].media == str(media_dir / "sub" / "pages.tif")


def test_capability_option_restricts(library: Library, media_dir: Path, index_kw: dict[str, Any]) -> None:
    library.index([media_dir], capabilities=["transcribe"], **index_kw)
    indexed = {Path(r.path).name: r.backends for r in library.media(status="ok")}
    assert indexed["talk.mp4"] == {"transcribe": "lib-echo"}
    assert indexed["voice.wav"] == {"transcribe": "lib-echo"}
    assert "scan.png" not in indexed and "pages.tif" not in indexed
    assert not any(c.startswith("video_text") or c.startswith("image_ocr") for c in calls(media_dir.parent))


def test_results_read_back_as_the_single_file_command_gives_them(library: Library, media_dir: Path,
                                                                 index_kw: dict[str, Any], echo_config: Path) -> None:
    library.index([media_dir / "talk.mp4", media_dir / "sub" / "scan.png"], **index_kw)
    fs = Framescribe(echo_config, plugins=[LIB_PLUGIN], use_cache=False)
    direct_video = fs.transcribe(media_dir / "talk.mp4")
    direct_image = fs.image_ocr(media_dir / "sub" / "scan.png")
    stored = library.results(media_dir / "talk.mp4")
    assert stored["transcribe"].to_dict()["data"] == direct_video.to_dict()["data"]  # type: ignore[union-attr]
    assert stored["transcribe"].backend == "lib-echo"  # type: ignore[union-attr]
    image = library.results(media_dir / "sub" / "scan.png")["image_ocr"]
    assert [r.to_dict() for r in image] == [r.to_dict() for r in direct_image]  # type: ignore[union-attr]


def test_unchanged_files_are_skipped_and_a_touch_is_not_an_edit(library: Library, media_dir: Path,
                                                                index_kw: dict[str, Any]) -> None:
    library.index([media_dir], **index_kw)
    before = len(calls(media_dir.parent))
    again = library.index([media_dir], **index_kw)
    assert (again.indexed, again.unchanged) == (0, 6)
    assert len(again.failed) == 1  # a failed file is tried again on every run
    assert len(calls(media_dir.parent)) == before  # broken.mp4 fails in probing, before any backend
    later = time.time() + 100
    os.utime(media_dir / "clip.mp4", (later, later))
    touched = library.index([media_dir], **index_kw)
    assert (touched.indexed, touched.unchanged) == (0, 6)
    assert len(calls(media_dir.parent)) == before


def test_an_edited_file_is_reindexed_alone_and_its_old_text_is_gone(library: Library, media_dir: Path,
                                                                    index_kw: dict[str, Any]) -> None:
    library.index([media_dir], **index_kw)
    scan = media_dir / "sub" / "scan.png"
    old = library.results(scan)["image_ocr"][0].text  # type: ignore[index]
    old_digest = old.split()[-1]
    assert library.search(old_digest)
    segments = library.store.conn.execute("SELECT count(*) FROM segments").fetchone()[0]
    make_text_image(scan, "SCAN EDITED")
    summary = library.index([media_dir], **index_kw)
    assert (summary.indexed, summary.unchanged) == (1, 5)
    new = library.results(scan)["image_ocr"][0].text  # type: ignore[index]
    assert new != old
    assert library.search(old_digest) == []  # replaced, not added to
    assert library.search(new.split()[-1])[0].media == str(scan)
    assert library.store.conn.execute("SELECT count(*) FROM segments").fetchone()[0] == segments


def test_changed_settings_reindex(library: Library, media_dir: Path, index_kw: dict[str, Any],
                                  echo_config: Path) -> None:
    library.index([media_dir / "clip.mp4", media_dir / "voice.wav"], **index_kw)
    echo_config.write_text(echo_config.read_text() + '\n[backends.lib-echo]\nprefix = "other"\n')
    summary = library.index([media_dir / "clip.mp4", media_dir / "voice.wav"], **index_kw)
    assert summary.indexed == 2
    assert library.search("other")[0].value.startswith("other ")


def test_prune_removes_only_deleted_files_under_the_paths(library: Library, media_dir: Path, tmp_path: Path,
                                                          index_kw: dict[str, Any]) -> None:
    elsewhere = tmp_path / "elsewhere.png"
    make_text_image(elsewhere, "ELSEWHERE")
    library.index([media_dir, elsewhere], **index_kw)
    (media_dir / "voice.wav").unlink()
    elsewhere.unlink()
    kept = library.index([media_dir], **index_kw)
    assert kept.removed == 0 and library.get(media_dir / "voice.wav") is not None
    pruned = library.index([media_dir], prune=True, **index_kw)
    assert pruned.removed == 1
    assert library.get(media_dir / "voice.wav") is None
    assert library.get(elsewhere) is not None  # not under the pruned path
    assert library.store.conn.execute(
        "SELECT count(*) FROM segments WHERE media_id NOT IN (SELECT id FROM media)").fetchone()[0] == 0


def test_a_broken_file_fails_alone_with_its_reason(library: Library, media_dir: Path,
                                                   index_kw: dict[str, Any]) -> None:
    (media_dir / "broken-scan.png").write_bytes((media_dir / "cjk.png").read_bytes() + b"x")
    summary = library.index([media_dir], **index_kw)
    failed = dict(summary.failed)
    assert set(failed) == {str(media_dir / "broken.mp4"), str(media_dir / "broken-scan.png")}
    assert "cannot read this file" in failed[str(media_dir / "broken-scan.png")]
    assert "not a media file" in failed[str(media_dir / "broken.mp4")]
    record = library.get(media_dir / "broken.mp4")
    assert record is not None and record.status == "failed" and record.error
    assert summary.indexed == 6 and summary.exit_code == 1


def test_include_and_exclude_globs(library: Library, media_dir: Path, index_kw: dict[str, Any]) -> None:
    library.index([media_dir], include=["*.png", "*.txt"], exclude=["cjk*"], **index_kw)
    names = sorted(Path(r.path).name for r in library.media())
    assert names == ["notes.txt", "scan.png"]
    # Not audio or video: tried as an image (the echo backend reads anything; a real OCR backend would refuse).
    assert library.get(media_dir / "notes.txt").kind == "image"  # type: ignore[union-attr]


def test_symlink_loops_and_unreadable_folders_are_reported_not_fatal(
        library: Library, media_dir: Path, index_kw: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    (media_dir / "sub" / "loop").symlink_to(media_dir)
    locked = media_dir / "locked"
    locked.mkdir()
    real_scandir = os.scandir

    def scandir(path: Any) -> Any:  # the tests run as root, for whom no folder is unreadable
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    summary = library.index([media_dir], **index_kw)
    assert summary.indexed == 6  # every file once, none twice through the loop
    assert any("symbolic link loop" in w for w in summary.warnings)
    assert (str(locked), f"{locked}: cannot read this folder (Permission denied); skipped") in summary.failed


def test_a_missing_path_is_a_usage_error_before_any_work(library: Library, tmp_path: Path,
                                                         index_kw: dict[str, Any]) -> None:
    with pytest.raises(BadInput, match="does not exist"):
        library.index([tmp_path / "nope"], **index_kw)
    assert library.count() == 0


def test_local_worker_processes_index_the_same(library: Library, media_dir: Path, tmp_path: Path,
                                               index_kw: dict[str, Any]) -> None:
    summary = library.index([media_dir], **{**index_kw, "jobs": 2})
    assert summary.indexed == 6 and len(summary.failed) == 1
    with Library(tmp_path / "inline.sqlite3") as inline:
        inline.index([media_dir], **index_kw)
        assert [(r.path, r.backends) for r in inline.media()] == [(r.path, r.backends) for r in library.media()]
    workers = {line.split()[1] for line in calls(tmp_path)}
    assert workers  # the echo backend ran


def test_dask_is_imported_only_when_chosen(library: Library, media_dir: Path, index_kw: dict[str, Any],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    code = ("import sys, framescribe.cli, framescribe.library.executors; "
            "assert 'distributed' not in sys.modules and 'dask' not in sys.modules")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if the extra were not installed
    with pytest.raises(MissingDependency) as raised:
        library.index([media_dir], executor="dask", scheduler="tcp://127.0.0.1:8786", **index_kw)
    assert "framescribe[dask]" in str(raised.value)


def test_a_worker_that_cannot_read_a_file_says_so(tmp_path: Path) -> None:
    outcome = index_one(Task(str(tmp_path / "only-on-the-client.mp4"), ("video_text",), Setup()))
    assert outcome.error is not None and "shared filesystem" in outcome.error and outcome.results == {}
