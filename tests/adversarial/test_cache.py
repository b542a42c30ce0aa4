"""The result cache may only ever make things faster: never stale, never a failed run (issue 14).

Every case runs the real CLI in a child process with its own HOME and cache
folder, and checks the exit code, the message, that no input changed, and that
the answer is the right one. Whether a backend really ran is counted by the
test backends in ``cache_backends.py`` (a runs file), or seen in ``-v``'s
"answered from cache".

Root reads and writes everything, so the read-only and unreadable homes are
made real by running the CLI as ``nobody`` (``setpriv``) in a folder of our
own (pytest's temporary folders are private to root).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from framescribe.testing.hostile import Outcome, Snapshot, Workspace, assert_no_partial_files, run_cli
from framescribe.testing.media import make_text_video

PLUGIN = Path(__file__).with_name("cache_backends.py")
CACHE_OFF = "cache off for this run"
SRT = "1\n00:00:00,000 --> 00:00:01,500\n{}\n"
NOBODY = 65534
# The lookup backend's key (CACHE_TEST_KEY): every run checks it shows nowhere, the cache and state files included.
SECRET = "sk-cache-4e1d9b07c2aa"


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_text_video(tmp_path_factory.mktemp("clip") / "clip.mp4", [(0.0, 1.0, "CACHE")], size=(160, 96), fps=5)


class World:
    """A user's world: a home, a cache folder, a work folder with media, and a way to run the CLI in it."""

    def __init__(self, root: Path, clip: Path) -> None:
        self.root = root
        self.home = root / "home"
        self.home.mkdir()
        self.cache = root / "cache"
        self.work = root / "work"
        self.work.mkdir()
        self.runs = root / "runs.txt"
        self.clip = clip
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "FRAMESCRIBE_"))}
        self.env.update(HOME=str(self.home), FRAMESCRIBE_CACHE_DIR=str(self.cache), FRAMESCRIBE_PLUGINS="subtitles",
                        CACHE_TEST_RUNS=str(self.runs), CACHE_TEST_KEY=SECRET)
        self.workspace = Workspace(self.work, secret=SECRET, also_scan=[self.cache, self.home])

    def video(self, relative: str) -> Path:
        path = self.work / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(self.clip, path)
        return path

    def run(self, *args: str, timeout: float = 60) -> Outcome:
        """Run the CLI; then the suite's checks: inputs unchanged by this run, no partial file, the key nowhere."""
        self.workspace.retake()  # the test may have edited inputs since the last run, on purpose
        outcome = run_cli([*args, "--plugin", str(PLUGIN)] if args[0] != "cache" else list(args),
                          env=self.env, cwd=self.work, timeout=timeout)
        self.workspace.check(outcome, code=outcome.code)  # the exit code itself is each case's to assert
        return outcome

    def transcribe(self, video: Path, *extra: str) -> Outcome:
        return self.run("transcribe", str(video), "--backend", "subtitles", "-f", "txt", "-v", *extra)

    def video_text(self, video: Path, backend: str, *extra: str, timeout: float = 60) -> Outcome:
        return self.run("video-text", str(video), "--backend", backend, "-f", "txt", "-v", *extra, timeout=timeout)

    def ran(self, backend: str) -> int:
        return self.runs.read_text().split().count(backend) if self.runs.exists() else 0

    def config(self, text: str) -> Path:
        path = self.root / "framescribe.toml"
        path.write_text(text)
        return path


@pytest.fixture
def world(tmp_path: Path, clip: Path) -> World:
    return World(tmp_path, clip)


def ok(outcome: Outcome, text: str) -> None:
    """Exit 0, the answer holds ``text``, and nothing went wrong on the way."""
    assert outcome.code == 0, outcome.stderr
    assert text in outcome.stdout, outcome.stdout
    assert "Traceback" not in outcome.stderr and "unexpected" not in outcome.stderr


def cached(outcome: Outcome) -> bool:
    return "answered from cache" in outcome.stderr


