"""20 clients at once, each with its own uploads, against one server: every job ends with its own result,
no answer crosses to another client or key, and a client held back by its key's limit (429) gets in later."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from server_testkit import KEY_A, KEY_B

from framescribe_server.testing import ServerProcess, wait_for

CLIENTS = 20


def one_client(server: ServerProcess, image: bytes, i: int) -> dict[str, Any]:
    key = (KEY_A, KEY_B)[i % 2]
    with httpx.Client(base_url=server.url, timeout=60) as c:
        name = f"slow-0.2-client-{i}.png"
        refused = 0
        while True:
            r = c.post("/v1/ocr", headers={"authorization": f"Bearer {key}"}, files=[("files[]", (name, image))],
                       data={"request": json.dumps({"operation": "extract_text", "client_reference_id": f"client-{i}"})})
            if r.status_code != 429:
                break
            refused += 1  # over this key's limit: come back when the server says
            time.sleep(float(r.headers["Retry-After"]) / 4)
        assert r.status_code == 202, r.text
        job = wait_for(lambda: c.get(r.json()["poll_url"], headers={"authorization": f"Bearer {key}"}).json(),
                       lambda j: j["status"] in ("succeeded", "failed"), timeout=60, interval=0.05)
        return {"i": i, "name": name, "job": job, "refused": refused}


def test_twenty_concurrent_clients_get_their_own_results(server: ServerProcess, media: dict[str, Path]) -> None:
    image = media["image"].read_bytes()
    with ThreadPoolExecutor(CLIENTS) as pool:
        results = list(pool.map(lambda i: one_client(server, image, i), range(CLIENTS)))
    assert len(results) == CLIENTS
    for r in results:
        job = r["job"]
        assert job["status"] == "succeeded", job
        assert job["client_reference_id"] == f"client-{r['i']}"
        assert job["result_json"]["text"] == f"slow {r['name']}"
    assert len({r["job"]["id"] for r in results}) == CLIENTS
    # Each key sees exactly its own ten jobs among its most recent ones.
    with httpx.Client(base_url=server.url) as c:
        for key, parity in ((KEY_A, 0), (KEY_B, 1)):
            for r in results:
                status = c.get(f"/v1/jobs/{r['job']['id']}", headers={"authorization": f"Bearer {key}"}).status_code
                assert status == (200 if r["i"] % 2 == parity else 404)
    assert server.proc is not None and server.proc.poll() is None
