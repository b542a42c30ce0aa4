"""Answering ``transcribe`` from subtitles: the given file, else a file beside the video, else a stream inside it."""

from __future__ import annotations

from pathlib import Path

from framescribe import (
    BackendUnavailable,
    FramescribeError,
    NoBackendAnswered,
    RunContext,
    Segment,
    VideoRequest,
    VideoResult,
)
from framescribe.languages import normalize_language
from framescribe.media import SubtitleStream

from .parse import read_subtitle_file
from .settings import SubtitleSettings
from .sources import Candidate, choose, choose_in_order, files_beside, language_of_name, sidecar_patterns
from .tracks import KINDS, Track


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
        # Before reading: the answer depends on which subtitle files sit beside the video and what they say.
        context.record_inputs_matching(video.parent, sidecar_patterns(video))
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

    from .tracks import caption_tracks, list_tracks

    info = probe(video)  # BadInput for a file that is not media at all: no other backend could read it either
    tracks = list_tracks(video, info, captions=False)
    text = [t for t in tracks if t.kind == "text"]
    wanted = normalize_language(request.language)
    # Scanning for closed captions reads the whole video stream: skipped when a text track wins anyway.
    if not text or (wanted is not None and all(t.language != wanted for t in text)):
        tracks += caption_tracks(video, info)
    for track in tracks:
        context.log.info("subtitles: %s carries %s%s", video.name, track.describe(),
                         f": not read, {track.reason}" if track.reason else "")
    groups = [[Candidate(t.label, t.language, track=t) for t in tracks if t.kind == kind] for kind in KINDS]
    if context.image_ocr is None and groups[2]:
        looked.append("bitmap subtitle tracks need the image_ocr chain, which this caller does not offer")
        groups[2] = []
    picked = choose_in_order(groups, request.language, video)
    if picked is None or picked.track is None:
        looked.append(_found([c for g in groups for c in g], "subtitle tracks in the video", request.language))
        looked += [f"{t.label}: {t.reason}" for t in tracks if t.reason]
        raise BackendUnavailable("no transcript: " + "; ".join(looked))
    track = picked.track
    context.log.info("subtitles: reading %s of %s", track.label, video)
    try:
        segments = _read_track(video, track, request, context)
    except FramescribeError:
        raise
    except Exception as exc:
        # No track may crash the backend: an unreadable one is skipped, saying why, and the chain moves on.
        context.log.debug("subtitles: reading %s failed", track.label, exc_info=True)
        raise BackendUnavailable(f"{track.label} of {video} could not be read ({type(exc).__name__}: {exc})") from exc
    context.progress(1, 1, track.label)
    metadata: dict[str, object] = {"subtitle_stream": track.index, "codec": track.codec, "kind": track.kind}
    if track.channel:
        metadata["channel"] = track.channel
    return VideoResult(segments, language=track.language or normalize_language(request.language), duration=info.duration,
                       metadata=metadata)


def _read_track(video: Path, track: Track, request: VideoRequest, context: RunContext) -> list[Segment]:
    if track.cues:  # closed captions and packet-text tracks were read while listing
        return list(track.cues)
    if track.kind == "bitmap":
        from .bitmaps import read_bitmap_track

        ocr = context.image_ocr
        assert ocr is not None

        def read_image(image: Path, language: str | None) -> str:
            try:
                return "\n".join(page.text for page in ocr(image, language))
            except NoBackendAnswered as exc:
                raise BackendUnavailable(f"{track.label} needs OCR and no image_ocr backend could read it: {exc.message}") from None

        return read_bitmap_track(video, track.index, read_image, request.language, context.progress, request.start, request.end)
    from .embedded import read_stream

    return read_stream(video, SubtitleStream(track.index, track.codec, track.language, track.title))
