"""The result cache's parts, in process: keys, recorded inputs, binding, the cap, and failing safe.

The same promises seen from the command line are in tests/adversarial/test_cache.py.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from pathlib import Path

import pytest

from framescribe.cache import CACHE_FORMAT, Digests, Inputs, ResultCache, human_size, result_key


@pytest.fixture
def cache(tmp_path: Path) -> ResultCache:
    return ResultCache(tmp_path / "c" / "cache.sqlite3")


def test_values_survive_a_new_cache_on_the_same_file(cache: ResultCache, tmp_path: Path) -> None:
    cache.put("k", {"data": [1, 2]})
    cache.close()
    again = ResultCache(cache.path)
    assert again.get("k") == {"data": [1, 2]}
    assert again.get("other") is None


def test_the_key_changes_with_everything_the_answer_depends_on() -> None:
    base = {"capability": "video_text", "backend": "b", "plugin_version": "1", "media_digest": "d",
            "settings": {"x": 1}, "params": {"start": None}}
    key = result_key(**base)
    assert key == result_key(**base)
    for field, other in [("capability", "image_ocr"), ("backend", "c"), ("plugin_version", "2"), ("media_digest", "e"),
                         ("settings", {"x": 2}), ("params", {"start": 1.0})]:
        assert result_key(**{**base, field: other}) != key, field


def test_a_recorded_file_that_changes_is_a_miss_and_the_entry_goes(cache: ResultCache, tmp_path: Path) -> None:
    extra = tmp_path / "extra.txt"
    extra.write_text("one")
    inputs = Inputs(cache.digests)
    inputs.file(extra)
    cache.put("k", "answer", inputs, location="/videos/a.mp4")
    assert cache.get("k", "/videos/a.mp4") == "answer"
    extra.write_text("two")
    cache.digests = Digests()  # a new run: nothing remembered about the file
    assert cache.get("k", "/videos/a.mp4") is None
    assert cache.info().entries == 0


def test_a_file_recorded_as_absent_that_appears_is_a_miss(cache: ResultCache, tmp_path: Path) -> None:
    inputs = Inputs(cache.digests)
    inputs.file(tmp_path / "later.txt")
    assert inputs.files == {str(tmp_path / "later.txt"): None}
    cache.put("k", "answer", inputs, location="here")
    assert cache.get("k", "here") == "answer"
    (tmp_path / "later.txt").write_text("now")
    assert cache.get("k", "here") is None


def test_an_entry_with_recorded_inputs_is_bound_to_its_location(cache: ResultCache, tmp_path: Path) -> None:
    inputs = Inputs(cache.digests)
    inputs.file(tmp_path / "none")
    cache.put("k", "answer", inputs, location="/one/clip.mp4")
    assert cache.get("k", "/one/clip.mp4") == "answer"
    assert cache.get("k", "/two/clip.mp4") is None
    assert cache.get("k") is None
    cache.put("k2", "unbound")  # nothing recorded: any identical file may share it
    assert cache.get("k2", "/anywhere") == "unbound"


def test_recorded_inputs_with_nowhere_to_bind_are_not_kept(cache: ResultCache, tmp_path: Path) -> None:
    inputs = Inputs(cache.digests)
    inputs.file(tmp_path / "x")
    cache.put("k", "answer", inputs, location=None)
    assert cache.get("k") is None


def test_a_listing_sees_new_and_changed_matches_but_not_other_files(cache: ResultCache, tmp_path: Path) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "clip.srt").write_text("a")
    inputs = Inputs(cache.digests)
    inputs.matching(folder, ["clip.srt", "clip.*.srt"])
    assert set(inputs.listings[0]["found"]) == {"clip.srt"}
    cache.put("k", "answer", inputs, location="L")
    (folder / "clip.json").write_text("an output written beside it")
    assert cache.get("k", "L") == "answer"
    (folder / "clip.de.SRT").write_text("b")  # matched case-insensitively, as the subtitles backend reads it
    assert cache.get("k", "L") is None


def test_a_listing_of_a_folder_that_cannot_be_listed_is_empty(tmp_path: Path) -> None:
    inputs = Inputs()
    inputs.matching(tmp_path / "missing", ["*"])
    assert inputs.listings[0]["found"] == {}


def test_an_opted_out_answer_is_not_kept(cache: ResultCache) -> None:
    inputs = Inputs(cache.digests)
    inputs.opt_out("depends on the hour")
    cache.put("k", "answer", inputs)
    assert cache.get("k") is None


def test_disabled_neither_reads_nor_writes(tmp_path: Path) -> None:
    off = ResultCache(tmp_path / "c" / "cache.sqlite3", enabled=False)
    off.put("k", "v")
    assert off.get("k") is None and not (tmp_path / "c").exists()
    assert not ResultCache(tmp_path / "d" / "cache.sqlite3", max_size=0).usable


def test_least_recently_used_go_first(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path / "cache.sqlite3", max_size=1000)
    for name in "abc":
        cache.put(name, "x" * 250)
    assert cache.get("a") is not None  # a is now more recent than b
    cache.put("d", "x" * 250)  # over the cap: evicted down to 90% of it
    assert cache.get("b") is None
    assert all(cache.get(k) is not None for k in "acd")
    assert cache.info().size <= 1000


def test_an_answer_larger_than_the_cap_is_not_kept(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path / "cache.sqlite3", max_size=100)
    cache.put("small", "x")
    cache.put("big", "x" * 200)
    assert cache.get("big") is None and cache.get("small") == "x"


def test_a_corrupt_database_is_one_warning_then_misses(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "cache.sqlite3"
    path.write_bytes(b"not sqlite at all " * 50)
    cache = ResultCache(path)
    with caplog.at_level(logging.WARNING, "framescribe.cache"):
        assert cache.get("k") is None
        cache.put("k", "v")
        assert cache.get("k") is None
    assert [r.getMessage() for r in caplog.records if "cache off" in r.getMessage()] == [
        f"cache off for this run: cannot read the cache {path}: the file is not a cache database (corrupt?)"
        " (hint: `framescribe cache clear`, or set FRAMESCRIBE_CACHE_DIR)"
    ]
    assert path.read_bytes() == b"not sqlite at all " * 50  # the run does not touch it
    assert cache.info().problem is not None


def test_clear_replaces_a_corrupt_database(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    path.write_bytes(b"junk" * 100)
    cache = ResultCache(path)
    assert cache.clear() == 0
    cache.put("k", "v")
    assert cache.get("k") == "v" and cache.problem is None


def test_clear_counts_what_it_drops(cache: ResultCache) -> None:
    for k in "abc":
        cache.put(k, k)
    assert cache.clear() == 3
    assert cache.info().entries == 0


def test_clear_refuses_to_touch_a_file_where_the_folder_should_be(tmp_path: Path) -> None:
    (tmp_path / "c").write_text("someone's notes")
    with pytest.raises(OSError, match="is not a directory"):
        ResultCache(tmp_path / "c" / "cache.sqlite3").clear()
    assert (tmp_path / "c").read_text() == "someone's notes"


def test_a_damaged_row_is_a_miss(cache: ResultCache) -> None:
    cache.put("k", {"data": "right"})
    with sqlite3.connect(cache.path) as db:
        db.execute("UPDATE entries SET value = ?", ('{"data": "wrong"}',))
    db.close()
    assert cache.get("k") is None


def test_entries_of_another_format_are_dropped(cache: ResultCache) -> None:
    cache.put("k", "v")
    cache.close()
    with sqlite3.connect(cache.path) as db:
        db.execute(f"PRAGMA user_version = {CACHE_FORMAT - 1}")
    db.close()
    again = ResultCache(cache.path)
    assert again.get("k") is None and again.problem is None
    again.put("k", "v2")
    assert again.get("k") == "v2"


def test_digests_are_the_content_sha256_and_absence_is_none(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"y" * 2_000_000)
    digests = Digests()
    assert digests.of(path) == hashlib.sha256(b"y" * 2_000_000).hexdigest()
    assert digests.of_or_absent(tmp_path / "nothing") is None
    assert digests.of_or_absent(tmp_path) is None  # a folder is no file


@pytest.mark.parametrize(("n", "text"), [(0, "0 B"), (1023, "1023 B"), (2048, "2.0 KB"), (256 * 1024 * 1024, "256.0 MB")])
def test_human_size(n: int, text: str) -> None:
    assert human_size(n) == text
