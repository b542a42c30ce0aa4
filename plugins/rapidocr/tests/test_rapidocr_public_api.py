"""The rapidocr plugin is written as an outside author would write it: framescribe's public API only."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import framescribe_rapidocr

SOURCES = sorted(Path(framescribe_rapidocr.__file__).parent.glob("*.py"))
# The modules framescribe documents for plugin authors; each exports its API in __all__.
PUBLIC_MODULES = {"framescribe", "framescribe.video", "framescribe.testing", "framescribe.transparency",
                  "framescribe.text_presence"}


def framescribe_imports(source: str) -> list[tuple[str, str | None]]:
    """(module, name) for every import of framescribe in ``source``; name is None for ``import module``."""
    found: list[tuple[str, str | None]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and node.module.split(".")[0] == "framescribe":
            found.extend((node.module, alias.name) for alias in node.names)
        elif isinstance(node, ast.Import):
            found.extend((alias.name, None) for alias in node.names if alias.name.split(".")[0] == "framescribe")
    return found


def test_only_public_framescribe_names_are_imported() -> None:
    assert len(SOURCES) >= 5
    seen = set()
    for path in SOURCES:
        for module, name in framescribe_imports(path.read_text()):
            assert module in PUBLIC_MODULES, f"{path.name} imports the internal module {module}"
            if name is not None:
                assert name in importlib.import_module(module).__all__, f"{path.name}: {module}.{name} is not public"
            seen.add(module)
    # The pipeline is reused, not copied; so are flattening transparency and telling text from no text.
    assert seen == {"framescribe", "framescribe.video", "framescribe.transparency", "framescribe.text_presence"}


def test_the_check_catches_internal_imports() -> None:
    assert framescribe_imports("from framescribe.video.pipeline import _Pipeline\nimport framescribe.media\n") == [
        ("framescribe.video.pipeline", "_Pipeline"), ("framescribe.media", None)]
    assert framescribe_imports("from .engine import read_lines\nimport numpy\n") == []