def warned_once(outcome: Outcome, what: str) -> None:
    assert outcome.stderr.count(CACHE_OFF) == 1, outcome.stderr
    assert what in outcome.stderr, outcome.stderr


# -- never stale: sidecar subtitles -------------------------------------------------------------------------


def test_an_unchanged_sidecar_is_answered_from_the_cache(world: World) -> None:
    video = world.video("a/talk.mp4")
    (video.parent / "talk.srt").write_text(SRT.format("first words"))
    before = Snapshot(world.work)
    ok(first := world.transcribe(video), "first words")
    ok(again := world.transcribe(video), "first words")
    assert not cached(first) and cached(again)
    before.assert_unchanged(allow_new=False)


def _rewrite(old: Path, text: str) -> None:
    old.write_text(SRT.format(text))


def _rewrite_keeping_size_and_mtime(old: Path, text: str) -> None:
    stamp = old.stat()
    old.write_text(SRT.format(text))
    os.utime(old, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))


def _replace_with_vtt(old: Path, text: str) -> None:
    old.unlink()
    old.with_suffix(".vtt").write_text(f"WEBVTT\n\n00:00:00.000 --> 00:00:01.500\n{text}\n")


@pytest.mark.parametrize(("name", "change"), [
    ("talk.srt", _rewrite),
    ("talk.srt", _rewrite_keeping_size_and_mtime),  # content, not dates, decides
    ("talk.srt", _replace_with_vtt),
    ("talk.SRT", _rewrite),  # suffixes are matched as the backend matches them, in any case
])
def test_a_changed_sidecar_gives_the_new_text(world: World, name: str, change: Callable[[Path, str], None]) -> None:
    video = world.video("talk.mp4")
    sidecar = video.parent / name
    sidecar.write_text(SRT.format("words AAAA"))
    ok(world.transcribe(video), "words AAAA")
    change(sidecar, "words BBBB")
    before = Snapshot(world.work)
    ok(outcome := world.transcribe(video), "words BBBB")
    assert "AAAA" not in outcome.stdout and not cached(outcome)
    before.assert_unchanged(allow_new=False)


def test_identical_videos_in_two_folders_each_get_their_own_sidecar(world: World) -> None:
    one, two = world.video("one/talk.mp4"), world.video("two/talk.mp4")
    (one.parent / "talk.srt").write_text(SRT.format("folder one"))
    (two.parent / "talk.srt").write_text(SRT.format("folder two"))
    before = Snapshot(world.work)
    ok(world.transcribe(one), "folder one")
    ok(outcome := world.transcribe(two), "folder two")
    assert "folder one" not in outcome.stdout
    ok(world.transcribe(one), "folder one")  # and the first folder's answer is still its own
    before.assert_unchanged(allow_new=False)


def test_identical_videos_with_other_names_in_one_folder(world: World) -> None:
    a, b = world.video("a.mp4"), world.video("b.mp4")
    (world.work / "a.srt").write_text(SRT.format("from a"))
    (world.work / "b.srt").write_text(SRT.format("from b"))
    ok(world.transcribe(a), "from a")
    ok(world.transcribe(b), "from b")


def test_a_removed_sidecar_is_not_answered_from_the_cache(world: World) -> None:
    video = world.video("talk.mp4")
    srt = video.parent / "talk.srt"
    srt.write_text(SRT.format("gone soon"))
    ok(world.transcribe(video), "gone soon")
    srt.unlink()
    before = Snapshot(world.work)
    outcome = world.transcribe(video)
    assert outcome.code == 1, outcome.stderr
    assert "no subtitle files beside the video" in outcome.stderr and "gone soon" not in outcome.stdout
    before.assert_unchanged(allow_new=False)


def test_an_edited_transcript_given_by_flag(world: World) -> None:
    video = world.video("talk.mp4")
    transcript = world.work / "given.srt"
    transcript.write_text(SRT.format("given one"))
    ok(world.transcribe(video, "--transcript", str(transcript)), "given one")
    transcript.write_text(SRT.format("given two"))
    ok(world.transcribe(video, "--transcript", str(transcript)), "given two")


