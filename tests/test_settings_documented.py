"""Every setting of every built-in backend is documented where docs/configuration.md sends readers."""

from __future__ import annotations

import re
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from framescribe import Framescribe
from framescribe.config import TABLES_GROUP

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_DIRS = sorted(p for p in (ROOT / "plugins").iterdir() if (p / "pyproject.toml").is_file())


def _built_in_backends() -> list[tuple[str, Path]]:
    """(backend, its plugin's folder) for every backend a distribution under plugins/ registers."""
    fs = Framescribe({})
    found = []
    for name, registered in fs.host.backends.items():
        module_file = Path(getattr(registered.plugin, "__file__", "") or "/").resolve()
        folder = next((d for d in PLUGIN_DIRS if module_file.is_relative_to(d)), None)
        if folder is not None:
            found.append((name, folder))
    return found


BUILT_IN = _built_in_backends()


def _settings_fields(backend: str) -> list[str]:
    return list(Framescribe({}).host.get(backend).spec.settings.model_fields)


def test_every_plugin_folder_with_backends_is_installed() -> None:
    # A plugin folder whose backends are missing here would silently escape the checks below.
    assert {folder.name for _, folder in BUILT_IN} >= {"tesseract", "rapidocr", "subtitles", "whisper"}, (
        "built-in plugins are not installed: pip install -r requirements.txt"
    )


@pytest.mark.parametrize(("backend", "folder"), BUILT_IN, ids=[b for b, _ in BUILT_IN])
def test_every_setting_is_in_the_plugin_readme(backend: str, folder: Path) -> None:
    readme = (folder / "README.md").read_text(encoding="utf-8")
    missing = [f for f in _settings_fields(backend) if not re.search(rf"`{re.escape(f)}`", readme)]
    assert not missing, f"plugins/{folder.name}/README.md does not document settings {missing}"


@pytest.mark.parametrize(("backend", "folder"), BUILT_IN, ids=[b for b, _ in BUILT_IN])
def test_configuration_reference_lists_every_setting(backend: str, folder: Path) -> None:
    reference = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert f"../plugins/{folder.name}/README.md" in reference
    row = next((line for line in reference.splitlines() if line.startswith(f"| [`{backend}`]")), None)
    assert row is not None, f"docs/configuration.md has no row for backend {backend}"
    missing = [f for f in _settings_fields(backend) if f"`{f}`" not in row]
    assert not missing, f"docs/configuration.md's row for {backend} does not list settings {missing}"


def _plugin_tables() -> list[tuple[str, Path, list[str]]]:
    """(table, its plugin's folder, its settings) for every config table a distribution under plugins/ claims."""
    found = []
    for ep in entry_points(group=TABLES_GROUP):
        model = ep.load()
        module_file = Path(sys.modules[model.__module__].__file__ or "/").resolve()
        folder = next((d for d in PLUGIN_DIRS if module_file.is_relative_to(d)), None)
        if folder is not None:
            found.append((ep.name, folder, list(model.model_fields)))
    return sorted(found)


TABLES = _plugin_tables()


def test_the_server_table_is_found() -> None:
    assert "serve" in [t for t, _, _ in TABLES], "framescribe-server is not installed: pip install -r requirements.txt"


@pytest.mark.parametrize(("table", "folder", "fields"), TABLES, ids=[t for t, _, _ in TABLES])
def test_every_setting_of_a_plugin_table_is_documented(table: str, folder: Path, fields: list[str]) -> None:
    readme = (folder / "README.md").read_text(encoding="utf-8")
    missing = [f for f in fields if not re.search(rf"`{re.escape(f)}`", readme)]
    assert not missing, f"plugins/{folder.name}/README.md does not document [{table}] settings {missing}"
    reference = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert f"## `[{table}]`" in reference and f"../plugins/{folder.name}/README.md" in reference
    section = reference.split(f"## `[{table}]`", 1)[1].split("\n## ", 1)[0]
    missing = [f for f in fields if f"`{f}`" not in section]
    assert not missing, f"docs/configuration.md's [{table}] section does not list settings {missing}"
