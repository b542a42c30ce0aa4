"""Keys never leave their origin and never reach output (issue 14), through the CLI against loopback services.

Every case asserts the exit code, the message, that no input changed, that no
partial file is left, and that no key (in any form: raw, escaped, URL-encoded)
is in stdout, stderr, the output file or the cache/state databases.
"""

from __future__ import annotations

import json

import pytest

from framescribe.testing.loopback import Reply

from .remote import ANSWER, ENV_OF, FIRST_CALL, IHQ, IHQ_KEY, KEY_HEADER, KEY_OF, OCRS, REMOTES, TL, World

CREDENTIAL_HEADERS = ("authorization", "x-api-key")


def assert_no_credentials(world: World, backend: str) -> None:
    """Nothing that reached the other origin carries a credential header or the key in any header."""
    seen = world.services.elsewhere.requests
    assert seen, "the redirect was not followed at all"
    for request in seen:
        for name in CREDENTIAL_HEADERS:
            assert request.header(name) is None, f"{name} went to another origin: {request.path}"
        assert not any(KEY_OF[backend] in value for value in request.headers.values())


# -- cross-origin redirects ---------------------------------------------------------------


@pytest.mark.parametrize("status", [307, 308])
@pytest.mark.parametrize("backend", REMOTES)
def test_redirect_to_another_origin_drops_the_key(world: World, backend: str, status: int) -> None:
    method, path = FIRST_CALL[backend]
    world.services.api.script(method, path, Reply.redirect(world.services.elsewhere.url + path, status))
    world.config(backend, ["fake-echo"])
    outcome = world.run(backend)
    world.check(outcome, 1, "another origin", "the key was not sent")
    assert_no_credentials(world, backend)
    assert not world.output.exists()


def test_redirect_of_a_poll_to_another_origin_drops_the_key(world: World) -> None:
    world.services.api.script("GET", "/v1/jobs", Reply.redirect(world.services.elsewhere.url + "/v1/jobs/job_1", 302))
    world.config(IHQ, ["fake-echo"])
    outcome = world.run(IHQ)
    world.check(outcome, 1, "another origin")
    assert_no_credentials(world, IHQ)


def test_redirect_to_another_origin_that_serves_the_answer_works_without_the_key(world: World) -> None:
    """A signed-URL style redirect: the other origin needs no key, and gets none."""
    elsewhere = world.services.elsewhere
    elsewhere.reset()
    elsewhere.route("GET", "/", Reply.json(200, {"data": [{"start": 0, "end": 2, "value": "FROM ELSEWHERE"}]}))
    world.services.api.script("GET", "/v1.2/indexes", Reply.redirect(elsewhere.url + "/signed/text-in-video"))
    world.config(TL, ["fake-echo"])
    outcome = world.run(TL)
    world.check(outcome, 0)
    assert world.result()["data"][0]["value"] == "FROM ELSEWHERE"
    assert_no_credentials(world, TL)


@pytest.mark.parametrize("backend", REMOTES)
def test_same_origin_redirect_keeps_working(world: World, backend: str) -> None:
    method, path = FIRST_CALL[backend]
    api = world.services.api
    api.script(method, path, Reply.redirect(path + "?moved=1", 307))  # once; the route answers the second call
    world.config(backend, ["fake-echo"])
    outcome = world.run(backend)
    world.check(outcome, 0)
    assert ANSWER[backend] in json.dumps(world.result())
    hops = [r for r in api.requests if r.query.get("moved") == "1"]
    assert hops and hops[0].header(KEY_HEADER[backend]) is not None, "the key must follow a same-origin redirect"
    assert not world.services.elsewhere.requests


# -- keys echoed by servers -----------------------------------------------------------------


@pytest.mark.parametrize("style", ["html", "json", "text"])
@pytest.mark.parametrize("backend", REMOTES)
def test_key_echoed_in_an_error_page_is_masked(world: World, backend: str, style: str) -> None:
    method, path = FIRST_CALL[backend]
    world.services.api.script(method, path, Reply.echo_header(KEY_HEADER[backend], 401, style))
    world.config(backend, ["fake-echo"])
    outcome = world.run(backend)
    world.check(outcome, 1, "HTTP 401", "****")
    assert not world.output.exists()


