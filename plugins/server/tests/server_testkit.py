"""What the server's tests share besides fixtures: keys, the fake plugins, and how a test server is made.

A module with its own name (imported through the path conftest.py adds), since --import-mode=importlib
gives test folders no package to import from.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from framescribe_server.testing import ServerProcess

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
FAKE = str(ROOT / "tests" / "plugins" / "fake_backends.py")
SLOW = str(HERE / "slow_backends.py")
KEY_A = "key-a-7f3c9e1d5b2a8c4e"
KEY_B = "key-b-1a2b3c4d5e6f7a8b"
FAKE_CHAINS = {"video_text": ["fake-echo"], "transcribe": ["fake-echo"], "image_ocr": ["fake-slow"]}
MAX_UPLOAD_MB = 2
MAX_JOBS = 4
AUTH_MAX_FAILURES = 1000


def hermetic_env(root: Path) -> dict[str, str]:
    """The server process's own cache and config dirs: nothing from the developer's machine."""
    return {"FRAMESCRIBE_CACHE_DIR": str(root / "cache"), "XDG_CONFIG_HOME": str(root / "xdg"),
            "XDG_DATA_HOME": str(root / "xdg-data"), "FRAMESCRIBE_CONFIG": ""}


def make_server(root: Path, *, serve: dict[str, Any] | None = None, keys: tuple[str, ...] = (KEY_A, KEY_B),
                chains: dict[str, list[str]] | None = None, **kw: Any) -> ServerProcess:
    # auth_max_failures: these servers' tests send many wrong keys on purpose (401 in every shape); the lock-out
    # they would trigger has its own server in test_server_throttle.py.
    config = {"capabilities": chains or FAKE_CHAINS,
              "serve": {"max_upload_mb": MAX_UPLOAD_MB, "max_jobs_per_key": MAX_JOBS, "workers": 2,
                        "auth_max_failures": AUTH_MAX_FAILURES, **(serve or {})}}
    # --no-cache: the fakes answer by file name, and the result cache (rightly) answers by content.
    return ServerProcess(root, config=config, keys=list(keys), plugins=[FAKE, SLOW], env=hermetic_env(root), args=["--no-cache"],
                         **kw)



def client(server: ServerProcess, key: str | None = KEY_A, header: str = "x-api-key") -> httpx.Client:
    headers = {} if key is None else {header: key if header == "x-api-key" or header == "X-API-Key" else f"Bearer {key}"}
    return httpx.Client(base_url=server.url, headers=headers, timeout=30)
