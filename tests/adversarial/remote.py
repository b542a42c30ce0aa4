"""What the adversarial suite's remote cases share: loopback services in the shape of each remote API, a user's world.

Its fixtures (``services``, ``video``, ``world``) are offered to the tests through conftest.py.

Each test module gets its own servers (module scope): ``api`` speaks the three
services' documented happy paths (ImageHQ jobs, Twelve Labs v1.2 tasks and
text-in-video, OCR Services process) and takes scripted misbehaviours;
``elsewhere`` is another origin (another port) that records what reaches it.
S3 for ocrservices is moto in server mode on loopback. A :class:`World` is one
user's directory (home, config, cache, inputs); :meth:`World.run` runs the CLI
in a child process as a shell would, and :meth:`World.check` makes the promises
every case asserts: exit code, message, inputs unchanged, no partial file, no
key in stdout, stderr, output files or the cache/state databases.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from framescribe.media import ffmpeg_exe
from framescribe.testing.hostile import Outcome, Snapshot, assert_no_partial_files, assert_no_secret, run_cli
from framescribe.testing.loopback import LoopbackServer, Recorded, Reply, started

FAKE_PLUGIN = str(Path(__file__).resolve().parents[1] / "plugins" / "fake_backends.py")
PNG = b"\x89PNG\r\n\x1a\n" + b"adversarial test image, not decodable" * 4

IHQ_KEY = "ihq-adv-Zk3Q9-secret-7781"
TL_KEY = "tlk-adv-Rf8WmN-secret-0213"
OCRS_KEY = "ocrs-adv-Pq2Lx-secret-5566"
AWS_KEY_ID = "AKIAADVERSARIAL00017"
AWS_SECRET = "adv-aws-secret-Yt66-0099"
INDEX_ID = "adv0index0000000000000001"
ALL_KEYS = (IHQ_KEY, TL_KEY, OCRS_KEY, AWS_KEY_ID, AWS_SECRET)

# Per backend: the capability, the endpoint the first call goes to, the header carrying the key, the env var.
IHQ, TL, OCRS = "imagehq", "twelvelabs", "ocrservices"
REMOTES = (IHQ, TL, OCRS)
FIRST_CALL = {IHQ: ("POST", "/v1/ocr"), TL: ("POST", "/v1.2/tasks"), OCRS: ("POST", "/api/ocr/process")}
KEY_HEADER = {IHQ: "authorization", TL: "x-api-key", OCRS: "x-api-key"}
KEY_OF = {IHQ: IHQ_KEY, TL: TL_KEY, OCRS: OCRS_KEY}
ENV_OF = {IHQ: "IMAGEHQ_API_KEY", TL: "TWELVE_LABS_API_KEY", OCRS: "OCR_SERVICES_API_KEY"}
ANSWER = {IHQ: "imagehq says hello", TL: "TWELVE SAYS HELLO", OCRS: "ocrservices says hello"}


def _authorized(request: Recorded, backend: str, key: str) -> bool:
    expected = f"Bearer {key}" if backend == IHQ else key
    return request.header(KEY_HEADER[backend]) == expected


def _denied() -> Reply:
    return Reply.json(401, {"error": {"code": "unauthorized", "message": "missing or invalid API key"}})


def install_services(api: LoopbackServer, keys: Mapping[str, str] | None = None) -> None:
    """The three services' happy paths on ``api``; ``keys`` overrides the key each one accepts."""
    keys = {**KEY_OF, **(keys or {})}

    def guard(backend: str, answer: Any) -> Any:
        def handle(request: Recorded) -> Reply:
            return answer(request) if _authorized(request, backend, keys[backend]) else _denied()
        return handle

    far = "2999-01-01T00:00:00Z"
    api.route("POST", "/v1/ocr", guard(IHQ, lambda r: Reply.json(202, {
        "id": "job_1", "status": "queued", "poll_url": "/v1/jobs/job_1", "expires_at": far})))
    api.route("GET", "/v1/jobs", guard(IHQ, lambda r: Reply.json(200, {
        "id": "job_1", "status": "succeeded", "progress": 100, "expires_at": far,
        "result_json": {"text": ANSWER[IHQ], "confidence": 0.9}})))
    api.route("POST", "/v1.2/tasks", guard(TL, lambda r: Reply.json(201, {"_id": "task_1"})))
    api.route("GET", "/v1.2/tasks", guard(TL, lambda r: Reply.json(200, {
        "_id": "task_1", "status": "ready", "video_id": "video_1", "index_id": INDEX_ID})))
    api.route("GET", "/v1.2/indexes", guard(TL, lambda r: Reply.json(200, {
        "_id": "video_1", "data": [{"start": 0, "end": 2, "value": ANSWER[TL]}]})))
    api.route("POST", "/api/ocr/process", guard(OCRS, lambda r: Reply.json(200, {
        "id": "ocr-1", "text": ANSWER[OCRS], "key": r.json().get("key"), "wordCount": 3, "language": "en"})))