@pytest.mark.parametrize("backend", REMOTES)
def test_key_echoed_at_debug_verbosity_is_masked_in_logs_and_tracebacks(world: World, backend: str) -> None:
    method, path = FIRST_CALL[backend]
    world.services.api.script(method, path, Reply.echo_header(KEY_HEADER[backend], 403, "html"))
    world.config(backend, ["fake-echo"])
    outcome = world.run(backend, "-vv")
    world.check(outcome, 1, "HTTP 403", "check the API key", traceback=True)


@pytest.mark.parametrize("backend", REMOTES)
def test_key_echoed_by_a_failing_server_is_masked_in_the_fallback_reason(world: World, backend: str) -> None:
    """A 503 page quoting the key: retried, then unavailable; the next backend answers, the reason is in the result."""
    method, path = FIRST_CALL[backend]
    world.services.api.script(method, path, Reply.echo_header(KEY_HEADER[backend], 503, "html"), times=4)
    world.config(backend, ["fake-echo"])
    outcome = world.run(backend, "-v")
    world.check(outcome, 0, "trying the next backend")
    result = world.result()
    assert result["backend"] == "fake-echo"
    assert "HTTP 503" in result["skipped"][0]["reason"] and "****" in result["skipped"][0]["reason"]


def test_key_echoed_into_result_metadata_is_masked_in_output_and_cache(world: World) -> None:
    """A job record whose warnings quote the Authorization header: the warning is logged and kept in metadata."""
    def job(request: object) -> Reply:
        value = request.header("authorization")  # type: ignore[attr-defined]
        return Reply.json(200, {"id": "job_1", "status": "succeeded", "result_json": {"text": ANSWER[IHQ]},
                                "warnings": [f"request carried {value}"]})

    world.services.api.route("GET", "/v1/jobs", job)
    world.config(IHQ, ["fake-echo"])
    outcome = world.run(IHQ)
    world.check(outcome, 0, "request carried")
    assert world.result()["metadata"]["warnings"] == ["request carried Bearer ****"]
    assert list((world.root / "cache").iterdir()), "the result should have been cached (and the cache scanned)"


# -- keys in odd forms ------------------------------------------------------------------------

BAD_KEYS = {
    "trailing-cr": "\r",
    "trailing-crlf": "\r\n",
    "leading-space": " ",
    "trailing-space": " ",
    "tab-inside": "\t",
    "escape-inside": "\x1b",
    "non-ascii-e": "\u00e9",
    "typographic-dash": "\u2014",
    "zero-width-space": "\u200b",
}


def _bad(backend: str, kind: str) -> str:
    char = BAD_KEYS[kind]
    key = KEY_OF[backend]
    if kind == "leading-space":
        return char + key
    if kind.startswith("trailing"):
        return key + char
    return key[:6] + char + key[6:]


@pytest.mark.parametrize(("backend", "kind"), [(REMOTES[i % 3], kind) for i, kind in enumerate(BAD_KEYS)])
def test_malformed_key_from_the_environment_is_a_config_error(world: World, backend: str, kind: str) -> None:
    bad = _bad(backend, kind)
    world.config(backend, ["fake-echo"])
    outcome = world.run(backend, env={ENV_OF[backend]: bad})
    world.check(outcome, 2, "api_key", ENV_OF[backend], secrets=[bad, KEY_OF[backend]])
    assert not world.services.api.requests, "nothing may be sent with a malformed key"


@pytest.mark.parametrize("kind", ["trailing-crlf", "non-ascii-e"])
def test_malformed_key_through_a_variable_in_the_config_is_a_config_error(world: World, kind: str) -> None:
    bad = _bad(TL, kind)
    world.config(TL, ["fake-echo"], api_key="${MY_TL_KEY}")
    outcome = world.run(TL, env={"MY_TL_KEY": bad})
    world.check(outcome, 2, "api_key", secrets=[bad])
    assert not world.services.api.requests


