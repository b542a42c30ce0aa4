"""Remote services that drip, hang, drop, redirect in circles and answer garbage (issue 14), through the CLI.

``timeout`` is a total: a request (connect, headers, body) and a job (upload,
polling, download) end within it whatever the server does, and then the chain
falls back as for any other unavailability. Every case asserts the exit code,
the message, the fallback where the chain has a next backend, that no input
changed, that no partial file is left and that no key is anywhere.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from framescribe.testing.loopback import Reply, free_port

from .remote import FIRST_CALL, IHQ, OCRS, REMOTES, TL, World

TIMEOUT = 2.0
# The CLI's start-up, the fallback backend and a retry's backoff on top of the deadline; far below "30 s and more".
SLACK = 6.0


def assert_fell_back(world: World, backend: str) -> None:
    result = world.result()
    assert result["backend"] == "fake-echo"
    assert [s["backend"] for s in result["skipped"]] == [backend]


def _faulty_first_call(world: World, backend: str, reply: Reply, times: int = 5) -> None:
    method, path = FIRST_CALL[backend]
    world.services.api.script(method, path, reply, times=times)


def _cut_at_the_timeout_and_fell_back(world: World, backend: str, *says: str) -> None:
    """Run ``backend`` then fake-echo with timeout = TIMEOUT: exit 0 saying ``says``, well within the timeout,
    answered by fake-echo."""
    world.config(backend, ["fake-echo"], timeout=TIMEOUT)
    outcome = world.run(backend)
    world.check(outcome, 0, *says)
    assert world.elapsed < TIMEOUT + SLACK, f"took {world.elapsed:.1f} s with timeout = {TIMEOUT}"
    assert_fell_back(world, backend)


@pytest.mark.parametrize("backend", REMOTES)
def test_slow_drip_is_cut_at_the_timeout_and_the_chain_falls_back(world: World, backend: str) -> None:
    _faulty_first_call(world, backend, Reply.drip(b'{"id": "job_1", "status": "queued"}' * 20, interval=0.5))
    _cut_at_the_timeout_and_fell_back(world, backend, f"{backend} unavailable, trying the next backend")


@pytest.mark.parametrize("backend", REMOTES)
def test_hanging_server_is_cut_at_the_timeout_and_the_chain_falls_back(world: World, backend: str) -> None:
    _faulty_first_call(world, backend, Reply.hang(60))
    _cut_at_the_timeout_and_fell_back(world, backend, "trying the next backend", "timeout")


@pytest.mark.parametrize("backend", [IHQ, TL])
def test_slow_drip_while_polling_is_cut_by_the_job_deadline(world: World, backend: str) -> None:
    path = "/v1/jobs" if backend == IHQ else "/v1.2/tasks"
    world.services.api.script("GET", path, Reply.drip(b'{"status": "running"}' * 40, interval=0.3), times=10)
    _cut_at_the_timeout_and_fell_back(world, backend, "trying the next backend")


def test_imagehq_job_that_never_finishes_stops_at_the_timeout(world: World) -> None:
    world.services.api.route("GET", "/v1/jobs", Reply.json(200, {"id": "job_1", "status": "running", "progress": 50}))
    _cut_at_the_timeout_and_fell_back(world, IHQ, "did not finish within timeout = 2 s")


def test_twelvelabs_task_stuck_indexing_stops_at_the_timeout(world: World) -> None:
    world.services.api.route("GET", "/v1.2/tasks", Reply.json(200, {"_id": "task_1", "status": "indexing"}))
    _cut_at_the_timeout_and_fell_back(world, TL, "did not finish within the 2 s timeout", "last status: indexing")


@pytest.mark.parametrize("backend", REMOTES)
def test_hang_with_a_single_backend_fails_within_the_timeout(world: World, backend: str) -> None:
    _faulty_first_call(world, backend, Reply.hang(60))
    world.config(backend, timeout=TIMEOUT)
    outcome = world.run(backend)
    world.check(outcome, 1, "no backend could do", backend)
    assert world.elapsed < TIMEOUT + SLACK
    assert not world.output.exists()


@pytest.mark.parametrize("backend", REMOTES)
def test_server_errors_are_retried_then_the_chain_falls_back(world: World, backend: str) -> None:
    _faulty_first_call(world, backend, Reply.error(500, "internal error"))
    world.config(backend, ["fake-echo"])
    outcome = world.run(backend)
    world.check(outcome, 0, "HTTP 500", "trying the next backend")
    assert_fell_back(world, backend)


@pytest.mark.parametrize("backend", REMOTES)
def test_one_server_error_is_retried_and_the_service_answers(world: World, backend: str) -> None:
    _faulty_first_call(world, backend, Reply.error(503, "busy"), times=1)
    world.config(backend, ["fake-echo"])
    outcome = world.run(backend)
    world.check(outcome, 0)
    assert world.result()["backend"] == backend


@pytest.mark.parametrize("fault", [Reply.drop, Reply.truncated], ids=["dropped-connection", "truncated-body"])
@pytest.mark.parametrize("backend", REMOTES)
def test_broken_transfers_make_the_chain_fall_back(world: World, backend: str, fault: Callable[[], Reply]) -> None:
    _faulty_first_call(world, backend, fault())
    world.config(backend, ["fake-echo"])
    outcome = world.run(backend)
    world.check(outcome, 0, "trying the next backend")
    assert_fell_back(world, backend)


@pytest.mark.parametrize("backend", REMOTES)
def test_malformed_body_is_a_clear_backend_error(world: World, backend: str) -> None:
    _faulty_first_call(world, backend, Reply.malformed())
    world.config(backend, ["fake-echo"])
    outcome = world.run(backend)
    world.check(outcome, 1, "malformed response (not JSON)")
    assert not world.output.exists()


@pytest.mark.parametrize("backend", REMOTES)
def test_refused_connections_make_the_chain_fall_back(world: World, backend: str) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    world.config(backend, ["fake-echo"], api_url=dead + ("/v1.2" if backend == TL else ""))
    outcome = world.run(backend)
    world.check(outcome, 0, "ConnectError", "trying the next backend")
    assert_fell_back(world, backend)


@pytest.mark.parametrize("backend", REMOTES)
def test_redirect_loop_makes_the_chain_fall_back(world: World, backend: str) -> None:
    method, path = FIRST_CALL[backend]
    world.services.api.route(method, path, Reply.redirect(path, 307))
    world.config(backend, ["fake-echo"])
    outcome = world.run(backend)
    world.check(outcome, 0, "TooManyRedirects", "trying the next backend")
    assert_fell_back(world, backend)


def test_ocrservices_s3_endpoint_down_makes_the_chain_fall_back(world: World) -> None:
    world.config(OCRS, ["fake-echo"], s3_endpoint_url=f"http://127.0.0.1:{free_port()}")
    outcome = world.run(OCRS)
    world.check(outcome, 0, "S3 endpoint unreachable", "trying the next backend")
    assert_fell_back(world, OCRS)
    assert not world.services.api.requests, "no OCR call (and no token spent) without the upload"