# -- never stale: a third-party backend that records its inputs ------------------------------------------------


def test_a_recorded_input_that_changes_makes_the_backend_run_again(world: World) -> None:
    video = world.video("talk.mp4")
    words = world.work / "talk.words.txt"
    words.write_text("alpha")
    ok(world.video_text(video, "lookup"), "words=alpha")
    ok(again := world.video_text(video, "lookup"), "words=alpha")
    assert cached(again) and world.ran("lookup") == 1
    words.write_text("beta")
    before = Snapshot(world.work)
    ok(world.video_text(video, "lookup"), "words=beta")
    assert world.ran("lookup") == 2
    before.assert_unchanged(allow_new=False)


def test_an_input_recorded_as_absent_that_appears(world: World) -> None:
    video = world.video("talk.mp4")
    ok(world.video_text(video, "lookup"), "words=none")
    (world.work / "talk.words.txt").write_text("arrived")
    ok(world.video_text(video, "lookup"), "words=arrived")
    assert world.ran("lookup") == 2


def test_a_recorded_input_that_disappears(world: World) -> None:
    video = world.video("talk.mp4")
    words = world.work / "talk.words.txt"
    words.write_text("present")
    ok(world.video_text(video, "lookup"), "words=present")
    words.unlink()
    ok(world.video_text(video, "lookup"), "words=none")


def test_a_recorded_input_outside_the_folder_named_by_a_setting(world: World) -> None:
    video = world.video("talk.mp4")
    dictionary = world.root / "dictionary.txt"
    dictionary.write_text("v1")
    config = world.config(f'[backends.lookup]\ndictionary = "{dictionary}"\n')
    ok(world.video_text(video, "lookup", "--config", str(config)), "dictionary=v1")
    ok(world.video_text(video, "lookup", "--config", str(config)), "dictionary=v1")
    assert world.ran("lookup") == 1
    dictionary.write_text("v2")
    ok(world.video_text(video, "lookup", "--config", str(config)), "dictionary=v2")
    assert world.ran("lookup") == 2


def test_identical_videos_with_recorded_inputs_do_not_share_an_answer(world: World) -> None:
    one, two = world.video("one/talk.mp4"), world.video("two/talk.mp4")
    (one.parent / "talk.words.txt").write_text("one")
    (two.parent / "talk.words.txt").write_text("two")
    ok(world.video_text(one, "lookup"), "words=one")
    ok(world.video_text(two, "lookup"), "words=two")
    ok(world.video_text(one, "lookup"), "words=one")
    assert world.ran("lookup") == 2  # the third run was the first folder's own cached answer


def test_a_backend_reading_only_the_media_shares_answers_between_copies(world: World) -> None:
    one, two = world.video("one/clip.mp4"), world.video("two/clip.mp4")
    ok(world.video_text(one, "plain"), "plain 1")
    outcome = world.run("video-text", str(two), "--backend", "plain", "-f", "json", "-v")
    ok(outcome, "plain 1")
    assert cached(outcome) and world.ran("plain") == 1
    assert f'"source": "{two}"' in outcome.stdout  # stamped with the file asked about, not the first copy


def test_a_backend_that_opts_out_at_run_time_runs_every_time(world: World) -> None:
    video = world.video("talk.mp4")
    ok(world.video_text(video, "moody"), "mood 1")
    ok(outcome := world.video_text(video, "moody"), "mood 2")
    assert not cached(outcome) and world.ran("moody") == 2


def test_a_backend_registered_uncacheable_is_never_stored(world: World) -> None:
    video = world.video("talk.mp4")
    ok(world.video_text(video, "never"), "never 1")
    ok(world.video_text(video, "never"), "never 2")
    info = world.run("cache", "info")
    assert info.code == 0 and "entries:  0" in info.stdout, info.stdout


def test_no_cache_neither_reads_nor_writes(world: World) -> None:
    video = world.video("talk.mp4")
    ok(world.video_text(video, "plain", "--no-cache"), "plain 1")
    ok(world.video_text(video, "plain", "--no-cache"), "plain 2")
    assert not (world.cache / "cache.sqlite3").exists()


