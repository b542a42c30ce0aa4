"""The shared HTTP helper against a real server on 127.0.0.1: retries, Retry-After, error mapping."""

from __future__ import annotations

import time

import pytest

from framescribe import BackendError, BackendUnavailable, BadInput
from framescribe.http import HttpClient, parse_retry_after, poll
from framescribe.testing.loopback import LoopbackServer, Reply


def answer(server: LoopbackServer, path: str, *replies: Reply) -> None:
    """GET ``path`` answers with ``replies`` in turn; the last one repeats."""
    server.script("GET", path, *replies[:-1])
    server.route("GET", path, replies[-1])


def hits(server: LoopbackServer, path: str) -> int:
    return len(server.calls("GET", path))


def client(server: LoopbackServer, **kwargs: object) -> tuple[HttpClient, list[float]]:
    sleeps: list[float] = []
    c = HttpClient(server.url, backend="test", headers={"x-api-key": "key-abcdef"}, secrets=["key-abcdef"],
                   max_retries=2, backoff=0.01, timeout=2, sleep=sleeps.append, **kwargs)  # type: ignore[arg-type]
    return c, sleeps


@pytest.fixture
def server(framescribe_http_server: LoopbackServer) -> LoopbackServer:
    framescribe_http_server.route("GET", "/", Reply.json(404, {"code": "not_found", "message": "no such thing"}))
    return framescribe_http_server


OK = Reply.json(200, {"ok": True})


def test_server_errors_are_retried_then_succeed(server: LoopbackServer) -> None:
    answer(server, "/x", Reply.text(500, "oops"), Reply.text(503, "busy"), OK)
    c, sleeps = client(server)
    assert c.json("GET", "/x") == {"ok": True}
    assert hits(server, "/x") == 3 and len(sleeps) == 2
    assert server.requests[0].header("x-api-key") == "key-abcdef"


def test_retry_after_is_honoured(server: LoopbackServer) -> None:
    answer(server, "/x", Reply.json(429, {"message": "slow down"}, {"Retry-After": "7"}), OK)
    c, sleeps = client(server)
    c.json("GET", "/x")
    assert sleeps == [7.0]


def test_past_the_budget_the_backend_is_unavailable(server: LoopbackServer) -> None:
    answer(server, "/x", Reply.json(500, {"message": "db down"}))
    c, _ = client(server)
    with pytest.raises(BackendUnavailable, match=r"failed after 3 attempts \(HTTP 500: db down\)"):
        c.request("GET", "/x")


def test_dropped_connections_are_retried_then_unavailable(server: LoopbackServer) -> None:
    answer(server, "/x", Reply.drop())
    c, _ = client(server)
    with pytest.raises(BackendUnavailable, match="failed after 3 attempts"):
        c.request("GET", "/x")
    assert hits(server, "/x") == 3


def test_client_errors_carry_the_servers_message_and_are_not_retried(server: LoopbackServer) -> None:
    c, sleeps = client(server)
    with pytest.raises(BackendError, match=r"HTTP 404: no such thing \(not_found\)"):
        c.request("GET", "/missing")
    assert sleeps == []
    answer(server, "/bad", Reply.json(400, {"message": "video too short"}))
    with pytest.raises(BadInput, match="video too short"):
        c.request("GET", "/bad", bad_input_on_4xx=True)


def test_auth_errors_hint_at_the_key_without_showing_it(server: LoopbackServer) -> None:
    answer(server, "/x", Reply.json(401, {"message": "invalid key key-abcdef"}))
    c, _ = client(server)
    with pytest.raises(BackendError) as info:
        c.request("GET", "/x")
    assert "key-abcdef" not in str(info.value) and "check the API key" in str(info.value)
    assert "key-abcdef" not in repr(c)


def test_malformed_json_is_an_error_not_a_crash(server: LoopbackServer) -> None:
    answer(server, "/x", Reply(200, b'{"data": [1, 2'))
    c, _ = client(server)
    with pytest.raises(BackendError, match="malformed response"):
        c.json("GET", "/x")


