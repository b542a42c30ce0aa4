"""The imagehq backend through the CLI: batches in parallel within max_in_flight, exit codes, secrets, loopback only."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from framescribe import Framescribe
from framescribe.cli import main

API_KEY = "ihq-test-key-5f2a9c0d7e1b"


@pytest.fixture
def cli(imagehq: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        fake_plugin: str) -> Callable[..., tuple[int, str, str]]:
    """Run ``framescribe`` in-process with a config pointing at the loopback server; key from the environment."""
    monkeypatch.setenv("FRAMESCRIBE_PLUGINS", "imagehq")
    monkeypatch.setenv("IMAGEHQ_API_KEY", API_KEY)

    def run(*args: str, max_in_flight: int = 4, chain: str = '["imagehq"]', max_retries: int = 3) -> tuple[int, str, str]:
        config = tmp_path / "framescribe.toml"
        config.write_text(f'[capabilities]\nimage_ocr = {chain}\n\n[backends.imagehq]\napi_url = "{imagehq.url}"\n'
                          f"poll_interval = 0.02\ntimeout = 20\nmax_in_flight = {max_in_flight}\nmax_retries = {max_retries}\n")
        code = main([*args, "--config", str(config), "--plugin", fake_plugin, "--no-cache"])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_batch_jobs_are_open_at_the_same_time(imagehq: Any, cli: Callable[..., tuple[int, str, str]],
                                             make_image: Callable[..., Path]) -> None:
    # Parallelism is observed on the server (jobs open at once), not timed: the wall-clock
    # gain is measured by plugins/imagehq/bench/batch_concurrency.py.
    images = [str(make_image(f"p{i}.png", text=f"page {i}", delay=0.8)) for i in range(6)]
    code, out, err = cli("ocr", "-j", "6", *images, max_in_flight=6)
    assert code == 0, err
    assert imagehq.peak_active >= 3
    # results keep the order of the arguments, whatever order the jobs finished in
    assert [line for line in out.splitlines() if line.startswith("page")] == [f"page {i}" for i in range(6)]


def test_max_in_flight_bounds_the_open_jobs(imagehq: Any, cli: Callable[..., tuple[int, str, str]],
                                            make_image: Callable[..., Path]) -> None:
    images = [str(make_image(f"p{i}.png", text=f"page {i}", delay=0.25)) for i in range(6)]
    code, _, err = cli("ocr", "-j", "6", *images, max_in_flight=2)
    assert code == 0, err
    assert len(imagehq.jobs) == 6
    assert imagehq.peak_active == 2  # never more than the bound, and the bound was used


def test_exit_codes_for_failed_jobs_and_bad_images(cli: Callable[..., tuple[int, str, str]], make_image: Callable[..., Path],
                                                   tmp_path: Path) -> None:
    code, out, err = cli("ocr", str(make_image(fail="the page is blank")), "-q")
    assert code == 1 and out == ""
    assert "job job_1 for page.png failed: the page is blank" in err
    assert "Traceback" not in err
    not_png = tmp_path / "n.png"
    not_png.write_text("plain text")
    code, out, err = cli("ocr", str(not_png), "-q", "-o", str(tmp_path / "out.txt"))
    assert code == 2 and "not an image imagehq can read" in err
    assert not (tmp_path / "out.txt").exists()


def test_key_never_in_output_logs_errors_or_reprs(imagehq: Any, cli: Callable[..., tuple[int, str, str]],
                                                  make_image: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    outputs = []
    outputs.append(cli("ocr", "-vv", str(make_image("ok.png", text="fine", warnings=["blurry"], delay=0.1)), "-f", "json"))
    outputs.append(cli("ocr", "-vv", str(make_image("bad.png", fail="engine crashed"))))
    imagehq.fail_next("500", times=20)
    outputs.append(cli("ocr", "-vv", str(make_image("down.png", text="x")), chain='["imagehq", "fake-echo"]', max_retries=1))
    outputs.append(cli("config", "-vv"))
    outputs.append(cli("backends", "-vv"))
    imagehq.http.clear_scripts()
    monkeypatch.setenv("IMAGEHQ_API_KEY", "another-wrong-key-77")
    outputs.append(cli("ocr", "-vv", str(make_image("wrongkey.png", text="x"))))
    text = "\n".join(f"{out}\n{err}" for _, out, err in outputs)
    assert "HTTP Request: GET" in text and "blurry" in text  # -vv really logged the requests and warnings
    assert "HTTP 401" in text
    assert API_KEY not in text and "another-wrong-key-77" not in text
    monkeypatch.setenv("IMAGEHQ_API_KEY", API_KEY)
    fs = Framescribe({"backends": {"imagehq": {"api_url": imagehq.url}}})
    settings = fs.settings_for("imagehq")
    from framescribe_imagehq.jobs import _client

    assert API_KEY not in repr(settings) + str(settings) + repr(settings.public_dict()) + repr(_client(settings))


def test_no_connection_leaves_loopback(imagehq: Any, make_image: Callable[..., Path], settings_for: Callable[..., dict[str, Any]],
                                       make_fs: Callable[..., Framescribe], monkeypatch: pytest.MonkeyPatch) -> None:
    connected: list[Any] = []
    resolved: list[Any] = []
    guarded_connect = socket.socket.connect  # the repository's loopback guard, already in place
    real_getaddrinfo = socket.getaddrinfo

    def record_connect(self: socket.socket, address: Any) -> None:
        connected.append(address)
        return guarded_connect(self, address)

    def record_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        resolved.append(host)
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", record_connect)
    monkeypatch.setattr(socket, "getaddrinfo", record_getaddrinfo)
    image = make_image(text="t", layout=[], omit_text=True, download_host=f"http://localhost:{imagehq.port}")
    [result] = make_fs(settings_for()).image_ocr(image, backend="imagehq", layout=True)
    assert result.text == "t"
    assert connected, "the test recorded no connection at all"
    assert {a[0] for a in connected} <= {"127.0.0.1", "::1"}
    assert {a[1] for a in connected} == {imagehq.port}
    assert set(resolved) <= {"127.0.0.1", "localhost", b"127.0.0.1", b"localhost"}