# -- never fails a run ------------------------------------------------------------------------------------------


def test_a_corrupt_cache_database_is_one_warning(world: World) -> None:
    video = world.video("talk.mp4")
    world.cache.mkdir()
    (world.cache / "cache.sqlite3").write_bytes(b"this is not a database, just junk " * 100)
    before = Snapshot(world.work, world.cache)
    ok(outcome := world.video_text(video, "plain"), "plain 1")
    warned_once(outcome, "not a cache database")
    before.assert_unchanged(allow_new=False)


def test_a_corrupt_cache_warns_once_for_many_images(world: World) -> None:
    images = []
    for i in range(4):
        image = world.work / f"page{i}.png"
        image.write_bytes(b"\x89PNG fake " * (i + 1))
        images.append(str(image))
    world.cache.mkdir()
    (world.cache / "cache.sqlite3").write_bytes(b"junk" * 512)
    outcome = world.run("ocr", *images, "--backend", "plain", "-j", "4")
    ok(outcome, "page3.png")
    warned_once(outcome, "not a cache database")
    assert world.ran("plain") == 4


def test_a_cache_row_that_cannot_be_read_is_a_miss(world: World) -> None:
    video = world.video("talk.mp4")
    ok(world.video_text(video, "plain"), "plain 1")
    with sqlite3.connect(world.cache / "cache.sqlite3") as db:
        db.execute("UPDATE entries SET value = '{\"not\": \"a result\"}'")
    db.close()
    ok(outcome := world.video_text(video, "plain"), "plain 2")
    assert not cached(outcome)


