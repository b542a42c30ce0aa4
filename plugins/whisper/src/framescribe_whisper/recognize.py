"""Running faster-whisper over a video's audio, window by window, into framescribe segments.

Whisper reads 30 s at a time and moves on to where the last whole segment it
heard ends. The end of a window is a cut whisper does not know about: its last
chunk there is short, padded with silence, and that is where it tends to drop
words or repeat itself. So in every window but the last, only what whisper
heard in chunks with a full 30 s of real audio behind them is kept, and the next
window starts where whisper would have gone on. The tokens kept so far are
handed on as the prompt, as whisper conditions each chunk on the text before
it; the result is what faster-whisper gives on the whole file, with memory
bounded by one window.
"""

from __future__ import annotations

import math
from typing import Any

from framescribe import BadInput, RunContext, Segment, VideoRequest, VideoResult, Word

from .audio import AudioWindows, Window
from .model import load_model, pick_language
from .settings import WhisperSettings

CHUNK_SECONDS = 30.0  # whisper's input length
_PROMPT_TOKENS = 223  # what whisper's own prompt keeps of the text before a chunk (its max_length // 2 - 1)


def transcribe_video(request: VideoRequest, settings: WhisperSettings, context: RunContext) -> VideoResult:
    if request.media is None:
        raise BadInput("the whisper backend needs a local video or audio file (a --video-id alone is not enough)")
    model, ref = load_model(settings)
    language = pick_language(request.language or settings.language, model, ref)
    segments: list[Segment] = []
    detected: tuple[str, float] | None = None
    prompt: list[int] = []
    with AudioWindows(request.media, request.start, request.end, settings.window_seconds) as audio:
        origin = request.start or 0.0
        total = audio.span
        context.progress(0.0, total, f"model {ref.label}")
        for window in audio:
            found, info = model.transcribe(
                window.samples,
                language=language or (detected[0] if detected else None),
                beam_size=settings.beam_size,
                vad_filter=settings.vad_filter,
                word_timestamps=settings.word_timestamps,
                initial_prompt=prompt[-_PROMPT_TOKENS:] or None,
            )
            if detected is None:
                detected = (info.language, float(info.language_probability))
            resume = _recognise_window(found, window, settings, model, segments, prompt, context, origin, total)
            audio.resume_at(resume)
            del prompt[:-_PROMPT_TOKENS]
            context.progress(resume - origin, total, "")
        if total is not None and total > resume - origin:
            context.progress(total, total, "")  # the container's duration is the video's, often past the audio
    metadata: dict[str, Any] = {"model": ref.label, "compute_type": settings.compute_type, "beam_size": settings.beam_size}
    if language is None and detected is not None:
        metadata["language_probability"] = round(detected[1], 4)
    return VideoResult(segments, language=language or (detected[0] if detected else None), duration=audio.duration,
                       metadata=metadata)


def _recognise_window(found: Any, window: Window, settings: WhisperSettings, model: Any, segments: list[Segment],
                      prompt: list[int], context: RunContext, origin: float, total: float | None) -> float:
    """Add the trusted segments of ``window`` to ``segments``; the media time the next window starts at."""
    # The last moment a chunk can start and still have 30 s of real audio behind it.
    keep_until = math.inf if window.last else window.seconds - CHUNK_SECONDS
    frames_per_second = float(getattr(model, "frames_per_second", 100))
    resume = window.seconds if window.last else keep_until  # when nothing is heard after keep_until
    for raw in found:  # a generator: recognition happens as we iterate
        # With the VAD filter whisper's chunks hold the speech alone; the time heard stands in for the chunk's.
        chunk_start = float(raw.start) if settings.vad_filter else raw.seek / frames_per_second
        if chunk_start >= keep_until:
            resume = chunk_start  # where whisper went on: the next window starts there, with 30 s ahead
            break
        prompt.extend(raw.tokens)
        resume = max(resume, float(raw.end))
        seg = _segment(raw, window.offset, window.offset + window.seconds, settings.word_timestamps)
        if seg is not None:
            segments.append(seg)
            context.progress(seg.end - origin, total, seg.value[:40])
    return window.offset + resume


def _segment(raw: Any, offset: float, window_end: float, with_words: bool) -> Segment | None:
    text = raw.text.strip()
    if not text:
        return None
    start = offset + float(raw.start)
    end = min(offset + float(raw.end), window_end)
    words = None
    if with_words:
        words = tuple(
            Word(w.word.strip(), confidence=float(w.probability), start=offset + float(w.start),
                 end=min(offset + float(w.end), window_end))
            for w in (raw.words or [])
            if w.word.strip()
        )
    confidence = min(1.0, max(0.0, math.exp(float(raw.avg_logprob))))
    return Segment(start, max(start, end), text, confidence=confidence, words=words)
