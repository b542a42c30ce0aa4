"""Failed API keys are limited per client address: a real key-protected ``framescribe serve --library`` on loopback
(three failures in a four-second window), plus the counter itself (:mod:`framescribe_server.throttle`) on a
fake clock, where a second client address and a flood of addresses can be made up (loopback gives every test
request the same source address, 127.0.0.1)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from server_testkit import KEY_A
from web_library import build_library, web_server

from framescribe.testing import ManualClock
from framescribe.testing.hostile import assert_no_secret
from framescribe_server.testing import ServerProcess
from framescribe_server.throttle import Throttle

FAILURES = 3
WINDOW = 4.0
BAD_KEYS = [f"wrong-guess-{i:04d}-9c1e7a3b" for i in range(FAILURES)]
LOCKOUT_LINE = "failed API key attempts from 127.0.0.1"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp("throttle")
    library = build_library(root / "library")
    serve = {"auth_max_failures": FAILURES, "auth_window_seconds": WINDOW}
    with web_server(root, library.path, keys=(KEY_A,), serve=serve) as proc:
        yield proc


@pytest.fixture
def http(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


def log_in(http: httpx.Client, key: str) -> httpx.Response:
    return http.post("/login", data={"key": key, "next": "/"}, headers={"Origin": str(http.base_url).rstrip("/")})


def wait_out(answer: httpx.Response) -> None:
    retry = int(answer.headers["retry-after"])
    assert 1 <= retry <= WINDOW
    time.sleep(retry + 0.2)


def test_a_correct_key_is_never_throttled(http: httpx.Client) -> None:
    for _ in range(FAILURES * 3):
        assert http.get("/indexes", headers={"x-api-key": KEY_A}).status_code == 200
        assert log_in(http, KEY_A).status_code == 303


def test_wrong_api_keys_lock_the_address_out_of_every_api_then_the_window_passes(
        http: httpx.Client, server: ServerProcess) -> None:
    lockouts = server.log().count(LOCKOUT_LINE)
    for bad in BAD_KEYS:
        assert http.get("/indexes", headers={"x-api-key": bad}).status_code == 401
    refused = http.get("/indexes", headers={"x-api-key": KEY_A})  # the right key, during the lock-out: not checked
    assert refused.status_code == 429
    assert refused.json()["code"] == "too_many_requests"
    assert "try again in" in refused.json()["message"]
    # Each API answers in its own documented error shape.
    imagehq = http.get("/v1/jobs/nothing", headers={"authorization": f"Bearer {KEY_A}"})
    assert imagehq.status_code == 429 and imagehq.json()["error"]["code"] == "too_many_requests"
    ocr = http.post("/api/ocr/process", json={"key": "a.png"}, headers={"X-API-Key": KEY_A})
    assert ocr.status_code == 429 and "try again in" in ocr.json()["error"] and "retry-after" in ocr.headers
    openai = http.post("/v1/audio/transcriptions", headers={"authorization": f"Bearer {KEY_A}"})
    assert openai.status_code == 429 and openai.json()["error"]["type"] == "rate_limit_error"
    page = log_in(http, KEY_A)  # the lock-out is per address: the login form refuses too
    assert page.status_code == 429 and "set-cookie" not in page.headers
    wait_out(refused)
    assert http.get("/indexes", headers={"x-api-key": KEY_A}).status_code == 200
    log = server.log()
    assert log.count(LOCKOUT_LINE) == lockouts + 1
    assert_no_secret(KEY_A, log)
    for bad in BAD_KEYS:
        assert_no_secret(bad, log)


def test_wrong_keys_on_the_login_form_lock_it_with_a_clear_message(http: httpx.Client, server: ServerProcess) -> None:
    lockouts = server.log().count(LOCKOUT_LINE)
    for bad in BAD_KEYS:
        answer = log_in(http, bad)
        assert answer.status_code == 401 and "not one of this server" in answer.text
    refused = log_in(http, KEY_A)
    assert refused.status_code == 429
    assert "set-cookie" not in refused.headers
    assert f"Too many failed attempts; try again in {refused.headers['retry-after']} s" in refused.text
    api = http.get("/indexes", headers={"x-api-key": KEY_A})
    assert api.status_code == 429 and "retry-after" in api.headers
    wait_out(refused)
    opened = log_in(http, KEY_A)
    assert opened.status_code == 303 and "set-cookie" in opened.headers
    log = server.log()
    assert log.count(LOCKOUT_LINE) == lockouts + 1
    for bad in BAD_KEYS:
        assert_no_secret(bad, log)


def test_a_wrong_key_header_on_the_page_counts_too(http: httpx.Client) -> None:
    for bad in BAD_KEYS:
        assert http.get("/", headers={"x-api-key": bad}).status_code in (303, 401)
    refused = http.get("/", headers={"x-api-key": KEY_A})
    assert refused.status_code == 429 and "Too many failed attempts" in refused.text
    wait_out(refused)
    assert http.get("/", headers={"x-api-key": KEY_A}).status_code == 200


def test_a_missing_key_is_not_counted(http: httpx.Client) -> None:
    for _ in range(FAILURES * 2):
        assert http.get("/indexes").status_code == 401
    assert http.get("/indexes", headers={"x-api-key": KEY_A}).status_code == 200


# -- the counter itself, on a fake clock ------------------------------------------------------------------------


def test_the_lockout_starts_at_the_nth_failure_and_lasts_the_window() -> None:
    clock = ManualClock()
    throttle = Throttle(3, 60.0, clock=clock)
    assert throttle.failed("10.0.0.1") is None
    assert throttle.failed("10.0.0.1") is None
    assert throttle.retry_after("10.0.0.1") is None
    assert throttle.failed("10.0.0.1") == 60
    assert throttle.retry_after("10.0.0.1") == 60
    assert throttle.retry_after("10.0.0.2") is None  # another address is not affected
    clock.now += 59.5
    assert throttle.retry_after("10.0.0.1") == 1
    clock.now += 0.5
    assert throttle.retry_after("10.0.0.1") is None
    assert throttle.failed("10.0.0.1") is None  # the count started again


def test_failures_older_than_the_window_do_not_count() -> None:
    clock = ManualClock()
    throttle = Throttle(3, 10.0, clock=clock)
    for _ in range(10):
        assert throttle.failed("10.0.0.1") is None
        clock.now += 6.0  # two failures inside any ten seconds, never three
    assert throttle.retry_after("10.0.0.1") is None


def test_another_address_keeps_its_own_count() -> None:
    throttle = Throttle(2, 60.0, clock=ManualClock())
    throttle.failed("10.0.0.1")
    throttle.failed("10.0.0.2")
    assert throttle.retry_after("10.0.0.1") is None and throttle.retry_after("10.0.0.2") is None
    assert throttle.failed("10.0.0.1") == 60
    assert throttle.retry_after("10.0.0.2") is None


def test_memory_stays_bounded_under_a_flood_of_addresses() -> None:
    throttle = Throttle(5, 60.0, max_clients=1000, clock=ManualClock())
    for i in range(50_000):
        throttle.failed(f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}")
    assert len(throttle) == 1000
    for _ in range(100):  # one address failing again and again keeps at most max_failures times
        throttle.failed("10.9.9.9")
    assert len(throttle) == 1000
    assert throttle.retry_after("10.9.9.9") is not None
    assert throttle.retry_after("10.0.0.0") is None  # the oldest were dropped, not kept


def test_threads_failing_at_once_start_exactly_one_lockout() -> None:
    throttle = Throttle(10, 60.0)
    started: list[int | None] = []
    lock = threading.Lock()

    def fail() -> None:
        for _ in range(20):
            result = throttle.failed("10.0.0.1")
            with lock:
                started.append(result)

    threads = [threading.Thread(target=fail) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(started) == 160
    assert sum(1 for s in started if s is not None) == 1


def test_nonsense_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        Throttle(0, 60.0)
    with pytest.raises(ValueError):
        Throttle(3, 0.0)


def test_the_settings_have_defaults_and_are_read() -> None:
    from framescribe_server.settings import load_settings

    settings = load_settings({"auth_max_failures": 4, "auth_window_seconds": 7.5}, "x")
    assert (settings.auth_max_failures, settings.auth_window_seconds) == (4, 7.5)
    assert (load_settings({}, "x").auth_max_failures, load_settings({}, "x").auth_window_seconds) == (10, 60.0)
