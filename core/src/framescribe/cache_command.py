"""``framescribe cache info|clear``: what the result cache holds, and emptying it.

Registered by :mod:`framescribe.cli`. The state store of remote plugins
(uploads they remember) is not the cache and is left alone.
"""

from __future__ import annotations

import json
from typing import Any

import click

from .cache import ResultCache, human_size
from .config import load_config
from .errors import FramescribeError


def _cache(config_path: str | None) -> ResultCache:
    config = load_config(config_path)
    return ResultCache(max_size=config.cache_max_size_mb * 1024 * 1024)


@click.group("cache")
def cache_group() -> None:
    """The result cache: answers kept so the same question is not asked twice (see docs/concepts.md)."""


@cache_group.command("info")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file (for [cache] max_size_mb).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def info_cmd(config_path: str | None, as_json: bool) -> None:
    """Where the cache is, how many answers it holds, their size and the cap.

    \b
    Examples:
      framescribe cache info
      framescribe cache info --json
    """
    info = _cache(config_path).info()
    if as_json:
        data: dict[str, Any] = {**info.__dict__, "path": str(info.path)}
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(f"path:     {info.path}")
    click.echo(f"entries:  {info.entries}")
    click.echo(f"size:     {human_size(info.size)} of {human_size(info.max_size)} (least recently used go first)")
    if info.problem is not None:
        click.echo(f"problem:  {info.problem}; runs go on without the cache")


@cache_group.command("clear")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file.")
def clear_cmd(config_path: str | None) -> None:
    """Drop every cached answer (a corrupt cache file is replaced). Uploads remote backends remember are kept.

    \b
    Examples:
      framescribe cache clear
    """
    cache = _cache(config_path)
    try:
        dropped = cache.clear()
    except OSError as exc:
        raise FramescribeError(str(exc),
                               hint="check FRAMESCRIBE_CACHE_DIR, or remove the file named above yourself") from None
    finally:
        cache.close()
    click.echo(f"cleared {dropped} cached answer{'s' if dropped != 1 else ''} from {cache.path}")
