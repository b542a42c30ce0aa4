"""`framescribe plugin new`: the generated plugin builds, installs, is discovered, and passes the kit as generated."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from framescribe.cli import main

from .wheels import build_and_install


@pytest.mark.parametrize(
    ("name", "options", "capabilities"),
    [
        ("my-ocr", [], ["video_text", "image_ocr"]),
        ("every-cap", ["-c", "transcribe", "-c", "image_ocr", "-c", "video_text"], ["transcribe", "video_text", "image_ocr"]),
    ],
)
def test_generated_plugin_is_discovered_and_passes_the_kit(tmp_path: Path, name: str, options: list[str],
                                                           capabilities: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "plugin"
    assert main(["plugin", "new", name, "--dir", str(root), *options]) == 0
    assert "created" in capsys.readouterr().out
    pkg = "framescribe_" + name.replace("-", "_")
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    assert pyproject["project"]["name"] == f"framescribe-{name}"
    assert pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == [f"src/{pkg}"]
    assert pyproject["project"]["entry-points"]["framescribe"] == {name: f"{pkg}.plugin"}
    site = tmp_path / "site"
    wheel = build_and_install(root, site)
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        entry_points = zf.read(next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
        sources = [zf.read(n).decode() for n in names if n.endswith(".py")]
    assert f"[framescribe]\n{name} = {pkg}.plugin" in entry_points
    assert {f"{pkg}/plugin.py", f"{pkg}/engine.py", f"{pkg}/settings.py"} <= set(names)
    assert not any("__" + "NAME__" in src or "__" + "HOOKS__" in src for src in sources), "a placeholder was left"

    # Only the installed copy is importable: not the source tree.
    env = dict(os.environ, PYTHONPATH=str(site), FRAMESCRIBE_PLUGINS=name)
    listed = subprocess.run([sys.executable, "-m", "framescribe.cli", "backends", "--json"], capture_output=True,
                            text=True, env=env, cwd=tmp_path, timeout=120, check=False)
    assert listed.returncode == 0, listed.stderr
    assert f'"name": "{name}"' in listed.stdout and '"available": true' in listed.stdout

    assert f"{site}" in subprocess.run([sys.executable, "-c", f"import {pkg}; print({pkg}.__file__)"], env=env, cwd=root,
                                       capture_output=True, text=True, timeout=60, check=True).stdout
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", "tests"],
                           capture_output=True, text=True, env=env, cwd=root, timeout=300, check=False)
    summary = tests.stdout.strip().splitlines()[-1]
    assert tests.returncode == 0, tests.stdout[-3000:]
    assert "failed" not in summary and "skipped" not in summary
    passed = [line for line in tests.stdout.splitlines() if line.startswith("PASSED")]
    for capability in capabilities:  # every declared capability was really exercised
        assert any(f"test_result_types[{capability}]" in line for line in passed), capability
        assert any(f"test_bad_input[{capability}-not_media]" in line for line in passed), capability


def test_refuses_a_bad_name_and_a_non_empty_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plugin", "new", "Bad Name!", "--dir", str(tmp_path / "x")]) == 2
    assert "invalid backend name" in capsys.readouterr().err
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "keep.txt").write_text("mine")
    assert main(["plugin", "new", "ok-name", "--dir", str(tmp_path / "taken")]) == 2
    assert "already exists and is not empty" in capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "taken").iterdir()) == ["keep.txt"]


def test_default_directory_is_named_after_the_distribution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["plugin", "new", "scene-text"]) == 0
    assert (tmp_path / "framescribe-scene-text" / "src" / "framescribe_scene_text" / "plugin.py").is_file()


@pytest.mark.parametrize(("caps", "functions"), [
    (["image_ocr"], {"read_image"}),
    (["video_text", "image_ocr"], {"read_image", "_segments", "read_video"}),
    (["transcribe"], {"_segments", "transcribe_video"}),
])
def test_the_engine_holds_only_the_chosen_capabilities(tmp_path: Path, caps: list[str], functions: set[str]) -> None:
    import ast

    args = ["plugin", "new", "demo", "--dir", str(tmp_path / "demo")]
    for cap in caps:
        args += ["-c", cap]
    assert main(args) == 0
    engine = (tmp_path / "demo/src/framescribe_demo/engine.py").read_text()
    tree = ast.parse(engine)  # also: the generated module is valid Python
    assert {node.name for node in tree.body if isinstance(node, ast.FunctionDef)} == functions
    assert ("from framescribe.media import probe" in engine) == ("_segments" in functions)
    readme = (tmp_path / "demo/README.md").read_text()
    settings = (tmp_path / "demo/src/framescribe_demo/settings.py").read_text()
    # The README documents exactly the settings the model has: none, as generated.
    assert "min_confidence" not in readme.split("## Where to start")[0].split("| --- |")[-1]
    assert "Field(" not in settings.split('"""')[-1]