def _hold_lock(path: Path, journal: str) -> subprocess.Popen[str]:
    """Another process holding a write lock on ``path`` until killed; returns once the lock is held."""
    code = (
        "import sqlite3, sys, time\n"
        f"db = sqlite3.connect({str(path)!r}, isolation_level=None)\n"
        f"db.execute('PRAGMA journal_mode={journal}')\n"
        "db.execute('CREATE TABLE IF NOT EXISTS t (x)')\n"
        "db.execute('BEGIN EXCLUSIVE'); db.execute('INSERT INTO t VALUES (1)')\n"
        "print('locked', flush=True); time.sleep(120)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


@pytest.mark.parametrize("journal", ["WAL", "DELETE"])
def test_a_cache_locked_by_another_process_does_not_hold_the_run(world: World, journal: str) -> None:
    video = world.video("talk.mp4")
    world.cache.mkdir()
    holder = _hold_lock(world.cache / "cache.sqlite3", journal)
    try:
        began = time.monotonic()
        outcome = world.video_text(video, "plain", timeout=25)
        took = time.monotonic() - began
    finally:
        holder.kill()
        holder.wait()
    ok(outcome, "plain 1")
    warned_once(outcome, "locked by another process")
    # Not a benchmark: a guard against the 30 s busy wait this case used to hit.
    assert took < 15, f"the run waited {took:.1f}s on the lock"


def test_first_runs_at_once_share_a_new_cache_without_a_warning(world: World) -> None:
    videos = []
    for i in range(5):
        video = world.work / f"v{i}.mp4"
        video.write_bytes(world.clip.read_bytes() + bytes([i]))
        videos.append(video)
    args = ["--backend", "plain", "-f", "txt", "--plugin", str(PLUGIN)]
    procs = [subprocess.Popen([sys.executable, "-m", "framescribe", "video-text", str(v), *args], env=world.env,
                              cwd=world.work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for v in videos]
    outcomes = [Outcome(p.wait(timeout=60), *p.communicate()) for p in procs]
    for outcome in outcomes:
        ok(outcome, "plain")
        assert outcome.stderr == "", outcome.stderr
    info = world.run("cache", "info")
    assert "entries:  5" in info.stdout, info.stdout


def test_a_cache_folder_that_is_a_file(world: World) -> None:
    video = world.video("talk.mp4")
    world.cache.write_text("I am a file, not a folder")
    before = Snapshot(world.work, world.cache)
    ok(outcome := world.video_text(video, "plain"), "plain 1")
    warned_once(outcome, str(world.cache))
    before.assert_unchanged(allow_new=False)


def test_a_home_whose_cache_folder_is_a_file(world: World) -> None:
    del world.env["FRAMESCRIBE_CACHE_DIR"]
    (world.home / ".cache").write_text("not a folder")
    video = world.video("talk.mp4")
    before = Snapshot(world.work, world.home)
    ok(outcome := world.video_text(video, "plain"), "plain 1")
    warned_once(outcome, ".cache")
    before.assert_unchanged(allow_new=False)


def test_a_corrupt_state_store_does_not_fail_a_backend_using_it(world: World) -> None:
    video = world.video("talk.mp4")
    world.cache.mkdir()
    (world.cache / "state.sqlite3").write_bytes(b"garbage" * 300)
    before = Snapshot(world.work, world.cache / "state.sqlite3")
    ok(outcome := world.video_text(video, "stateful"), "seen 1")
    assert outcome.stderr.count("state store") == 1 and "remembering in memory" in outcome.stderr
    before.assert_unchanged(allow_new=False)


def test_the_state_store_keeps_working_beside_the_cache(world: World) -> None:
    one, two = world.video("one.mp4"), world.video("two/one.mp4")
    ok(world.video_text(one, "stateful"), "seen 1")
    ok(world.video_text(two, "stateful", "--no-cache"), "seen 2")  # remembered across runs
    clear = world.run("cache", "clear")
    assert clear.code == 0, clear.stderr
    ok(world.video_text(two, "stateful", "--no-cache"), "seen 3")  # clearing the cache leaves the state alone


# -- homes that cannot be written or read (as a non-root user) ---------------------------------------------------


@pytest.fixture
def shared() -> Iterator[Path]:
    """A folder `nobody` can reach, for the runs that drop root."""
    with tempfile.TemporaryDirectory(prefix="fs-cache-") as folder:
        root = Path(folder)
        root.chmod(0o755)
        yield root


def _as_nobody(world: World, *args: str) -> Outcome:
    cli = [sys.executable, "-m", "framescribe", *args, "--plugin", str(world.root / PLUGIN.name)]
    drop = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"] if os.geteuid() == 0 else []
    env = {**world.env, "CACHE_TEST_RUNS": ""}
    world.workspace.retake()
    proc = subprocess.run([*drop, *cli], env=env, cwd=world.work, capture_output=True, text=True, timeout=60,
                          check=False)
    outcome = Outcome(proc.returncode, proc.stdout, proc.stderr)
    world.workspace.check(outcome, code=outcome.code)
    return outcome


@pytest.fixture
def nobody_world(shared: Path, clip: Path) -> World:
    world = World(shared, clip)
    shutil.copy(PLUGIN, shared / PLUGIN.name)
    del world.env["FRAMESCRIBE_CACHE_DIR"]  # the cache and config are found from HOME, as for a user
    for path in (shared / PLUGIN.name, shared / "work"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return world


def _home_mode(world: World, mode: int) -> Snapshot:
    # Owned by root and never writable by `nobody`; as a non-root user the mode alone takes the rights away.
    (world.home / ".config" / "framescribe").mkdir(parents=True)
    (world.home / ".config" / "framescribe" / "config.toml").write_text("[capabilities]\nvideo_text = [\"never\"]\n")
    snapshot = Snapshot(world.home, world.work)
    world.home.chmod(mode)
    return snapshot


def test_a_read_only_home(nobody_world: World) -> None:
    video = nobody_world.video("talk.mp4")
    video.chmod(0o644)
    before = _home_mode(nobody_world, 0o555)
    outcome = _as_nobody(nobody_world, "video-text", str(video), "--backend", "plain", "-f", "txt")
    ok(outcome, "plain 0 size=")
    warned_once(outcome, "Permission denied")
    nobody_world.home.chmod(0o755)
    before.assert_unchanged(allow_new=False)
    assert_no_partial_files(nobody_world.root)


def test_an_unreadable_home(nobody_world: World) -> None:
    video = nobody_world.video("talk.mp4")
    video.chmod(0o644)
    before = _home_mode(nobody_world, 0o000)
    outcome = _as_nobody(nobody_world, "video-text", str(video), "-f", "txt")
    nobody_world.home.chmod(0o755)
    # The user config inside the home cannot be seen, so the built-in chain answers: skipped like a missing one.
    assert outcome.code == 1 and "no backend could do video_text" in outcome.stderr, outcome.stderr
    assert "unexpected" not in outcome.stderr and "Traceback" not in outcome.stderr
    before.assert_unchanged(allow_new=False)


def test_an_unreadable_home_with_a_backend_named(nobody_world: World) -> None:
    video = nobody_world.video("talk.mp4")
    video.chmod(0o644)
    before = _home_mode(nobody_world, 0o000)
    outcome = _as_nobody(nobody_world, "video-text", str(video), "--backend", "plain", "-f", "txt")
    nobody_world.home.chmod(0o755)
    ok(outcome, "plain 0 size=")
    warned_once(outcome, "Permission denied")
    before.assert_unchanged(allow_new=False)


def test_an_unreadable_home_with_no_cache_is_silent(nobody_world: World) -> None:
    video = nobody_world.video("talk.mp4")
    video.chmod(0o644)
    before = _home_mode(nobody_world, 0o000)
    outcome = _as_nobody(nobody_world, "video-text", str(video), "--backend", "plain", "-f", "txt", "--no-cache")
    nobody_world.home.chmod(0o755)
    ok(outcome, "plain 0 size=")
    assert outcome.stderr == "", outcome.stderr
    before.assert_unchanged(allow_new=False)


def test_an_unreadable_config_folder_is_skipped_like_a_missing_one(nobody_world: World) -> None:
    video = nobody_world.video("talk.mp4")
    video.chmod(0o644)
    config_dir = nobody_world.home / ".config" / "framescribe"
    config_dir.mkdir(parents=True)
    (config_dir / "config.toml").write_text("[capabilities]\nvideo_text = [\"plain\"]\n")
    config_dir.chmod(0o000)
    outcome = _as_nobody(nobody_world, "video-text", str(video), "--backend", "plain", "-f", "txt")
    config_dir.chmod(0o755)
    ok(outcome, "plain 0 size=")


# -- the size cap and `framescribe cache info|clear` ------------------------------------------------------------


def test_the_size_cap_evicts_the_least_recently_used(world: World) -> None:
    config = world.config("[cache]\nmax_size_mb = 1\n\n[backends.lookup]\npad = 300000\n")
    videos = []
    for i in range(5):
        video = world.work / f"v{i}.mp4"
        video.write_bytes(world.clip.read_bytes() + bytes([i]))  # five different contents
        videos.append(video)
        ok(world.video_text(video, "lookup", "--config", str(config)), "words=none")
        if i == 2:  # use the first one again: recently used, it outlives the second and third
            assert cached(world.video_text(videos[0], "lookup", "--config", str(config)))
    assert world.ran("lookup") == 5
    info = world.run("cache", "info", "--config", str(config), "--json")
    assert info.code == 0, info.stderr
    data = json.loads(info.stdout)
    assert data["size"] <= 1024 * 1024 and data["entries"] == 3, data
    assert cached(world.video_text(videos[4], "lookup", "--config", str(config)))  # the newest is kept
    assert cached(world.video_text(videos[0], "lookup", "--config", str(config)))  # used again, so kept
    assert not cached(world.video_text(videos[1], "lookup", "--config", str(config)))  # least recently used: gone


def test_a_cap_of_zero_turns_the_cache_off_quietly(world: World) -> None:
    video = world.video("talk.mp4")
    config = world.config("[cache]\nmax_size_mb = 0\n")
    ok(world.video_text(video, "plain", "--config", str(config)), "plain 1")
    ok(outcome := world.video_text(video, "plain", "--config", str(config)), "plain 2")
    assert CACHE_OFF not in outcome.stderr


@pytest.mark.parametrize(("table", "message"), [
    ("[cache]\nmax_size_mb = -5\n", "max_size_mb must be a whole number of megabytes >= 0"),
    ("[cache]\nmax_size = 10\n", "[cache] takes one key, max_size_mb"),
])
def test_a_bad_cache_table_is_a_config_error(world: World, table: str, message: str) -> None:
    video = world.video("talk.mp4")
    config = world.config(table)
    outcome = world.video_text(video, "plain", "--config", str(config))
    assert outcome.code == 2 and message in outcome.stderr, outcome.stderr
    assert world.ran("plain") == 0


def test_cache_info_counts_entries(world: World) -> None:
    ok(world.video_text(world.video("a.mp4"), "plain"), "plain 1")
    ok(world.video_text(world.video("b/b.mp4"), "lookup"), "words=none")
    outcome = world.run("cache", "info")
    assert outcome.code == 0 and "entries:  2" in outcome.stdout and str(world.cache) in outcome.stdout, outcome.stdout
    assert "problem" not in outcome.stdout


def test_cache_info_creates_nothing(world: World) -> None:
    outcome = world.run("cache", "info")
    assert outcome.code == 0 and "entries:  0" in outcome.stdout, outcome.stderr
    assert not world.cache.exists()


def test_cache_info_names_a_corrupt_database(world: World) -> None:
    world.cache.mkdir()
    (world.cache / "cache.sqlite3").write_bytes(b"rubbish" * 100)
    outcome = world.run("cache", "info")
    assert outcome.code == 0 and "problem:" in outcome.stdout and "not a cache database" in outcome.stdout


def test_cache_clear_drops_answers(world: World) -> None:
    video = world.video("talk.mp4")
    ok(world.video_text(video, "plain"), "plain 1")
    outcome = world.run("cache", "clear")
    assert outcome.code == 0 and "cleared 1 cached answer from" in outcome.stdout, outcome.stderr
    ok(world.video_text(video, "plain"), "plain 2")


def test_cache_clear_replaces_a_corrupt_database(world: World) -> None:
    video = world.video("talk.mp4")
    world.cache.mkdir()
    (world.cache / "cache.sqlite3").write_bytes(b"rubbish" * 100)
    outcome = world.run("cache", "clear")
    assert outcome.code == 0 and "cleared 0 cached answers" in outcome.stdout, outcome.stderr
    ok(first := world.video_text(video, "plain"), "plain 1")
    ok(again := world.video_text(video, "plain"), "plain 1")
    assert CACHE_OFF not in first.stderr and cached(again)


def test_cache_clear_leaves_a_file_in_the_cache_folders_place(world: World) -> None:
    world.cache.write_text("someone's file")
    before = Snapshot(world.cache)
    outcome = world.run("cache", "clear")
    assert outcome.code == 1 and "cannot clear the cache" in outcome.stderr and "not a directory" in outcome.stderr.lower()
    assert "Traceback" not in outcome.stderr
    before.assert_unchanged(allow_new=False)


# -- an output never lands on a file the backend read (issue 14: the sidecar is an input too) -----------------


@pytest.mark.parametrize("run_before", [False, True], ids=["fresh", "cache-hit"])
def test_output_onto_the_sidecar_the_backend_read_is_refused(world: World, run_before: bool) -> None:
    video = world.video("talk.mp4")
    sidecar = video.parent / "talk.srt"
    sidecar.write_text(SRT.format("<i>said</i> softly"))
    if run_before:  # the answer then comes from the cache, which must remember what it was made from
        ok(world.transcribe(video), "said softly")
    outcome = world.run("transcribe", str(video), "--backend", "subtitles", "-f", "srt", "-o", "talk.srt", "-v")
    assert outcome.code == 2, outcome.stderr
    assert "'talk.srt' and" in outcome.stderr and "are the same file" in outcome.stderr
    assert cached(outcome) == run_before
    assert sidecar.read_text() == SRT.format("<i>said</i> softly")  # checked by world.run too: nothing changed