def test_unreachable_server_is_unavailable() -> None:
    c = HttpClient("http://127.0.0.1:9", backend="test", max_retries=1, backoff=0.01, timeout=1, sleep=lambda s: None)
    with pytest.raises(BackendUnavailable, match="ConnectError"):
        c.request("GET", "/x")


def test_poll_backs_off_and_times_out() -> None:
    now = [0.0]
    sleeps: list[float] = []

    def sleep(s: float) -> None:
        sleeps.append(s)
        now[0] += s

    states = iter(["pending", "indexing", "ready"])
    assert poll(lambda: next(states), lambda s: s == "ready", interval=1, timeout=100, what="job",
                sleep=sleep, clock=lambda: now[0]) == "ready"
    assert sleeps == [1, 1.5]
    with pytest.raises(BackendUnavailable, match="job did not finish within 5 s"):
        poll(lambda: "pending", lambda s: False, interval=1, timeout=5, what="job", sleep=sleep, clock=lambda: now[0])


def test_retry_after_forms() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("soon") is None


# -- credentials stay at their origin; timeouts are totals ------------------------------------


def test_credentials_are_dropped_on_a_redirect_to_another_port(framescribe_http_server: LoopbackServer) -> None:
    from framescribe.testing.loopback import started

    for other in started():
        other.route("GET", "/", Reply.json(200, {"ok": True}))
        framescribe_http_server.route("GET", "/go", Reply.redirect(other.url + "/landing", 308))
        c = HttpClient(framescribe_http_server.url, backend="test", headers={"x-api-key": "key-abcdef",
                       "Authorization": "Bearer key-abcdef", "X-Custom": "token key-abcdef"}, secrets=["key-abcdef"])
        assert c.json("GET", "/go") == {"ok": True}
        landed = other.requests[0].headers
        assert not {"x-api-key", "authorization", "x-custom"} & set(landed)


def test_credentials_follow_a_same_origin_redirect(framescribe_http_server: LoopbackServer) -> None:
    framescribe_http_server.route("GET", "/old", Reply.redirect("/new"))
    framescribe_http_server.route("GET", "/new", Reply.json(200, {"ok": True}))
    c = HttpClient(framescribe_http_server.url, backend="test", headers={"x-api-key": "key-abcdef"}, secrets=["key-abcdef"])
    assert c.json("GET", "/old") == {"ok": True}
    assert framescribe_http_server.requests[-1].header("x-api-key") == "key-abcdef"


def test_timeout_is_a_total_for_a_dripping_body(framescribe_http_server: LoopbackServer) -> None:
    framescribe_http_server.route("GET", "/slow", Reply.drip(b"x" * 100, interval=0.1))
    c = HttpClient(framescribe_http_server.url, backend="test", timeout=0.8, max_retries=0)
    started_at = time.monotonic()
    with pytest.raises(BackendUnavailable, match=r"within the 0\.8 s timeout"):
        c.request("GET", "/slow")
    assert time.monotonic() - started_at < 1.5


def test_a_job_deadline_bounds_retries(framescribe_http_server: LoopbackServer) -> None:
    framescribe_http_server.route("GET", "/hang", Reply.hang(30))
    c = HttpClient(framescribe_http_server.url, backend="test", timeout=5, max_retries=5, backoff=0.01)
    started_at = time.monotonic()
    with c.until(time.monotonic() + 0.7), pytest.raises(BackendUnavailable):
        c.request("GET", "/hang")
    assert time.monotonic() - started_at < 1.5


def test_timeout_is_a_total_for_dripping_headers(framescribe_http_server: LoopbackServer) -> None:
    framescribe_http_server.route("GET", "/slow", Reply.drip_headers(interval=0.05))
    c = HttpClient(framescribe_http_server.url, backend="test", timeout=0.8, max_retries=0)
    started_at = time.monotonic()
    with pytest.raises(BackendUnavailable, match="ReadTimeout"):
        c.request("GET", "/slow")
    assert time.monotonic() - started_at < 1.5
