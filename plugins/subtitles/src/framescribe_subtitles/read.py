"""Answering ``transcribe`` from subtitles: the given file, else a file beside the video, else a stream inside it."""

from __future__ import annotations

from pathlib import Path

from framescribe import BackendUnavailable, RunContext, VideoRequest, VideoResult
from framescribe.languages import normalize_language

from .parse import read_subtitle_file
from .settings import SubtitleSettings
from .sources import Candidate, choose, files_beside, language_of_name, streams_inside


def read_transcript(request: VideoRequest, settings: SubtitleSettings, context: RunContext) -> VideoResult:
    """The transcript for ``request``; BackendUnavailable when there is none to read, so a chain moves on."""
    if request.transcript is not None:
        # Given explicitly: it wins, and if it is broken that is the user's to fix (BadInput).
        segments = read_subtitle_file(request.transcript, settings.encoding)
        context.progress(1, 1, request.transcript.name)
        language = normalize_language(request.language) or language_of_name(request.transcript)
        return VideoResult(segments, language=language, metadata={"transcript": str(request.transcript)})
    video = request.media
    if video is None:
        raise BackendUnavailable("no transcript given and no local video to look beside or inside")
    looked: list[str] = []
    if settings.beside:
        files = files_beside(video)
        picked = choose(files, request.language, video)
        if picked is not None:
            return _read_file(picked, request, settings, context)
        looked.append(_found(files, "subtitle files beside the video", request.language))
    if settings.embedded:
        return _read_embedded(video, request, context, looked)
    raise BackendUnavailable("no transcript: " + "; ".join(looked))


def _found(candidates: list[Candidate], what: str, language: str | None) -> str:
    if not candidates:
        return f"no {what}"
    return f"no {what} in language {language!r} (found: {', '.join(c.describe() for c in candidates)})"


def _read_file(picked: Candidate, request: VideoRequest, settings: SubtitleSettings, context: RunContext) -> VideoResult:
    assert picked.path is not None
    context.log.info("subtitles: reading %s", picked.path)
    segments = read_subtitle_file(picked.path, settings.encoding)
    context.progress(1, 1, picked.label)
    return VideoResult(segments, language=picked.language or normalize_language(request.language),
                       metadata={"transcript": str(picked.path)})


def _read_embedded(video: Path, request: VideoRequest, context: RunContext, looked: list[str]) -> VideoResult:
    from framescribe.media import probe

    from .embedded import TEXT_CODECS, is_text_stream, read_stream

    info = probe(video)  # BadInput for a file that is not media at all: no other backend could read it either
    text_streams = [s for s in info.subtitles if is_text_stream(s)]
    picked = choose(streams_inside(text_streams), request.language, video)
    if picked is None:
        looked.append(_found(streams_inside(text_streams), "text subtitle streams in the video", request.language))
        images = [f"#{s.index} ({s.codec})" for s in info.subtitles if s.codec not in TEXT_CODECS]
        if images:
            looked.append(f"image subtitle streams need OCR and are not read: {', '.join(images)}")
        raise BackendUnavailable("no transcript: " + "; ".join(looked))
    assert picked.stream is not None
    context.log.info("subtitles: reading %s of %s", picked.label, video)
    segments = read_stream(video, picked.stream)
    context.progress(1, 1, picked.label)
    return VideoResult(segments, language=picked.language or normalize_language(request.language), duration=info.duration,
                       metadata={"subtitle_stream": picked.stream.index, "codec": picked.stream.codec})
