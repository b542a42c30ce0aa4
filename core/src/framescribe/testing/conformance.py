"""The conformance kit: test classes a plugin author subclasses to check a backend against framescribe's contract.

    from framescribe.testing import BackendConformance

    class TestMyBackend(BackendConformance):
        backend = "mybackend"
        expected_text = {"image_ocr": "FRAMESCRIBE"}

:class:`BackendContract` holds the checks that need no media (registration,
cheap import, availability, settings, secrets); :class:`BackendConformance`
adds the checks that run the backend on sample media (result types, JSON/SRT/VTT
round trips, time ranges, bad input, loopback only). Tests for a capability the
backend does not declare are deselected, not skipped.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import math
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic import SecretStr

from ..api import Framescribe
from ..backend import BackendSpec, RunContext
from ..chain import describe
from ..errors import BackendUnavailable, BadInput, ConfigError
from ..formats import format_video, read_timed_text
from ..hookspecs import hookimpl
from ..plugins import ENTRY_POINT_GROUP, PluginHost, Registered
from ..settings import BackendSettings
from ..state import StateStore
from ..types import CAPABILITIES, Block, Capability, ImageRequest, OcrResult, Segment, VideoRequest, VideoResult
from .media import make_text_image, make_text_video
from .network import loopback_only

# Libraries a plugin module must not import at module level: they make
# `framescribe --help` slow, and a missing one must only disable its backend.
HEAVY_MODULES: tuple[str, ...] = (
    "numpy", "cv2", "PIL", "av", "torch", "tensorflow", "onnxruntime", "tesserocr", "pytesseract",
    "faster_whisper", "ctranslate2", "transformers", "rapidocr_onnxruntime", "httpx", "requests",
    "boto3", "botocore", "moto",
)
VIDEO_CAPS: tuple[Capability, ...] = ("transcribe", "video_text")
BAD_INPUTS = ("missing", "empty", "directory", "not_media")
NOT_APPLICABLE = "framescribe_not_applicable"
_SECRET_SENTINEL = "fs-conformance-secret-7c1e"


def _applies_to(*capabilities: Capability) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def mark(func: Callable[..., Any]) -> Callable[..., Any]:
        func._framescribe_capabilities = capabilities  # type: ignore[attr-defined]
        return func

    return mark


def _opt_in(attribute: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Run the test only for the capabilities that the class attribute ``attribute`` (a mapping) names."""

    def mark(func: Callable[..., Any]) -> Callable[..., Any]:
        func._framescribe_opt_in = attribute  # type: ignore[attr-defined]
        return func

    return mark


def _module_target(plugin: object) -> str | None:
    """How to import ``plugin`` in a fresh interpreter: a module name, or a .py path for --plugin files."""
    name = getattr(plugin, "__name__", None)
    path = getattr(plugin, "__file__", None)
    if not isinstance(name, str):
        return None
    if name.startswith("framescribe_extra_") and isinstance(path, str):
        return path
    return name


_IMPORT_PROBE = """
import importlib, importlib.util, json, sys
target, heavy = sys.argv[1], sys.argv[2].split(",")
if target.endswith(".py"):
    spec = importlib.util.spec_from_file_location("framescribe_probe_plugin", target)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
else:
    importlib.import_module(target)
print(json.dumps(sorted(m for m in heavy if m in sys.modules)))
"""


_MISSING_PROBE = """
import json, sys
target, heavy, backend, settings = sys.argv[1], sys.argv[2].split(","), sys.argv[3], json.loads(sys.argv[4])
for name in heavy:
    sys.modules[name] = None  # as if not installed: importing it raises ImportError, find_spec() returns None
from framescribe.plugins import PluginHost
host = PluginHost()
host.load_plugin_path(target)
failed = {name: info.error for name, info in host.plugins.items() if info.error}
if failed:
    sys.exit(f"the plugin did not load: {failed}")
spec = host.get(backend).spec
try:
    reason = None if spec.check is None else spec.check(spec.settings.model_validate(settings))
except ModuleNotFoundError as exc:
    print(json.dumps({"raised": exc.name, "error": str(exc)}))
else:
    print(json.dumps({"reason": reason}))
"""