@dataclass
class Services:
    api: LoopbackServer
    elsewhere: LoopbackServer
    s3_url: str
    bucket: str

    def reset(self) -> None:
        for server in (self.api, self.elsewhere):
            server.reset()
        install_services(self.api)
        # Another origin: a page that quotes whatever credential reaches it, as a hostile proxy would.
        self.elsewhere.route("*", "/", Reply.echo_header("authorization"))

    def settings(self, backend: str, **overrides: Any) -> dict[str, Any]:
        common = {"api_url": self.api.url, "max_retries": 1}
        if backend == IHQ:
            base = {**common, "poll_interval": 0.05, "timeout": 20}
        elif backend == TL:
            base = {**common, "api_url": self.api.url + "/v1.2", "index_id": INDEX_ID, "poll_interval": 0.05, "timeout": 20}
        else:
            base = {"api_url": self.api.url, "bucket": self.bucket, "user_id": "adv", "s3_endpoint_url": self.s3_url,
                    "region": "us-east-1", "aws_access_key_id": AWS_KEY_ID, "aws_secret_access_key": AWS_SECRET,
                    "timeout": 20}
        return {**base, **overrides}


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    import boto3
    from moto.server import ThreadedMotoServer

    s3 = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    s3.start()
    host, port = s3.get_host_and_port()
    s3_url = f"http://{host}:{port}"
    bucket = "adversarial-bucket"
    boto3.client("s3", endpoint_url=s3_url, region_name="us-east-1", aws_access_key_id=AWS_KEY_ID,
                 aws_secret_access_key=AWS_SECRET).create_bucket(Bucket=bucket)
    api_iter, elsewhere_iter = started(), started()
    try:
        yield Services(next(api_iter), next(elsewhere_iter), s3_url, bucket)
    finally:
        for it in (api_iter, elsewhere_iter):
            it.close()
        s3.stop()


@pytest.fixture(scope="session")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real 11 s 640x360 clip: inside Twelve Labs' limits, so the upload path runs."""
    out = tmp_path_factory.mktemp("adversarial-media") / "clip.mp4"
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc=size=640x360:rate=5:duration=11", "-c:v", "mpeg4", "-q:v", "20", str(out)],
                   check=True, capture_output=True, timeout=120)
    return out


@dataclass
class World:
    """One user's directories and inputs; runs the CLI there and checks the promises."""

    root: Path
    services: Services
    video_source: Path
    env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("home", "cache", "work", "xdg"):
            (self.root / name).mkdir()
        self.image = self.work / "in.png"
        self.image.write_bytes(PNG)
        self.video = self.work / "clip.mp4"
        shutil.copyfile(self.video_source, self.video)
        self.output = self.work / "out.json"
        self.snapshot = Snapshot(self.work)
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("FRAMESCRIBE_CONFIG", *ENV_OF.values()) and not k.startswith("AWS_")}
        self.env.update(HOME=str(self.root / "home"), XDG_CONFIG_HOME=str(self.root / "xdg"),
                        FRAMESCRIBE_CACHE_DIR=str(self.root / "cache"), AWS_EC2_METADATA_DISABLED="true",
                        AWS_CONFIG_FILE=str(self.root / "none"), AWS_SHARED_CREDENTIALS_FILE=str(self.root / "none"))

    @property
    def work(self) -> Path:
        return self.root / "work"

    def config(self, backend: str, chain: Sequence[str] | None = None, **settings: Any) -> Path:
        """``framescribe.toml`` in the work directory: ``backend`` (then ``chain``) with its settings."""
        capability = "video_text" if backend == TL else "image_ocr"
        lines = ["[capabilities]", f"{capability} = {json.dumps([backend, *(chain or [])])}", "",
                 f"[backends.{backend}]"]
        lines += [f"{k} = {json.dumps(v)}" for k, v in self.services.settings(backend, **settings).items()]
        path = self.work / "framescribe.toml"
        path.write_text("\n".join(lines) + "\n")
        self.snapshot = Snapshot(self.work)  # the config is input too: a run must not change it
        return path

    def run(self, backend: str, *extra: str, env: Mapping[str, str] | None = None, keys: bool = True) -> Outcome:
        """The capability of ``backend`` on this world's input, output to out.json, the fake backends loaded."""
        args = ["video-text", str(self.video)] if backend == TL else ["ocr", str(self.image)]
        return self.cli(*args, "-f", "json", "-o", str(self.output), "--plugin", FAKE_PLUGIN, *extra, env=env, keys=keys)

    def cli(self, *args: str, env: Mapping[str, str] | None = None, keys: bool = True) -> Outcome:
        full = dict(self.env)
        if keys:
            full.update({ENV_OF[b]: KEY_OF[b] for b in REMOTES})
        full.update(env or {})
        started_at = time.monotonic()
        outcome = run_cli(list(args), env=full, cwd=self.work, timeout=90)
        self.elapsed = time.monotonic() - started_at
        return outcome

    def check(self, outcome: Outcome, code: int, *messages: str, secrets: Sequence[str] = ALL_KEYS,
              traceback: bool = False) -> None:
        """The exit code, each message in the output, inputs unchanged, nothing partial, no key anywhere."""
        assert outcome.code == code, f"exit {outcome.code}, expected {code}\nstdout: {outcome.stdout}\nstderr: {outcome.stderr}"
        for message in messages:
            assert message in outcome.text, f"{message!r} not in the output:\n{outcome.text}"
        assert traceback or "Traceback" not in outcome.stderr, outcome.stderr
        self.snapshot.assert_unchanged()
        assert_no_partial_files(self.root)
        # Everything a run writes: new files beside the inputs (the output), the cache/state databases, home.
        written = [*self.snapshot.new_files(), self.root / "cache", self.root / "home"]
        for secret in secrets:
            assert_no_secret(secret, outcome, written)

    def result(self) -> dict[str, Any]:
        data = json.loads(self.output.read_text())
        return data[0] if isinstance(data, list) else data


@pytest.fixture
def world(tmp_path: Path, services: Services, video: Path) -> World:
    services.reset()
    return World(tmp_path, services, video)
