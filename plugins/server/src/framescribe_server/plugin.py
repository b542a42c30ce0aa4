"""Adds ``framescribe serve`` through the ``register_commands`` hook; registers no backend."""

from __future__ import annotations

from typing import TYPE_CHECKING

import framescribe

if TYPE_CHECKING:
    import click


@framescribe.hookimpl
def register_commands(cli: click.Group) -> None:
    from .command import serve_command

    cli.add_command(serve_command)
