"""Make the speech test videos in this folder and subtitled*.mp4 of the subtitles plugin (run once; committed).

Needs espeak-ng (Debian: apt-get install espeak-ng) and an ffmpeg binary (PATH or
the imageio-ffmpeg package). Tests never run this: they use the committed files.

    python plugins/whisper/tests/data/make_speech.py

Each clip is a few sentences spoken by espeak-ng, joined with silences of known
length, muxed under a plain colour picture into a small MP4 (H.264 + AAC). Because
the silences are ours, every sentence's start and end are known exactly and are
written to <clip>.json with the transcript; <clip>.txt holds the transcript alone.
"""

from __future__ import annotations

import array
import json
import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

HERE = Path(__file__).resolve().parent
# The clip with subtitle tracks is the subtitles plugin's test media.
SUBTITLES_DATA = HERE.parents[2] / "subtitles" / "tests" / "data"
RATE = 22050  # espeak-ng's native output rate
VOICE = ["-v", "en-us", "-s", "150"]

# clip name -> (colour, [(sentence, seconds of silence after it)])
CLIPS: dict[str, tuple[str, list[tuple[str, float]]]] = {
    "hello": ("navy", [("Hello world.", 0.4), ("This is a test of speech recognition.", 0.5)]),
    "weather": ("darkgreen", [
        ("The weather today is sunny and warm.", 0.6),
        ("Tomorrow there will be rain in the afternoon.", 0.6),
        ("Please remember to bring an umbrella.", 0.5),
    ]),
    "two_parts": ("maroon", [
        ("The first part is about cats and dogs.", 2.5),
        ("The second part is about trains and boats.", 0.5),
    ]),
    "subtitled": ("purple", [("Subtitles are read from the video file.", 0.5)]),
}
# Subtitle tracks muxed into subtitled*.mp4: language -> text of the one cue.
TRACK_TEXT = {"eng": "Subtitles are read from the video file.", "fra": "Les sous-titres sont lus dans le fichier vidéo."}


def ffmpeg() -> str:
    found = shutil.which("ffmpeg")
    if found:
        return found
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def speak(text: str, tmp: Path) -> array.array[int]:
    out = tmp / "s.wav"
    subprocess.run(["espeak-ng", *VOICE, "-w", str(out), text], check=True)
    with wave.open(str(out)) as w:
        assert w.getframerate() == RATE and w.getnchannels() == 1 and w.getsampwidth() == 2
        return array.array("h", w.readframes(w.getnframes()))


def make_audio(sentences: list[tuple[str, float]], tmp: Path) -> tuple[Path, list[dict[str, object]]]:
    samples: array.array[int] = array.array("h", [0] * int(0.3 * RATE))  # a short lead-in
    timings = []
    for text, pause in sentences:
        voice = speak(text, tmp)
        start = len(samples) / RATE
        samples.extend(voice)
        timings.append({"start": round(start, 3), "end": round(len(samples) / RATE, 3), "text": text})
        samples.extend([0] * int(pause * RATE))
    path = tmp / "speech.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(samples.tobytes())
    return path, timings


def srt_time(seconds: float) -> str:
    ms = int(round(seconds * 1000))
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


def mux(audio: Path | None, colour: str, seconds: float, out: Path, subs: dict[str, Path] | None = None) -> None:
    cmd = [ffmpeg(), "-y", "-hide_banner", "-loglevel", "error",
           "-f", "lavfi", "-i", f"color=c={colour}:s=160x90:r=5:d={seconds:.3f}"]
    if audio is not None:
        cmd += ["-i", str(audio)]
    for sub in (subs or {}).values():
        cmd += ["-i", str(sub)]
    cmd += ["-map", "0:v"]
    if audio is not None:
        cmd += ["-map", "1:a"]
    first_sub = 2 if audio is not None else 1
    for i, lang in enumerate(subs or {}):
        cmd += ["-map", f"{first_sub + i}:s", f"-metadata:s:s:{i}", f"language={lang}"]
    cmd += ["-c:v", "libx264", "-preset", "veryslow", "-crf", "40", "-pix_fmt", "yuv420p", "-g", "50"]
    if audio is not None:
        cmd += ["-c:a", "aac", "-b:a", "32k", "-ac", "1", "-ar", "22050"]
    if subs:
        cmd += ["-c:s", "mov_text"]
    cmd += ["-movflags", "+faststart", "-map_metadata", "-1", "-fflags", "+bitexact", str(out)]
    subprocess.run(cmd, check=True)


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for name, (colour, sentences) in CLIPS.items():
            wav, timings = make_audio(sentences, tmp)
            with wave.open(str(wav)) as w:
                seconds = w.getnframes() / RATE
            transcript = " ".join(t for t, _ in sentences)
            subs: dict[str, Path] = {}
            if name == "subtitled":
                for lang, text in TRACK_TEXT.items():
                    sub = tmp / f"{lang}.srt"
                    sub.write_text(f"1\n{srt_time(timings[0]['start'])} --> {srt_time(timings[0]['end'])}\n{text}\n",  # type: ignore[arg-type]
                                   encoding="utf-8")
                    subs[lang] = sub
                mux(wav, colour, seconds, SUBTITLES_DATA / "subtitled_2langs.mp4", subs)
                mux(wav, colour, seconds, SUBTITLES_DATA / "subtitled.mp4", {"eng": subs["eng"]})
                out = SUBTITLES_DATA
            else:
                mux(wav, colour, seconds, HERE / f"{name}.mp4")
                out = HERE
            (out / f"{name}.txt").write_text(transcript + "\n", encoding="utf-8")
            (out / f"{name}.json").write_text(json.dumps(
                {"duration": round(seconds, 3), "transcript": transcript, "sentences": timings}, indent=2) + "\n",
                encoding="utf-8")
        mux(None, "gray", 2.0, HERE / "no_audio.mp4")


if __name__ == "__main__":
    main()
