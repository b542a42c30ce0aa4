"""Plugin loading: entry points like a third party's, isolation, allow/block lists, --plugin, check_pending."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from framescribe import ConfigError, Framescribe
from framescribe.plugins import default_host

PLUGINS_DIR = Path(__file__).parent / "plugins"


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A directory on sys.path where tests install fake distributions with entry points."""
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.syspath_prepend(str(PLUGINS_DIR))
    monkeypatch.setenv("PYTHONPATH", f"{tmp_path}:{PLUGINS_DIR}")
    yield tmp_path


def install_dist(site: Path, dist: str, entry_points: dict[str, str]) -> None:
    info = site / f"{dist}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    lines = "\n".join(f"{name} = {target}" for name, target in entry_points.items())
    (info / "entry_points.txt").write_text(f"[framescribe]\n{lines}\n")


def test_entry_point_plugin_is_discovered_and_used(site: Path, monkeypatch: pytest.MonkeyPatch, media: Path) -> None:
    install_dist(site, "fakeplug", {"fake": "fake_backends"})
    monkeypatch.setenv("FRAMESCRIBE_PLUGINS", "fake")
    fs = Framescribe({"capabilities": {"video_text": ["fake-down", "fake-echo"]}})
    names = [b.name for b in fs.backends()]
    assert names == ["fake-bad", "fake-down", "fake-echo", "fake-flaky"]
    assert fs.host.plugins["fake"].source == "entry point of fakeplug"
    assert fs.video_text(media).backend == "fake-echo"


def test_a_broken_plugin_is_reported_not_fatal(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (site / "broken_plugin.py").write_text("raise ImportError('needs libfoo')\n")
    install_dist(site, "brokenplug", {"broken": "broken_plugin"})
    install_dist(site, "fakeplug", {"fake": "fake_backends"})
    monkeypatch.setenv("FRAMESCRIBE_PLUGINS", "broken,fake")
    host = default_host()
    assert host.plugins["broken"].error == "ImportError: needs libfoo"
    assert "fake-echo" in host.backends


def test_blocklist_and_allowlist(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    install_dist(site, "fakeplug", {"fake": "fake_backends"})
    monkeypatch.setenv("FRAMESCRIBE_PLUGINS", "fake")
    monkeypatch.setenv("FRAMESCRIBE_BLOCK_PLUGINS", "fake")
    assert default_host().backends == {}
    monkeypatch.delenv("FRAMESCRIBE_BLOCK_PLUGINS")
    monkeypatch.setenv("FRAMESCRIBE_PLUGINS", "")
    assert default_host().backends == {}


def test_a_misspelt_hook_is_caught(tmp_path: Path, no_installed_plugins: None) -> None:
    plugin = tmp_path / "typo_plugin.py"
    plugin.write_text("import framescribe\n@framescribe.hookimpl\ndef video_txt(backend, request, context):\n    return None\n")
    with pytest.raises(ConfigError, match="unknown hook 'video_txt'"):
        default_host([str(plugin)])


def test_plugin_given_by_module_name(site: Path, no_installed_plugins: None) -> None:
    host = default_host(["fake_backends"])
    assert "fake-echo" in host.backends


def test_missing_plugin_file_is_a_config_error(no_installed_plugins: None) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        default_host(["/nonexistent/plugin.py"])


def test_backend_name_registered_twice_is_an_error(tmp_path: Path, no_installed_plugins: None) -> None:
    other = tmp_path / "dup_plugin.py"
    other.write_text(
        "import framescribe\n@framescribe.hookimpl\ndef register_backends(register):\n"
        "    register(framescribe.BackendSpec.create('fake-echo', ['video_text']))\n"
    )
    host = default_host([str(PLUGINS_DIR / "fake_backends.py"), str(other)])
    with pytest.raises(ConfigError, match="registered by both"):
        host.backends  # noqa: B018


def test_the_named_backends_plugin_answers_whatever_the_registration_order(
    tmp_path: Path, no_installed_plugins: None, media: Path
) -> None:
    # A greedy plugin that answers every call must not steal calls for other plugins' backends.
    greedy = tmp_path / "greedy_plugin.py"
    greedy.write_text(
        "import framescribe\n"
        "@framescribe.hookimpl\ndef register_backends(register):\n"
        "    register(framescribe.BackendSpec.create('greedy', ['video_text']))\n"
        "@framescribe.hookimpl\ndef video_text(backend, request, context):\n"
        "    return framescribe.VideoResult([framescribe.Segment(0, 1, 'greedy')])\n"
    )
    for order in ([str(greedy), str(PLUGINS_DIR / "fake_backends.py")], [str(PLUGINS_DIR / "fake_backends.py"), str(greedy)]):
        fs = Framescribe({}, plugins=order)
        assert fs.video_text(media, backend="fake-echo").segments[1].value == "second"
        assert fs.video_text(media, backend="greedy").segments[0].value == "greedy"


def test_a_plugin_can_add_a_command(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (site / "cmd_plugin.py").write_text(
        "import click, framescribe\n"
        "@framescribe.hookimpl\n"
        "def register_commands(cli):\n"
        "    @cli.command()\n"
        "    @click.argument('name')\n"
        "    def hello(name):\n"
        "        'Say hello.'\n"
        "        click.echo(f'hello {name}')\n"
    )
    install_dist(site, "cmdplug", {"cmd": "cmd_plugin"})
    env = {**os.environ, "FRAMESCRIBE_PLUGINS": "cmd", "PYTHONPATH": f"{site}:{PLUGINS_DIR}"}
    proc = subprocess.run([sys.executable, "-m", "framescribe.cli", "hello", "world"], capture_output=True, text=True, env=env, timeout=60)
    assert (proc.returncode, proc.stdout) == (0, "hello world\n"), proc.stderr
    listed = subprocess.run([sys.executable, "-m", "framescribe.cli", "--help"], capture_output=True, text=True, env=env, timeout=60)
    assert "hello" in listed.stdout and "Say hello." in listed.stdout