def _hard_requirements(plugin: object) -> set[str]:
    """Normalised names of the distributions the plugin's own distribution requires outside any extra."""
    module = getattr(plugin, "__name__", None)
    dists = {ep.dist for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
             if ep.dist is not None and ep.value.split(":")[0] == module}
    out: set[str] = set()
    for dist in dists:
        for req in dist.requires or []:
            m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", req)
            if m and "extra ==" not in req:
                out.add(_normalise(m.group(1)))
    return out


def _normalise(dist: str) -> str:
    return re.sub(r"[-_.]+", "-", dist).lower()


class BackendContract:
    """Checks that need no media. Subclass it (class name starting with ``Test``) and set ``backend``.

    Class attributes:
      backend         the backend name, as registered
      plugins         extra plugins to load, like ``--plugin`` (module names or .py files)
      load_installed  also load installed entry-point plugins (default True)
      settings        the ``[backends.NAME]`` table to use; override the ``backend_settings``
                      fixture instead when it depends on other fixtures (a loopback server's URL)
      expect_available  the backend must report itself available with these settings
      heavy_modules   modules the plugin module must not import at import time
    """

    backend: ClassVar[str] = ""
    plugins: ClassVar[Sequence[str]] = ()
    load_installed: ClassVar[bool] = True
    settings: ClassVar[Mapping[str, Any]] = {}
    expect_available: ClassVar[bool] = True
    heavy_modules: ClassVar[Sequence[str]] = HEAVY_MODULES

    # -- plumbing -------------------------------------------------------------

    @classmethod
    def framescribe_host(cls) -> PluginHost:
        """A fresh plugin host with this class's plugins loaded."""
        host = PluginHost()
        if cls.load_installed:
            host.load_entry_points()
        for target in cls.plugins:
            host.load_plugin_path(str(target))
        return host

    @classmethod
    def declared_capabilities(cls) -> frozenset[Capability]:
        try:
            return cls.framescribe_host().get(cls.backend).spec.capabilities
        except Exception:  # reported by test_backend_is_registered, not at collection
            return frozenset()

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "capability" in metafunc.fixturenames:
            wanted = getattr(metafunc.function, "_framescribe_capabilities", CAPABILITIES)
            opt_in = getattr(metafunc.function, "_framescribe_opt_in", None)
            if opt_in is not None:  # only the capabilities the subclass gave inputs for
                wanted = [c for c in wanted if c in getattr(self, opt_in)]
            declared = type(self).declared_capabilities()
            caps = [c for c in wanted if c in declared]
            if caps:
                metafunc.parametrize("capability", caps)
            else:
                metafunc.parametrize("capability", [pytest.param(None, marks=getattr(pytest.mark, NOT_APPLICABLE))], ids=["n/a"])
        if "bad_input" in metafunc.fixturenames:
            metafunc.parametrize("bad_input", BAD_INPUTS)

    @pytest.fixture(autouse=True)
    def _framescribe_loopback_only(self) -> Iterator[list[str]]:
        with loopback_only() as attempts:
            yield attempts

    @pytest.fixture
    def backend_settings(self) -> dict[str, Any]:
        """The ``[backends.NAME]`` table the tests use; override to point at a loopback server."""
        return dict(self.settings)

    @pytest.fixture
    def framescribe(self, backend_settings: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Framescribe]:
        """A Framescribe with this class's plugins, the test settings, a private state store and no cache."""
        config = {"backends": {self.backend: backend_settings}} if backend_settings else {}
        state = StateStore(tmp_path_factory.mktemp("framescribe-state") / "state.sqlite")
        fs = Framescribe(config, host=self.framescribe_host(), state=state, use_cache=False)
        try:
            yield fs
        finally:
            state.close()

    @pytest.fixture
    def registered(self, framescribe: Framescribe) -> Registered:
        return framescribe.host.get(self.backend)

    # -- the contract -----------------------------------------------------------

    def test_backend_is_registered(self) -> None:
        assert self.backend, f"{type(self).__name__}: set the class attribute `backend` to the backend's name"
        host = self.framescribe_host()
        failed = {name: info.error for name, info in host.plugins.items() if info.error}
        assert self.backend in host.backends, (
            f"no plugin registers backend {self.backend!r}; registered: {sorted(host.backends)}; "
            f"plugins that failed to load: {failed or 'none'}"
        )
        spec = host.get(self.backend).spec
        assert isinstance(spec, BackendSpec)
        assert spec.capabilities, "a backend must declare at least one capability"
        assert spec.description.strip(), "give the backend a one-line description (shown by `framescribe backends`)"
        assert issubclass(spec.settings, BackendSettings), "settings must subclass framescribe.BackendSettings"

    def test_plugin_import_is_cheap(self, registered: Registered) -> None:
        target = _module_target(registered.plugin)
        assert target is not None, f"plugin {registered.plugin_name} is not a module; register a module as the plugin"
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        proc = subprocess.run(
            [sys.executable, "-c", _IMPORT_PROBE, target, ",".join(self.heavy_modules)],
            capture_output=True, text=True, env=env, timeout=120, check=False,
        )
        assert proc.returncode == 0, f"importing {target} failed:\n{proc.stderr[-2000:]}"
        heavy = json.loads(proc.stdout.strip().splitlines()[-1])
        assert heavy == [], (
            f"importing {target} imports {', '.join(heavy)} at module level; import heavy libraries inside the "
            "functions that use them so a missing one only disables this backend"
        )

    def test_missing_libraries_only_disable_the_backend(self, registered: Registered,
                                                        backend_settings: dict[str, Any]) -> None:
        """With every heavy library missing, the plugin still loads and check() reports rather than raises.

        Only a library the plugin's distribution requires outright may make check() raise
        ModuleNotFoundError: that one is missing only from a broken install.
        """
        target = _module_target(registered.plugin)
        assert target is not None, f"plugin {registered.plugin_name} is not a module; register a module as the plugin"
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        proc = subprocess.run(
            [sys.executable, "-c", _MISSING_PROBE, target, ",".join(self.heavy_modules), self.backend,
             json.dumps(backend_settings)],
            capture_output=True, text=True, env=env, timeout=120, check=False,
        )
        assert proc.returncode == 0, (
            f"with {', '.join(self.heavy_modules)} not installed, loading {target} failed; import heavy libraries "
            f"inside functions:\n{proc.stderr[-2000:]}"
        )
        outcome = json.loads(proc.stdout.strip().splitlines()[-1])
        if "raised" in outcome:
            missing = (outcome["raised"] or "").split(".")[0]
            provided = {_normalise(d) for d in importlib.metadata.packages_distributions().get(missing, [])}
            assert provided & _hard_requirements(registered.plugin), (
                f"check() raised {outcome['error']!r}; {missing} is not a dependency the plugin requires, so check() "
                "must return a reason such as 'X not installed: pip install ...' instead"
            )
            return
        reason = outcome["reason"]
        assert reason is None or (isinstance(reason, str) and reason.strip()), f"check() returned {reason!r}"

    def test_check_does_not_raise(self, framescribe: Framescribe, registered: Registered) -> None:
        settings = framescribe.settings_for(self.backend)
        check = registered.spec.check
        reason = None if check is None else check(settings)  # must not raise
        assert reason is None or (isinstance(reason, str) and reason.strip()), (
            f"check() must return None or a non-empty reason string, got {reason!r}"
        )

    def test_available_here(self, framescribe: Framescribe, registered: Registered) -> None:
        reason = registered.spec.unavailable_reason(framescribe.settings_for(self.backend))
        if self.expect_available:
            assert reason is None, f"backend {self.backend} reports itself unavailable: {reason}"
        else:
            assert reason, "expect_available is False, but the backend says it is available"

    def test_unknown_setting_is_a_config_error(self, backend_settings: dict[str, Any], registered: Registered) -> None:
        bad = {**backend_settings, "no_such_setting_zz": 1}
        with pytest.raises(ConfigError) as info:
            Framescribe({"backends": {self.backend: bad}}, host=self.framescribe_host(), use_cache=False)
        message = str(info.value)
        assert "no_such_setting_zz" in message
        assert "allowed keys" in message
        for field in registered.spec.settings.model_fields:
            assert field in message, f"the error should list the allowed key {field!r}: {message}"

    def test_secrets_stay_hidden(self, backend_settings: dict[str, Any], registered: Registered,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
        settings_cls = registered.spec.settings
        assert settings_cls.model_config.get("extra") == "forbid", "settings must reject unknown keys (extra='forbid')"
        secrets = settings_cls.secret_env_vars()
        for field, env in secrets.items():
            given = {k: v for k, v in backend_settings.items() if k != field}
            monkeypatch.setenv(env, _SECRET_SENTINEL)
            settings = settings_cls.model_validate(given)
            shown = [repr(settings), str(settings), json.dumps(settings.public_dict())]
            reason = registered.spec.unavailable_reason(settings)
            shown.append(reason or "")
            assert not any(_SECRET_SENTINEL in s for s in shown), f"the value of ${env} shows in a repr, public_dict or check()"
            monkeypatch.delenv(env)
            if registered.spec.local:
                continue  # a local backend may take an optional key
            without = settings_cls.model_validate(given)
            missing = registered.spec.unavailable_reason(without)
            assert missing and env in missing, (
                f"with ${env} unset, check() should say the backend needs it (use missing_secret_reason); got {missing!r}"
            )


class BackendConformance(BackendContract):
    """:class:`BackendContract` plus runs on sample media.

    More class attributes:
      expected_text   capability -> text the results must contain (case and spacing ignored),
                      for the sample media; e.g. ``{"image_ocr": "FRAMESCRIBE 42"}``
      time_range      (start, end) seconds used by the time-range test
      sample_suffix   capability -> file suffix of the not-media file (default .mp4 / .png)
      unavailable_inputs  capability -> a function ``make(tmp_dir) -> Path`` building an input this
                      backend cannot serve (it must raise BackendUnavailable, so a chain falls back);
                      opt-in: tests for capabilities not named here are deselected
      duration_slack  seconds a segment may end after the media's probed duration

    Override the ``sample_video`` / ``sample_image`` fixtures to use your own media
    (speech for a transcription backend, say). The default video shows
    ``HELLO WORLD`` for 0-2 s and ``SECOND CARD`` for 2-4 s; the default image
    shows ``FRAMESCRIBE 42``.
    """

    expected_text: ClassVar[Mapping[str, str]] = {}
    time_range: ClassVar[tuple[float, float]] = (2.0, 4.0)
    unavailable_inputs: ClassVar[Mapping[Capability, Callable[[Path], Path]]] = {}
    duration_slack: ClassVar[float] = 0.5

    @pytest.fixture
    def sample_video(self, tmp_path_factory: pytest.TempPathFactory) -> Path:
        return make_text_video(tmp_path_factory.mktemp("media") / "sample.mp4")

    @pytest.fixture
    def sample_image(self, tmp_path_factory: pytest.TempPathFactory) -> Path:
        return make_text_image(tmp_path_factory.mktemp("media") / "sample.png")

    @pytest.fixture
    def progress_calls(self) -> list[tuple[float, float | None, str]]:
        return []

    def run(self, fs: Framescribe, capability: Capability, media: Path, progress: Any = None, **kwargs: Any) -> Any:
        """Run ``capability`` of this backend on ``media`` through the public API."""
        if capability == "image_ocr":
            return fs.image_ocr(media, backend=self.backend, progress=progress, **kwargs)
        call = fs.video_text if capability == "video_text" else fs.transcribe
        return call(media, backend=self.backend, progress=progress, **kwargs)

    def media_for(self, capability: Capability, request: pytest.FixtureRequest) -> Path:
        path: Path = request.getfixturevalue("sample_image" if capability == "image_ocr" else "sample_video")
        return path

    def call_hook(self, fs: Framescribe, capability: Capability, media: Path, *, start: float | None = None,
                  end: float | None = None, layout: bool = False) -> Any:
        """Call this backend's capability hook directly, as the chain does, and return its answer untouched.

        The core clips, stamps and checks what a hook returns before a caller sees it, so checks made
        through the public API cannot see a backend's own mistakes; these checks can.
        """
        registered = fs.host.get(self.backend)
        context = fs.context_for(self.backend)
        request: VideoRequest | ImageRequest
        request = ImageRequest(media, None, layout) if capability == "image_ocr" else VideoRequest(media, start, end, None, None, None)
        return fs.host.caller(capability, registered)(backend=self.backend, request=request, context=context)

    # -- results ----------------------------------------------------------------

    def test_result_types(self, framescribe: Framescribe, capability: Capability, request: pytest.FixtureRequest) -> None:
        calls: list[tuple[float, float | None, str]] = []

        def progress(done: float, total: float | None = None, message: str = "") -> None:
            calls.append((done, total, message))

        media = self.media_for(capability, request)
        result = self.run(framescribe, capability, media, progress=progress)
        text = check_ocr_results(result) if capability == "image_ocr" else check_video_result(result)
        for done, total, message in calls:
            assert isinstance(done, (int, float)) and done >= 0, f"progress done={done!r}"
            assert total is None or (total > 0 and done <= total * 1.0001), f"progress done={done} > total={total}"
            assert isinstance(message, str)
        expected = self.expected_text.get(capability)
        if expected is not None:
            assert _norm(expected) in _norm(text), f"expected {expected!r} in the {capability} result, got {text!r}"

    @_applies_to("image_ocr")
    def test_layout(self, framescribe: Framescribe, capability: Capability, sample_image: Path) -> None:
        results = framescribe.image_ocr(sample_image, backend=self.backend, layout=True)
        check_ocr_results(results)
        for r in results:
            assert r.layout is not None, "image_ocr must fill OcrResult.layout when request.layout is true"
            if r.text.strip():
                words = [w.text for b in r.layout for ln in b.lines for w in ln.words]
                assert words, "layout has no words although the text is not empty"
                assert _norm(" ".join(words)).replace(" ", "") == _norm(r.text).replace(" ", ""), (
                    f"layout words {words!r} do not spell the text {r.text!r}"
                )

    def test_round_trips(self, framescribe: Framescribe, capability: Capability, request: pytest.FixtureRequest,
                         tmp_path: Path) -> None:
        result = self.run(framescribe, capability, self.media_for(capability, request))
        if capability == "image_ocr":
            for r in result:
                data = json.loads(json.dumps(r.to_dict()))
                assert OcrResult.from_dict(data).to_dict() == r.to_dict()
            return
        data = json.loads(json.dumps(result.to_dict()))
        assert VideoResult.from_dict(data).to_dict() == result.to_dict()
        for fmt in ("json", "srt", "vtt"):
            path = tmp_path / f"result.{fmt}"
            path.write_text(format_video(result, fmt), encoding="utf-8")
            back = read_timed_text(path)
            assert len(back.segments) == len(result.segments), f"{fmt}: {len(back.segments)} segments read back"
            for got, sent in zip(back.segments, result.segments, strict=True):
                assert abs(got.start - sent.start) <= 0.0015 and abs(got.end - sent.end) <= 0.0015, f"{fmt}: {got} != {sent}"
                assert got.value.strip() == sent.value.strip(), f"{fmt}: {got.value!r} != {sent.value!r}"

    @_applies_to(*VIDEO_CAPS)
    def test_time_range(self, framescribe: Framescribe, capability: Capability, request: pytest.FixtureRequest) -> None:
        media = self.media_for(capability, request)
        start, end = self.time_range
        full = self.run(framescribe, capability, media)
        part = self.run(framescribe, capability, media, start=start, end=end)
        check_video_result(part)
        for seg in part.segments:
            assert start <= seg.start <= seg.end <= end, f"segment {seg} outside the range {start}-{end}"
        inside = [s for s in full.segments if s.start >= start and s.end <= end and s.end > s.start]
        if inside:
            assert part.segments, f"the full run has {len(inside)} segments inside {start}-{end}, the ranged run none"

    def test_bad_input(self, framescribe: Framescribe, capability: Capability, bad_input: str, tmp_path: Path) -> None:
        path = _make_bad_input(tmp_path, capability, bad_input)
        with pytest.raises(BadInput) as info:
            self.run(framescribe, capability, path)
        assert info.value.message.strip()

    def test_not_media_fails_cleanly_on_the_cli(self, capability: Capability, backend_settings: dict[str, Any],
                                                tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
        from ..cli import main

        path = _make_bad_input(tmp_path, capability, "not_media")
        out = tmp_path / "out.txt"
        args = [{"image_ocr": "ocr", "video_text": "video-text", "transcribe": "transcribe"}[capability], str(path),
                "--backend", self.backend, "--no-cache", "-o", str(out)]
        for target in self.plugins:
            args += ["--plugin", str(target)]
        config = tmp_path / "framescribe.toml"  # explicit, so no user or working-directory config applies
        config.write_text(_toml_table(f"backends.{self.backend}", backend_settings) if backend_settings else "", encoding="utf-8")
        args += ["--config", str(config)]
        if not self.load_installed:
            monkeypatch.setenv("FRAMESCRIBE_PLUGINS", "")
        code = main(args)
        err = capsys.readouterr().err
        assert code == 2, f"expected exit code 2 (bad input), got {code}; stderr: {err}"
        assert "Traceback" not in err
        assert not out.exists(), "a failed run must not leave an output file"

    def test_nothing_leaves_loopback(self, framescribe: Framescribe, capability: Capability,
                                     request: pytest.FixtureRequest, _framescribe_loopback_only: list[str]) -> None:
        # Whatever the backend did with a refused connection, the attempt itself is the failure.
        with contextlib.suppress(Exception):
            self.run(framescribe, capability, self.media_for(capability, request))
        assert _framescribe_loopback_only == [], f"the backend tried to leave loopback: {_framescribe_loopback_only}"

    # -- the backend's own answer (the hook called directly) ----------------------

    @_applies_to(*VIDEO_CAPS)
    def test_raw_answer_is_a_clipped_timed_result(self, framescribe: Framescribe, capability: Capability,
                                                  request: pytest.FixtureRequest) -> None:
        """The hook itself returns a VideoResult of valid segments in seconds, inside the requested range."""
        media = self.media_for(capability, request)
        start, end = self.time_range
        answer = self.call_hook(framescribe, capability, media, start=start, end=end)
        check_video_result(answer, hook=capability)
        for seg in answer.segments:
            inside = start <= seg.start <= end if seg.start == seg.end else seg.end > start and seg.start < end
            assert inside, (
                f"the {capability} hook was asked for {start}-{end} s but returned {seg}: a backend must honour "
                "request.start/request.end itself (the core only trims the edges)"
            )
        whole = self.call_hook(framescribe, capability, media)
        check_video_result(whole, hook=capability)
        duration = _probe_duration(media)
        if duration is not None:
            for seg in whole.segments:
                assert seg.end <= duration + self.duration_slack, (
                    f"the {capability} hook returned {seg}, which ends at {seg.end:g} s, but the media lasts "
                    f"{duration:.2f} s: segment times must be seconds (not milliseconds or frames)"
                )

    @_applies_to("image_ocr")
    def test_raw_answer_is_a_list_of_ocr_results(self, framescribe: Framescribe, capability: Capability,
                                                 sample_image: Path) -> None:
        check_ocr_results(self.call_hook(framescribe, capability, sample_image), hook=capability)

    def test_secrets_stay_out_of_results(self, framescribe: Framescribe, capability: Capability,
                                         registered: Registered, request: pytest.FixtureRequest) -> None:
        """No secret setting's value shows in what the backend returns, on any surface; the message names the surface."""
        settings = framescribe.settings_for(self.backend)
        secrets = [v.get_secret_value() for v in dict(settings).values() if isinstance(v, SecretStr) and v.get_secret_value()]
        if not secrets:
            secrets = [_SECRET_SENTINEL]  # a backend with no key configured must not invent one either
        media = self.media_for(capability, request)
        answer = self.call_hook(framescribe, capability, media)
        public = self.run(framescribe, capability, media)
        items = [*answer, *public] if capability == "image_ocr" else [answer, public]
        surfaces: dict[str, str] = {}
        for i, item in enumerate(items):
            surfaces[f"metadata of result {i}"] = json.dumps(getattr(item, "metadata", {}), default=str)
            surfaces[f"repr of result {i}"] = repr(item)
            surfaces[f"to_dict() of result {i}"] = json.dumps(item.to_dict(), default=str)
        leaks = [surface for surface, text in surfaces.items()
                 if any(secret in text or repr(secret)[1:-1] in text for secret in secrets)]
        assert not leaks, (
            f"a secret setting's value shows in the {', '.join(leaks)}: keep keys out of results and their metadata"
        )

    @_opt_in("unavailable_inputs")
    def test_unavailable_input_falls_back(self, capability: Capability, backend_settings: dict[str, Any],
                                          tmp_path: Path) -> None:
        """Opt-in (``unavailable_inputs``): an input this backend cannot serve makes the chain try the next backend."""
        media = self.unavailable_inputs[capability](tmp_path)
        host = self.framescribe_host()
        host.register(_KitFallback(), name="framescribe-kit-fallback")
        config: dict[str, Any] = {"capabilities": {capability: [self.backend, _KitFallback.name]}}
        if backend_settings:
            config["backends"] = {self.backend: backend_settings}
        fs = Framescribe(config, host=host, use_cache=False)
        with pytest.raises(BackendUnavailable) as info:
            self.call_hook(fs, capability, media)
        assert info.value.message.strip(), "BackendUnavailable needs a message saying why"
        result = self.run_chain(fs, capability, media)
        first = result[0] if isinstance(result, list) else result
        assert first.backend == _KitFallback.name, f"the chain did not fall back: answered by {first.backend}"
        assert [s.backend for s in first.skipped] == [self.backend]

    def run_chain(self, fs: Framescribe, capability: Capability, media: Path) -> Any:
        """Run ``capability`` through the configured chain (no backend forced)."""
        if capability == "image_ocr":
            return fs.image_ocr(media)
        return (fs.video_text if capability == "video_text" else fs.transcribe)(media)


class _KitFallback:
    """The backend the kit puts after yours to see a chain fall back to it."""

    name = "kit-fallback"

    @hookimpl
    def register_backends(self, register: Callable[[BackendSpec], None]) -> None:
        register(BackendSpec.create(self.name, CAPABILITIES, description="the conformance kit's fallback"))

    @hookimpl
    def video_text(self, backend: str, request: VideoRequest, context: RunContext) -> VideoResult:
        return VideoResult([Segment(0.0, 0.1, "fallback")])

    @hookimpl
    def transcribe(self, backend: str, request: VideoRequest, context: RunContext) -> VideoResult:
        return VideoResult([Segment(0.0, 0.1, "fallback")])

    @hookimpl
    def image_ocr(self, backend: str, request: ImageRequest, context: RunContext) -> list[OcrResult]:
        return [OcrResult(text="fallback")]


def _probe_duration(media: Path) -> float | None:
    try:
        from ..media import probe

        return probe(media).duration
    except Exception:  # a backend's own sample media may be something the core cannot probe
        return None


# -- checks usable on their own -------------------------------------------------------


def check_video_result(result: Any, *, hook: str | None = None) -> str:
    """Assert ``result`` is a well-formed VideoResult; return its text. ``hook`` names the hook that answered."""
    who = f"the {hook} hook returned" if hook else "got"
    assert isinstance(result, VideoResult), f"expected a VideoResult, {who} {describe(result)}"
    assert isinstance(result.segments, list), f"VideoResult.segments must be a list, {who} {describe(result.segments)}"
    previous = -math.inf
    for seg in result.segments:
        assert isinstance(seg, Segment), f"segments must be Segment, {who} a segment of type {type(seg).__name__}"
        assert math.isfinite(seg.start) and math.isfinite(seg.end) and seg.start >= 0, f"{who} bad times in {seg}"
        assert seg.start <= seg.end, f"{who} a segment that ends before it starts: {seg}"
        assert isinstance(seg.value, str) and seg.value.strip(), f"{who} a segment with empty text: {seg}"
        assert seg.confidence is None or 0 <= seg.confidence <= 1, f"confidence must be in 0..1: {seg}"
        assert seg.start >= previous, "segments must be sorted by start time"
        previous = seg.start
    assert result.duration is None or result.duration >= 0
    return " ".join(s.value for s in result.segments)


def check_ocr_results(results: Any, *, hook: str | None = None) -> str:
    """Assert ``results`` is a non-empty list of well-formed OcrResults; return their text."""
    who = f"the {hook} hook returned" if hook else "got"
    assert isinstance(results, list) and results, f"image_ocr must return a non-empty list of OcrResult, {who} {describe(results)}"
    for r in results:
        assert isinstance(r, OcrResult), f"image_ocr must return a list of OcrResult, {who} a list holding {describe(r)}"
        assert isinstance(r.text, str)
        assert r.confidence is None or 0 <= r.confidence <= 1, f"confidence must be in 0..1, got {r.confidence}"
        for block in r.layout or []:
            assert isinstance(block, Block)
            for line in block.lines:
                for word in line.words:
                    assert word.text, "empty word in layout"
                    assert word.confidence is None or 0 <= word.confidence <= 1
                    if word.box is not None:
                        assert word.box.x >= 0 and word.box.y >= 0 and word.box.width >= 0 and word.box.height >= 0
    return "\n".join(r.text for r in results)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def _make_bad_input(tmp_path: Path, capability: Capability, kind: str) -> Path:
    suffix = ".png" if capability == "image_ocr" else ".mp4"
    path = tmp_path / f"bad-{kind}{suffix}"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "directory":
        path.mkdir()
    elif kind == "not_media":
        path.write_text("this is plain text, not media\n" * 20)
    return path


def _toml_table(name: str, values: Mapping[str, Any]) -> str:
    lines = [f"[{name}]"]
    for key, value in values.items():
        lines.append(f"{key} = {json.dumps(value)}")
    return "\n".join(lines) + "\n"
