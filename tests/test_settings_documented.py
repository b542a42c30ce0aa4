"""Every setting of every built-in backend is documented where docs/configuration.md sends readers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from framescribe import Framescribe

ROOT = Path(__file__).resolve().parents[1]
BUILT_IN = sorted(p.name for p in (ROOT / "plugins").iterdir() if (p / "pyproject.toml").is_file())


def _settings_fields(backend: str) -> list[str]:
    fs = Framescribe({})
    registered = fs.host.backends.get(backend)
    assert registered is not None, f"built-in backend {backend!r} is not installed: pip install -r requirements.txt"
    return list(registered.spec.settings.model_fields)


@pytest.mark.parametrize("backend", BUILT_IN)
def test_every_setting_is_in_the_plugin_readme(backend: str) -> None:
    readme = (ROOT / "plugins" / backend / "README.md").read_text(encoding="utf-8")
    missing = [f for f in _settings_fields(backend) if not re.search(rf"`{re.escape(f)}`", readme)]
    assert not missing, f"plugins/{backend}/README.md does not document settings {missing}"


@pytest.mark.parametrize("backend", BUILT_IN)
def test_configuration_reference_links_every_built_in_backend(backend: str) -> None:
    reference = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert f"../plugins/{backend}/README.md" in reference
