"""`framescribe index` and `framescribe search` as a user runs them: exit codes, JSON shapes, messages, Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from framescribe.cli import main

from .conftest import LIB_PLUGIN


def _index(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["index", *args, "--plugin", LIB_PLUGIN])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def indexed(media_dir: Path, tmp_path: Path, echo_config: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    library = tmp_path / "lib.sqlite3"
    code, _, _ = _index(capsys, str(media_dir), "--library", str(library), "--config", str(echo_config), "-j", "1", "-q")
    assert code == 1  # broken.mp4
    return library


def test_index_json_summary_and_exit_codes(media_dir: Path, tmp_path: Path, echo_config: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    library = str(tmp_path / "lib.sqlite3")
    common = ["--library", library, "--config", str(echo_config), "-j", "1", "--json"]
    code, out, _ = _index(capsys, str(media_dir), *common)
    summary = json.loads(out)
    assert code == 1
    assert list(summary) == ["indexed", "unchanged", "failed", "removed"]
    assert summary["indexed"] == 6 and summary["unchanged"] == 0 and summary["removed"] == 0
    assert [f["media"] for f in summary["failed"]] == [str(media_dir / "broken.mp4")]
    assert list(summary["failed"][0]) == ["media", "error"] and "not a media file" in summary["failed"][0]["error"]
    (media_dir / "broken.mp4").unlink()
    code, out, _ = _index(capsys, str(media_dir), *common, "--prune")
    assert code == 0
    assert json.loads(out) == {"indexed": 0, "unchanged": 6, "failed": [], "removed": 1}


def test_index_usage_errors_exit_2(tmp_path: Path, echo_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _index(capsys, str(tmp_path / "missing"), "--library", str(tmp_path / "l.sqlite3"))
    assert code == 2 and "does not exist" in err and "Traceback" not in err
    bad = tmp_path / "bad.toml"
    bad.write_text('[library]\nexecutor = "kubernetes"\n')
    code, _, err = _index(capsys, str(tmp_path), "--config", str(bad))
    assert code == 2 and "[library].executor" in err
    not_a_library = tmp_path / "notes.sqlite3"
    not_a_library.write_text("plain text, not SQLite")
    code, _, err = _index(capsys, str(tmp_path), "--library", str(not_a_library), "--config", str(echo_config))
    assert code == 2 and "not a framescribe library" in err
    assert not_a_library.read_text() == "plain text, not SQLite"  # never overwritten


def test_search_json_shape(indexed: Path, media_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["search", '"quarterly targets"', "--library", str(indexed), "-f", "json", "-c", "transcribe"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    media = sorted(r["media"] for r in out["results"])
    assert media == [str(media_dir / "talk.mp4"), str(media_dir / "voice.wav")]
    first = out["results"][0]
    assert {"media", "capability", "start", "end", "value", "snippet", "score"} <= set(first)
    assert first["capability"] == "transcribe" and (first["start"], first["end"]) == (0.0, 1.5)
    assert "[quarterly targets]" in first["snippet"] and first["value"].startswith("echo transcribe")


def test_search_txt_filters_and_cjk(indexed: Path, media_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "quart*", "--library", str(indexed), "--media", "*/sub/*", "-n", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and all("/sub/" in line and "[quarterly]" in line for line in lines)
    assert main(["search", "東京 OR 会議", "--library", str(indexed)]) == 1 - 1
    hits = capsys.readouterr().out.splitlines()
    assert len(hits) == 1 and hits[0].startswith(str(media_dir / "cjk.png")) and "image_ocr" in hits[0]
    assert main(["search", "东京", "--library", str(indexed)]) == 0  # the two-character word inside a sentence
    assert "讨论了[东京]的" in capsys.readouterr().out


@pytest.mark.parametrize("query", ['"unclosed phrase', "targets AND", "(quarterly", "NOT targets", "*", ""])
def test_a_malformed_query_is_a_clear_usage_error(indexed: Path, query: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["search", query, "--library", str(indexed)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("Error: ") and "sqlite" not in err.lower() and "Traceback" not in err


def test_search_a_missing_library(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "x", "--library", str(tmp_path / "none.sqlite3")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "none.sqlite3").exists()


def test_library_defaults_come_from_the_config(media_dir: Path, tmp_path: Path, echo_config: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    library = tmp_path / "from-config.sqlite3"
    echo_config.write_text(echo_config.read_text() + f'\n[library]\npath = "{library}"\njobs = 1\n')
    code, _, _ = _index(capsys, str(media_dir / "voice.wav"), "--config", str(echo_config), "-q")
    assert code == 0 and library.is_file()
    assert main(["search", "voice", "--config", str(echo_config), "-f", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["results"][0]["media"] == str(media_dir / "voice.wav")


def test_ctrl_c_keeps_every_finished_file_and_the_next_run_carries_on(media_dir: Path, tmp_path: Path,
                                                                      echo_config: Path) -> None:
    library = tmp_path / "lib.sqlite3"
    args = [sys.executable, "-m", "framescribe", "index", str(media_dir), "--library", str(library),
            "--config", str(echo_config), "--plugin", LIB_PLUGIN, "-j", "1", "--json"]
    env = {**os.environ, "LIB_ECHO_DELAY": "0.5"}
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    done = 0
    while done < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
        if library.exists():
            with sqlite3.connect(library) as conn:
                try:
                    done = conn.execute("SELECT count(*) FROM media WHERE status='ok'").fetchone()[0]
                except sqlite3.OperationalError:  # the schema is not there yet
                    done = 0
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    with sqlite3.connect(library) as conn:
        kept = conn.execute("SELECT count(*) FROM media WHERE status='ok'").fetchone()[0]
        orphans = conn.execute("SELECT count(*) FROM segments WHERE media_id NOT IN (SELECT id FROM media)").fetchone()[0]
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert 2 <= kept < 6 and orphans == 0
    rerun = subprocess.run(args, env={**os.environ}, capture_output=True, text=True, timeout=120)
    summary = json.loads(rerun.stdout)
    assert summary["unchanged"] == kept and summary["indexed"] == 6 - kept


def test_the_default_library_is_found_by_both_commands(media_dir: Path, tmp_path: Path, echo_config: Path,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    default = tmp_path / "data" / "default.sqlite3"
    monkeypatch.setenv("FRAMESCRIBE_LIBRARY", str(default))
    assert main(["search", "anything"]) == 2  # nothing indexed yet: said, not created
    assert "does not exist" in capsys.readouterr().err and not default.exists()
    default.parent.mkdir()
    code, _, _ = _index(capsys, str(media_dir / "voice.wav"), "--config", str(echo_config), "-q")
    assert code == 0 and default.is_file()
    assert main(["search", "voice"]) == 0
    assert str(media_dir / "voice.wav") in capsys.readouterr().out


def test_shared_options_before_the_command_and_search_output_file(media_dir: Path, tmp_path: Path, echo_config: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    library = str(tmp_path / "lib.sqlite3")
    code = main(["--config", str(echo_config), "--plugin", LIB_PLUGIN, "-q", "index", str(media_dir / "voice.wav"),
                 "--library", library, "-j", "1", "--json"])
    assert code == 0 and json.loads(capsys.readouterr().out)["indexed"] == 1
    out = tmp_path / "hits.json"
    assert main(["search", "voice", "--library", library, "-f", "json", "-o", str(out)]) == 0
    assert capsys.readouterr().out == ""
    assert json.loads(out.read_text())["results"][0]["media"] == str(media_dir / "voice.wav")
    assert main(["search", "voice", "--library", library, "-o", library]) == 2  # never over the library
    assert "library" not in capsys.readouterr().out
    assert main(["search", "voice", "--library", library]) == 0