def test_key_inside_the_api_url_is_masked_in_config(world: World) -> None:
    world.config(IHQ, api_url=world.services.api.url + "/${ROUTE_KEY}/v1")
    outcome = world.cli("config", env={"ROUTE_KEY": "route-secret-token-4491"})
    world.check(outcome, 0, "${ROUTE_KEY}", secrets=["route-secret-token-4491"])
    assert json.loads(outcome.stdout)["backends"][IHQ]["api_url"].endswith("/${ROUTE_KEY}/v1")


def test_key_inside_the_api_url_is_masked_in_backends_json(world: World) -> None:
    world.config(IHQ, api_url=world.services.api.url + "/${ROUTE_KEY}/v1")
    outcome = world.cli("backends", "--json", env={"ROUTE_KEY": "route-secret-token-4491"})
    world.check(outcome, 0, "${ROUTE_KEY}", secrets=["route-secret-token-4491"])


@pytest.mark.parametrize("verbosity", [[], ["-v"], ["-vv"]])
def test_key_inside_the_api_url_is_masked_in_errors_and_logs(world: World, verbosity: list[str]) -> None:
    """The server's 404 quotes the path, which holds the key; httpx logs the URL at -v."""
    world.config(IHQ, ["fake-echo"], api_url=world.services.api.url + "/${ROUTE_KEY}")
    outcome = world.run(IHQ, *verbosity, env={"ROUTE_KEY": "route-secret-token-4491"})
    world.check(outcome, 1, "HTTP 404", secrets=["route-secret-token-4491", IHQ_KEY], traceback=True)
    assert world.services.api.requests[0].path.startswith("/route-secret-token-4491/")


def test_url_encoded_key_inside_the_api_url_is_masked(world: World) -> None:
    """A key with characters a URL must escape reaches the server percent-encoded; that form is masked too."""
    secret = "tok+en=with/slash?and#hash-8812"
    world.config(IHQ, ["fake-echo"], api_url=world.services.api.url + "/u/${ROUTE_KEY}")
    outcome = world.run(IHQ, "-vv", env={"ROUTE_KEY": secret})
    world.check(outcome, 1, secrets=[secret], traceback=True)


@pytest.mark.parametrize("backend", REMOTES)
def test_key_given_literally_in_the_config_never_shows(world: World, backend: str) -> None:
    world.config(backend, api_key=KEY_OF[backend])
    outcome = world.cli("config", keys=False)
    world.check(outcome, 0, '"api_key": "********"')
    outcome = world.cli("backends", "--json", keys=False)
    world.check(outcome, 0)


def test_a_custom_key_header_is_dropped_on_a_redirect_to_another_origin(world: World) -> None:
    """imagehq sends the key in whatever header ``auth_header`` names: any header carrying a secret is dropped."""
    world.services.api.script("POST", "/v1/ocr", Reply.redirect(world.services.elsewhere.url + "/v1/ocr", 307))
    world.config(IHQ, ["fake-echo"], auth_header="X-Custom-Token")
    outcome = world.run(IHQ)
    world.check(outcome, 1, "another origin")
    assert_no_credentials(world, IHQ)
    assert all(r.header("x-custom-token") is None for r in world.services.elsewhere.requests)


def test_s3_redirect_to_another_origin_carries_no_credentials(world: World) -> None:
    """ocrservices' other HTTP path: boto3's S3 upload. A redirect elsewhere must not take the AWS signature along."""
    api, elsewhere = world.services.api, world.services.elsewhere
    api.route("*", "/adversarial-bucket", Reply.redirect(elsewhere.url + "/adversarial-bucket/x", 307))
    world.config(OCRS, ["fake-echo"], s3_endpoint_url=api.url)
    outcome = world.run(OCRS)
    world.check(outcome, 1, "ocrservices:", "s3://adversarial-bucket/")
    assert all(r.header("authorization") is None for r in elsewhere.requests)
    assert not api.calls("POST", "/api/ocr/process"), "no OCR call without the upload"
