"""The options every working command shares, for framescribe's own commands and plugin commands alike.

A module of its own so that command modules (``framescribe.library.commands``,
a plugin's) can take them without importing ``framescribe.cli``, which adds
those commands to the group. ``framescribe.cli`` re-exports the public names.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

import click

F = TypeVar("F", bound=Callable[..., Any])

# Where the group stores the common options given before the command (`framescribe -v backends`).
BEFORE_COMMAND = "framescribe.options_before_command"


def _common_option_decorators() -> list[Callable[[F], F]]:
    return [
        click.option("--config", "config_path", type=click.Path(dir_okay=False),
                     help="Config file (default: $FRAMESCRIBE_CONFIG, ./framescribe.toml, user config dir)."),
        click.option("--plugin", "plugins", multiple=True, metavar="MODULE_OR_FILE.py",
                     help="Load an extra plugin for this run (repeatable)."),
        click.option("-v", "--verbose", count=True, help="More logging on stderr (-vv for debug)."),
        click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr; no progress bar."),
        click.option("--no-cache", is_flag=True, help="Do not read or write the result cache."),
    ]


def with_common_options(f: F) -> F:
    """The common options on ``f`` as they are: for the group itself, which stores them for its command."""
    for decorator in reversed(_common_option_decorators()):
        f = decorator(f)
    return f


def merge_common_options(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """The common options given before the command combined with those after it.

    Counts add up (``-v backends -v`` is ``-vv``), flags hold if given on either side, plugins from both
    load (once each), and ``--config`` may be given on one side only (or twice the same).
    """
    merged = dict(after)
    if not before:
        return merged
    first, second = before.get("config_path"), after.get("config_path")
    if first and second and first != second:
        raise click.UsageError(f"--config given twice, before and after the command ({first}, {second}); give one")
    merged["config_path"] = second or first
    merged["plugins"] = tuple(dict.fromkeys([*before.get("plugins", ()), *after.get("plugins", ())]))
    merged["verbose"] = int(before.get("verbose") or 0) + int(after.get("verbose") or 0)
    merged["quiet"] = bool(before.get("quiet") or after.get("quiet"))
    merged["no_cache"] = bool(before.get("no_cache") or after.get("no_cache"))
    return merged


def common_options(f: F) -> F:
    """Options every working command takes: config, plugins, verbosity, cache.

    They may also be given before the command (``framescribe -v backends``); the command's function sees
    both combined (:func:`merge_common_options`), so plugin commands decorated with this get it too.
    """

    @functools.wraps(f)
    def with_options_before_command(*args: Any, **opts: Any) -> Any:
        ctx = click.get_current_context()
        return f(*args, **merge_common_options(ctx.meta.get(BEFORE_COMMAND) or {}, opts))

    return with_common_options(cast(F, with_options_before_command))


def output_option() -> Callable[[F], F]:
    """``-o/--output FILE``, for every command that writes a result; check it with outputs.check_output."""
    return click.option("--output", "-o", metavar="FILE",
                        help="Write here instead of stdout (- is stdout); checked before any work starts.")
