"""Build a plugin project into a wheel and install it, for real, as a user's ``pip install`` would.

Shared by the test of the plugin generator and the tests that run the docs' tutorials.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

BUILD_WHEEL = "import sys; from hatchling.build import build_wheel; print(build_wheel(sys.argv[1]))"


def build_and_install(root: Path, site: Path) -> Path:
    """Build a wheel of ``root`` with the build backend its pyproject names, and pip-install it into ``site``.

    A real build and a real install (hatchling from the dev requirements; pip with --no-deps
    --no-index, so nothing is fetched): the pyproject, package layout and entry point must all be
    right for the plugin to be found from ``site`` alone. The wheel is built in ``root``'s sibling
    ``dist``; its path is returned.
    """
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    assert pyproject["build-system"]["build-backend"] == "hatchling.build"
    dist = root.parent / "dist"
    dist.mkdir(exist_ok=True)
    built = subprocess.run([sys.executable, "-c", BUILD_WHEEL, str(dist)], cwd=root, capture_output=True, text=True,
                           timeout=120, check=False)
    assert built.returncode == 0, built.stderr[-3000:]
    wheel = dist / built.stdout.strip().splitlines()[-1]
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--no-build-isolation",
                                "--disable-pip-version-check", "--target", str(site), str(wheel)],
                               capture_output=True, text=True, timeout=120, check=False)
    assert installed.returncode == 0, installed.stdout[-2000:] + installed.stderr[-2000:]
    return wheel
