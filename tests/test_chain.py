"""framescribe.chain.Chain used directly, as the CLI, the library indexer and the server use it.

Dispatch through the facade is covered by test_chains.py; here: the routing
rule plugins rely on, the cache around the chain, and the helpers for plugin
commands (``context_for``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import framescribe
from framescribe import (
    BackendSettings,
    BackendSpec,
    BackendUnavailable,
    ImageRequest,
    NoBackendAnswered,
    OcrResult,
    RunContext,
    Segment,
    VideoRequest,
    VideoResult,
)
from framescribe.cache import ResultCache
from framescribe.chain import Chain
from framescribe.config import parse_config
from framescribe.plugins import PluginHost
from framescribe.state import StateStore


class WordsSettings(BackendSettings):
    word: str = "hello"


class OneBackend:
    """A plugin registering one backend; its hooks never look at ``backend``, as the docs now allow."""

    def __init__(self, name: str, *, record: Path | None = None, down: str | None = None) -> None:
        self.name, self.record, self.down, self.calls = name, record, down, 0

    @framescribe.hookimpl
    def register_backends(self, register: Callable[[BackendSpec], None]) -> None:
        register(BackendSpec.create(self.name, ["video_text", "image_ocr"], settings=WordsSettings))

    @framescribe.hookimpl
    def video_text(self, backend: str, request: VideoRequest, context: RunContext[WordsSettings]) -> VideoResult:
        self.calls += 1
        if self.down:
            raise BackendUnavailable(self.down)
        if self.record is not None:
            context.record_input(self.record)
        extra = self.record.read_text() if self.record is not None and self.record.exists() else ""
        return VideoResult([Segment(0.0, 2.0, f"{self.name} {context.settings.word}{extra}"),
                            Segment(5.0, 6.0, "late")])

    @framescribe.hookimpl
    def image_ocr(self, backend: str, request: ImageRequest, context: RunContext[WordsSettings]) -> list[OcrResult]:
        self.calls += 1
        return [OcrResult(f"{self.name} page")]


def make_chain(tmp_path: Path, *plugins: OneBackend, config: dict[str, Any] | None = None,
               cache: bool = True) -> Chain:
    host = PluginHost()
    for plugin in plugins:
        host.register(plugin, plugin.name)
    return Chain(host, parse_config(config or {}, None), state=StateStore(tmp_path / "state.sqlite3"),
                 cache=ResultCache(tmp_path / "cache.sqlite3", enabled=cache))


@pytest.fixture
def media(tmp_path: Path) -> Path:
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"frames" * 10)
    return path


def test_each_hook_call_reaches_only_the_plugin_that_registered_the_backend(tmp_path: Path, media: Path) -> None:
    first, second = OneBackend("first"), OneBackend("second")
    chain = make_chain(tmp_path, first, second, cache=False)
    assert chain.video_text(VideoRequest(media), backend="second").segments[0].value == "second hello"
    assert chain.video_text(VideoRequest(media), backend="first").segments[0].value == "first hello"
    assert (first.calls, second.calls) == (1, 1)


def test_the_configured_chain_falls_back_and_stamps_the_result(tmp_path: Path, media: Path) -> None:
    down, up = OneBackend("down", down="no network"), OneBackend("up")
    chain = make_chain(tmp_path, down, up, config={"capabilities": {"video_text": ["down", "up"]}})
    assert chain.backends_for("video_text") == ["down", "up"]
    result = chain.video_text(VideoRequest(media, start=0.0, end=3.0))
    assert result.backend == "up" and result.source == str(media)
    assert [(s.backend, s.reason) for s in result.skipped] == [("down", "no network")]
    assert [s.value for s in result.segments] == ["up hello"]  # clipped to the range asked for


def test_a_chain_with_nothing_left_says_what_each_backend_said(tmp_path: Path, media: Path) -> None:
    chain = make_chain(tmp_path, OneBackend("down", down="no key"), config={"capabilities": {"video_text": ["down"]}})
    with pytest.raises(NoBackendAnswered, match=r"down: no key"):
        chain.video_text(VideoRequest(media))


def test_answers_come_from_the_cache_until_a_recorded_input_changes(tmp_path: Path, media: Path) -> None:
    extra = tmp_path / "extra.txt"
    extra.write_text("!")
    plugin = OneBackend("rec", record=extra)
    chain = make_chain(tmp_path, plugin)
    assert chain.video_text(VideoRequest(media), backend="rec").segments[0].value == "rec hello!"
    assert chain.video_text(VideoRequest(media), backend="rec").segments[0].value == "rec hello!"
    assert plugin.calls == 1
    extra.write_text("?!")
    chain.cache.digests = type(chain.cache.digests)()  # as a new run would
    assert chain.video_text(VideoRequest(media), backend="rec").segments[0].value == "rec hello?!"
    assert plugin.calls == 2


def test_the_cache_keys_on_settings_and_parameters(tmp_path: Path, media: Path) -> None:
    plugin = OneBackend("p")
    chain = make_chain(tmp_path, plugin)
    chain.video_text(VideoRequest(media), backend="p")
    chain.video_text(VideoRequest(media, language="de"), backend="p")
    [page] = chain.image_ocr(ImageRequest(media), backend="p")
    assert page.text == "p page" and page.backend == "p"
    assert plugin.calls == 3
    other = make_chain(tmp_path, OneBackend("p"), config={"backends": {"p": {"word": "bye"}}})
    assert other.video_text(VideoRequest(media), backend="p").segments[0].value == "p bye"


def test_context_for_gives_plugin_commands_what_the_chain_gives_hooks(tmp_path: Path) -> None:
    chain = make_chain(tmp_path, OneBackend("p"), config={"backends": {"p": {"word": "typed"}}})
    progress: list[float] = []
    context = chain.context_for("p", lambda done, total=None, message="": progress.append(done))
    assert isinstance(context.settings, WordsSettings) and context.settings.word == "typed"
    assert context.backend == "p" and context.state is chain.state and context.log.name == "framescribe.p"
    context.progress(0.5)
    assert progress == [0.5]


def test_context_for_an_unavailable_backend_says_why(tmp_path: Path) -> None:
    class Keyless(OneBackend):
        @framescribe.hookimpl
        def register_backends(self, register: Callable[[BackendSpec], None]) -> None:
            register(BackendSpec.create(self.name, ["video_text"], check=lambda s: "needs KEY"))

    chain = make_chain(tmp_path, Keyless("k"))
    with pytest.raises(BackendUnavailable, match="k cannot run: needs KEY"):
        chain.context_for("k")


def test_run_picks_the_capability_by_name_and_checks_the_request(tmp_path: Path, media: Path) -> None:
    chain = make_chain(tmp_path, OneBackend("p"), cache=False)
    video = chain.run("video_text", VideoRequest(media), backend="p")
    assert isinstance(video, VideoResult) and video.segments[0].value == "p hello"
    pages = chain.run("image_ocr", ImageRequest(media), backend="p")
    assert isinstance(pages, list) and pages[0].text == "p page"
    with pytest.raises(TypeError, match="image_ocr takes an ImageRequest"):
        chain.run("image_ocr", VideoRequest(media), backend="p")


def test_two_facades_can_share_one_cache(tmp_path: Path, media: Path) -> None:
    shared = ResultCache(tmp_path / "shared.sqlite3")
    plugin = OneBackend("p")
    host = PluginHost()
    host.register(plugin, "p")
    first, second = (framescribe.Framescribe({}, host=host, cache=shared) for _ in range(2))
    assert first.chain.cache is second.chain.cache is shared
    first.video_text(media, backend="p")
    assert second.video_text(media, backend="p").segments[0].value == "p hello"
    assert plugin.calls == 1


def test_an_answer_that_used_the_image_ocr_chain_is_not_cached_but_its_pictures_are(tmp_path: Path, media: Path) -> None:
    class Pictures(OneBackend):
        """Makes a picture from the media and reads it through the image_ocr chain, as bitmap subtitles are read."""

        @framescribe.hookimpl
        def video_text(self, backend: str, request: VideoRequest, context: RunContext[WordsSettings]) -> VideoResult:
            self.calls += 1
            assert context.image_ocr is not None
            picture = tmp_path / "picture.png"
            picture.write_bytes(b"a picture")
            [page] = context.image_ocr(picture, None)
            return VideoResult([Segment(0.0, 1.0, page.text)])

    reader, pictures = OneBackend("reader"), Pictures("pictures")
    chain = make_chain(tmp_path, reader, pictures, config={"capabilities": {"image_ocr": ["reader"]}})
    for _ in range(2):
        assert chain.video_text(VideoRequest(media), backend="pictures").segments[0].value == "reader page"
    assert pictures.calls == 2  # depends on the OCR chain's configuration: asked again
    assert reader.calls == 1  # the picture's own answer came from the cache the second time


class WrongShapes(OneBackend):
    """Returns what a newcomer might: a list of segments for video_text, one OcrResult (no list) for image_ocr."""

    @framescribe.hookimpl
    def video_text(self, backend: str, request: VideoRequest, context: RunContext[WordsSettings]) -> Any:
        return [Segment(0.0, 1.0, "a"), Segment(1.0, 2.0, "b")]

    @framescribe.hookimpl
    def image_ocr(self, backend: str, request: ImageRequest, context: RunContext[WordsSettings]) -> Any:
        return OcrResult("page")


def test_a_wrongly_shaped_answer_is_named_with_what_was_due(tmp_path: Path, media: Path) -> None:
    chain = make_chain(tmp_path, WrongShapes("odd"), cache=False)
    with pytest.raises(framescribe.BackendError, match=r"^backend odd returned a list of 2 Segment for video_text; "
                                                      r"the hook must return a VideoResult"):
        chain.video_text(VideoRequest(media), backend="odd")
    with pytest.raises(framescribe.BackendError, match=r"returned a OcrResult for image_ocr; the hook must return a list of OcrResult"):
        chain.image_ocr(ImageRequest(media), backend="odd")
