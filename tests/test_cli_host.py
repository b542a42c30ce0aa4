"""One command line builds one plugin host, and plugin commands get their Framescribe from it."""

from __future__ import annotations

from typing import Any

import click
import pytest

import framescribe
import framescribe.plugins
from framescribe import BackendSpec
from framescribe.cli import common_options, framescribe_for, main
from framescribe.plugins import PluginHost


class WithCommand:
    @framescribe.hookimpl
    def register_backends(self, register: Any) -> None:
        register(BackendSpec.create("cmd-backend", ["image_ocr"]))

    @framescribe.hookimpl
    def register_commands(self, cli: click.Group) -> None:
        @cli.command("host-probe")
        @common_options
        def host_probe(**opts: Any) -> None:
            fs = framescribe_for(opts)
            context = fs.context_for("cmd-backend")
            click.echo(f"{id(fs.host)} {context.backend} cache={fs.cache.enabled}")


def test_a_plugin_command_reuses_the_host_that_found_it(monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    built: list[PluginHost] = []

    def counting_host(extra_plugins: Any = ()) -> PluginHost:
        host = PluginHost()
        host.register(WithCommand(), "with-command")
        built.append(host)
        return host

    monkeypatch.setattr(framescribe.plugins, "default_host", counting_host)
    assert main(["host-probe", "--no-cache"]) == 0
    out = capsys.readouterr().out.split()
    assert len(built) == 1, f"{len(built)} plugin hosts built for one command line"
    assert out == [str(id(built[0])), "cmd-backend", "cache=False"]
