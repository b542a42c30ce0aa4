"""The ``framescribe`` command line: a thin layer over :class:`framescribe.Framescribe`.

Results go to stdout or ``-o FILE`` (written atomically); logs and progress go
to stderr. Exit codes: 0 ok, 1 failure (no backend could answer, a backend
failed), 2 usage error or bad input (including bad configuration).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from . import __version__
from .cache_command import cache_group
from .cli_options import BEFORE_COMMAND, F, common_options, output_option, with_common_options
from .errors import EXIT_FAILURE, EXIT_USAGE, FramescribeError, is_user_os_error, user_error
from .library.commands import register as register_library_commands
from .outputs import Output, check_output

# common_options and output_option (from cli_options) are also the plugin commands' API here: docs/plugins/hooks.md.

if TYPE_CHECKING:
    from .api import Framescribe

_HOST = "framescribe.host"
log = logging.getLogger("framescribe")

EPILOG = """\b
Backends are chosen per capability in the config file (see `framescribe config`)
and tried in order; --backend NAME uses just one. Exit codes: 0 ok, 1 failure,
2 usage error or bad input. Docs: docs/ in the repository."""


class PluginGroup(click.Group):
    """Loads plugin commands (hook ``register_commands``) only when commands are listed or looked up."""

    # The plugin set can change between invocations in one process (the Python
    # API, tests): commands are reloaded when it does, so none goes stale.
    _loaded_for: tuple[str, ...] | None = None
    _plugin_commands: frozenset[str] = frozenset()

    def _load_plugin_commands(self, ctx: click.Context) -> None:
        from .plugins import default_host

        try:  # plugins named before the command may add commands (`framescribe --plugin mine.py my-command`)
            host = default_host(tuple(ctx.params.get("plugins") or ()))
        except FramescribeError as exc:
            log.warning("plugin commands not loaded: %s", exc)
            return
        ctx.find_root().meta[_HOST] = host  # the one host of this run: commands reuse it (framescribe_for)
        key = tuple(sorted(host.plugins))
        if key == self._loaded_for:
            return
        for name in self._plugin_commands:
            self.commands.pop(name, None)
        before = set(self.commands)
        self._loaded_for = key
        try:
            host.pm.hook.register_commands(cli=self)
        except FramescribeError as exc:
            log.warning("plugin commands not loaded: %s", exc)
        self._plugin_commands = frozenset(set(self.commands) - before)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugin_commands(ctx)
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None:
            self._load_plugin_commands(ctx)
            command = super().get_command(ctx, cmd_name)
        return command


@click.group(cls=PluginGroup, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="framescribe")
@with_common_options
@click.pass_context
def cli(ctx: click.Context, **opts: Any) -> None:
    """Pull text out of media: speech (transcribe), on-screen text in video
    (video-text) and text in images (ocr), with pluggable local and remote backends.

    The options below work before the command as well as after it.

    \b
    Examples:
      framescribe video-text clip.mp4 --format srt -o clip.srt
      framescribe transcribe talk.mp4 --transcript talk.en.vtt
      framescribe ocr scan.png --layout --format json
      framescribe -v backends
    """
    ctx.meta[BEFORE_COMMAND] = opts


def video_options(f: F) -> F:
    decorators = [
        click.option("--backend", "-b", metavar="NAME", help="Use this backend only (overrides the configured chain)."),
        click.option("--start", type=float, metavar="SECONDS", help="Only from this time on."),
        click.option("--end", type=float, metavar="SECONDS", help="Only up to this time."),
        click.option("--language", "-l", metavar="LANG", help="Language of the text or speech, e.g. en."),
        click.option("--format", "-f", "fmt", type=click.Choice(["json", "srt", "vtt", "txt"]), default="json",
                     show_default=True, help="Output format."),
        output_option(),
        click.option("--video-id", metavar="ID", help="A video a remote backend has already indexed (no upload)."),
    ]
    for decorator in reversed(decorators):
        f = decorator(f)
    return f


def _setup(verbose: int, quiet: bool) -> None:
    from .logs import setup_logging

    setup_logging(verbose, quiet)


def _framescribe(config_path: str | None, plugins: Sequence[str], no_cache: bool) -> Framescribe:
    from .api import Framescribe

    ctx = click.get_current_context(silent=True)
    host = ctx.find_root().meta.get(_HOST) if ctx is not None else None
    return Framescribe(config_path, plugins=plugins, use_cache=not no_cache, host=host)


def framescribe_for(opts: Mapping[str, Any], *, use_cache: bool = True) -> Framescribe:
    """The Framescribe a (plugin) command works with, from the options :func:`common_options` adds.

    It reuses the plugin host this run already built, so one command line loads its plugins once.
    """
    return _framescribe(opts["config_path"], opts["plugins"], opts["no_cache"] or not use_cache)


def _inputs_of(opts: Mapping[str, Any], *files: str | None) -> list[str]:
    """The files a run reads, which its -o must never name: the media, the config and --plugin files."""
    plugin_files = [p for p in opts.get("plugins", ()) if p.endswith(".py") or os.sep in p]
    return [f for f in (*files, opts.get("config_path"), *plugin_files) if f]


def _emit(text: str, output: Output) -> None:
    output.write(text)
    if output.kind != "stdout":
        log.info("wrote %s", output)


def _run_video(capability: str, media: str | None, opts: dict[str, Any], **extra: Any) -> None:
    from .formats import format_video
    from .progress import ProgressBar

    _setup(opts["verbose"], opts["quiet"])
    output = check_output(opts["output"], _inputs_of(opts, media, extra.get("transcript")))
    fs = _framescribe(opts["config_path"], opts["plugins"], opts["no_cache"])
    bar = ProgressBar(capability.replace("_", "-"), enabled=False if opts["quiet"] else None)
    try:
        run = fs.video_text if capability == "video_text" else fs.transcribe
        result = run(media, start=opts["start"], end=opts["end"], language=opts["language"],
                     backend=opts["backend"], video_id=opts["video_id"], progress=bar, **extra)
    finally:
        bar.close()
    for s in result.skipped:
        log.info("skipped %s: %s", s.backend, s.reason)
    log.info("answered by %s: %d segments", result.backend, len(result.segments))
    # A backend may have read files of its own choosing (a sidecar transcript): never write over one of them.
    check_output(opts["output"], result.read)
    _emit(format_video(result, opts["fmt"]), output)


@cli.command("video-text", epilog=EPILOG)
@click.argument("video", type=click.Path(), required=False)
@video_options
@common_options
def video_text_cmd(video: str | None, **opts: Any) -> None:
    """Text shown on screen in VIDEO, as timed segments (OCR in video).

    \b
    Examples:
      framescribe video-text clip.mp4
      framescribe video-text clip.mp4 --start 60 --end 90 -f srt -o part.srt
      framescribe video-text clip.mp4 --backend tesseract -v
    """
    _run_video("video_text", video, opts)


@cli.command("transcribe", epilog=EPILOG)
@click.argument("video", type=click.Path(), required=False)
@click.option("--transcript", type=click.Path(), help="A transcript (SRT/VTT) to use instead of recognising speech.")
@video_options
@common_options
def transcribe_cmd(video: str | None, transcript: str | None, **opts: Any) -> None:
    """Speech of VIDEO as timed segments.

    \b
    Examples:
      framescribe transcribe talk.mp4 -f srt -o talk.srt
      framescribe transcribe talk.mp4 --transcript talk.en.vtt
      framescribe transcribe talk.mp4 --backend whisper --language en
    """
    _run_video("transcribe", video, opts, transcript=transcript)


@cli.command("ocr", epilog=EPILOG)
@click.argument("images", nargs=-1, required=True, type=click.Path())
@click.option("--backend", "-b", metavar="NAME", help="Use this backend only (overrides the configured chain).")
@click.option("--language", "-l", metavar="LANG", help="Language(s) of the text, e.g. eng or eng+deu.")
@click.option("--layout", is_flag=True, help="Include blocks, lines and words with boxes (json, tsv).")
@click.option("--format", "-f", "fmt", type=click.Choice(["txt", "json", "tsv"]), default="txt", show_default=True)
@output_option()
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=None, help="Images read at once [default: cores].")
@common_options
def ocr_cmd(images: tuple[str, ...], backend: str | None, language: str | None, layout: bool, fmt: str,
            output: str | None, jobs: int | None, **opts: Any) -> None:
    """Text of one or more IMAGES (png, jpeg, tiff, webp, bmp).

    \b
    Examples:
      framescribe ocr receipt.jpg
      framescribe ocr page-*.png -f json --layout -o pages.json
    """
    from .formats import format_ocr
    from .inputs import check_input_file
    from .progress import ProgressBar

    _setup(opts["verbose"], opts["quiet"])
    for image in images:  # every input, and where the result goes, is checked before any work starts
        check_input_file(image, "image")
    destination = check_output(output, _inputs_of(opts, *images))
    fs = _framescribe(opts["config_path"], opts["plugins"], opts["no_cache"])
    layout = layout or fmt == "tsv"
    bar = ProgressBar("ocr", enabled=False if opts["quiet"] else None)
    done = 0

    def one(image: str) -> Any:
        nonlocal done
        results = fs.image_ocr(image, language=language, layout=layout, backend=backend)
        done += 1
        bar(done, len(images), Path(image).name)
        return results

    workers = jobs or os.cpu_count() or 1
    try:
        with ThreadPoolExecutor(max_workers=min(workers, len(images))) as pool:
            per_image = list(pool.map(one, images))
    finally:
        bar.close()
    if len(images) == 1:
        text = format_ocr(per_image[0], fmt)
    elif fmt == "json":
        text = json.dumps([r.to_dict() for rs in per_image for r in rs], indent=2, ensure_ascii=False) + "\n"
    elif fmt == "txt":
        text = "".join(f"==> {img} <==\n{format_ocr(rs, 'txt')}\n" for img, rs in zip(images, per_image, strict=True))
    else:
        text = format_ocr([r for rs in per_image for r in rs], fmt)
    check_output(output, [path for rs in per_image for r in rs for path in r.read])  # as for video, after the run
    _emit(text, destination)


@cli.command("backends")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@common_options
def backends_cmd(as_json: bool, **opts: Any) -> None:
    """List installed backends, their capabilities, and whether each can run here."""
    _setup(opts["verbose"], opts["quiet"])
    fs = _framescribe(opts["config_path"], opts["plugins"], opts["no_cache"])
    rows = fs.backends()
    if as_json:
        click.echo(json.dumps([r.__dict__ for r in rows], indent=2))
        return
    if not rows:
        click.echo("no backends installed: pip install framescribe-tesseract (or see `framescribe plugins`)")
        return
    width = max(len(r.name) for r in rows)
    for r in rows:
        state = "available" if r.available else f"unavailable: {r.reason}"
        kind = "local" if r.local else "remote"
        click.echo(f"{r.name:<{width}}  {', '.join(r.capabilities):<32}  {kind:<6}  {state}")
    click.echo("\nchains (" + fs.config.origin + "):")
    for cap, chain in fs.config.chains.items():
        click.echo(f"  {cap}: {' -> '.join(chain)}")


@cli.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@common_options
def plugins_cmd(as_json: bool, **opts: Any) -> None:
    """List loaded plugins, the backends each registers, and any that failed to load."""
    from .plugins import default_host

    _setup(opts["verbose"], opts["quiet"])
    host = default_host(opts["plugins"])
    host.backends  # noqa: B018 - collecting backends fills in each plugin's list
    infos = list(host.plugins.values())
    if as_json:
        click.echo(json.dumps([i.__dict__ for i in infos], indent=2))
        return
    for i in infos:
        state = f"FAILED: {i.error}" if i.error else f"backends: {', '.join(sorted(i.backends)) or '-'}"
        click.echo(f"{i.name} {i.version or ''}  ({i.source})  {state}")
    if not infos:
        click.echo("no plugins loaded")


@cli.command("config")
@common_options
def config_cmd(**opts: Any) -> None:
    """Print the effective configuration as JSON: chains, then each backend's settings, secrets masked.

    A setting filled from ${VAR} shows as written, not filled in.
    """
    _setup(opts["verbose"], opts["quiet"])
    fs = _framescribe(opts["config_path"], opts["plugins"], opts["no_cache"])
    click.echo(json.dumps(fs.effective_config(), indent=2))


@cli.command("eval")
@click.argument("truth", type=click.Path())
@click.argument("pred", type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output, with every match and miss.")
@click.option("--min-iou", type=click.FloatRange(0, 1), default=0.5, show_default=True,
              help="Temporal intersection-over-union a match needs.")
@click.option("--max-cer", type=click.FloatRange(0), default=0.2, show_default=True,
              help="Character error rate a match may have at most.")
@click.option("--ignore-case", is_flag=True, help="Compare texts case-insensitively.")
def eval_cmd(truth: str, pred: str, as_json: bool, min_iou: float, max_cer: float, ignore_case: bool) -> None:
    """Score timed text PRED against the reference TRUTH (each json, srt or vtt).

    A predicted segment matches a reference segment when their times overlap
    by IoU >= --min-iou and its text differs by at most --max-cer; matching is
    one-to-one, so extra fragments of one caption count as false positives.
    Prints precision, recall, F1, mean character error of the matches and the
    median boundary error (mean of |start diff| and |end diff|, seconds).

    \b
    Examples:
      framescribe video-text clip.mp4 -o clip.pred.json
      framescribe eval clip.truth.srt clip.pred.json
      framescribe eval clip.truth.json clip.pred.vtt --json
    """
    from .errors import BadInput
    from .evaluate import format_table, score_segments
    from .formats import read_timed_text
    from .inputs import check_input_file

    results = []
    for role, path in (("reference", truth), ("prediction", pred)):
        p = check_input_file(path, f"{role} file")
        try:
            results.append(read_timed_text(p))
        except AttributeError as exc:  # valid JSON of the wrong shape (a number, a string)
            raise BadInput(f"{p}: not a framescribe or seeds-shaped JSON result ({exc})") from exc
    score = score_segments(results[0].segments, results[1].segments, min_iou=min_iou, max_cer=max_cer,
                           ignore_case=ignore_case)
    if as_json:
        click.echo(json.dumps({"truth": truth, "pred": pred, **score.to_dict()}, indent=2))
    else:
        click.echo(format_table(score, title=f"{pred} against {truth}"), nl=False)


@cli.group("plugin")
def plugin_group() -> None:
    """Tools for plugin authors (see docs/plugins/)."""


@plugin_group.command("new")
@click.argument("name")
@click.option("--dir", "directory", type=click.Path(file_okay=False), help="Where to write it [default: ./framescribe-NAME].")
@click.option("--capability", "-c", "capabilities", multiple=True,
              type=click.Choice(["transcribe", "video_text", "image_ocr"]),
              help="What the backend does (repeatable) [default: video_text and image_ocr].")
def plugin_new_cmd(name: str, directory: str | None, capabilities: tuple[str, ...]) -> None:
    """Create a plugin distribution for a new backend NAME, ready to pip install.

    The result passes framescribe's conformance kit as generated; the
    recognition itself is left as TODOs in its engine.py.

    \b
    Examples:
      framescribe plugin new my-ocr
      framescribe plugin new my-asr -c transcribe --dir plugins/my-asr
    """
    from .templates import DEFAULT_CAPABILITIES, new_plugin

    root, files = new_plugin(name, directory, capabilities or DEFAULT_CAPABILITIES)
    for path in files:
        click.echo(f"created {path}")
    click.echo(f"\nnext: pip install -e '{root}[test]' && framescribe backends && pytest {root}")


cli.add_command(cache_group)
register_library_commands(cli)  # index, search: the library's commands live in framescribe.library


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; user mistakes get a message and an exit code, not a traceback."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        return _main(argv)
    finally:
        # Each run points the root logger at its own stderr; whoever calls main() in-process (tests, a program
        # embedding the CLI) gets its own logging back.
        root.handlers[:] = handlers
        root.setLevel(level)


def _main(argv: Sequence[str] | None) -> int:
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="framescribe", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return int(exc.exit_code)
    except click.exceptions.Abort as exc:  # click turns Ctrl-C into Abort; say which it was
        click.echo("interrupted" if isinstance(exc.__context__, KeyboardInterrupt) else "aborted", err=True)
        return 130
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    except FramescribeError as exc:
        click.echo(f"Error: {exc}", err=True)
        return exc.exit_code
    except BrokenPipeError:
        return EXIT_FAILURE
    except OSError as exc:  # a path or a disk the user can fix (see errors.user_error), or an unexpected one
        if not is_user_os_error(exc):
            return _unexpected(exc)
        error = user_error(exc)
        click.echo(f"Error: {error}", err=True)
        return error.exit_code
    except RecursionError:
        log.debug("recursion", exc_info=True)
        click.echo("Error: an input is nested too deeply to read (a file of thousands of nested brackets?)", err=True)
        return EXIT_USAGE
    except Exception as exc:
        return _unexpected(exc)
    return 0


def _unexpected(exc: Exception) -> int:
    log.debug("unexpected error", exc_info=True)
    click.echo(f"Error: unexpected {type(exc).__name__}: {exc}\n  hint: run with -vv for the traceback", err=True)
    return EXIT_FAILURE


def run() -> None:
    code = main()
    try:
        sys.stdout.flush()
    except OSError as exc:
        # stdout is full or gone (`> /dev/full`): say so once, and keep the interpreter's own exit-time flush
        # from printing a raw "Exception ignored" after it.
        if code == 0 and not isinstance(exc, BrokenPipeError):
            click.echo(f"Error: {user_error(exc, 'cannot write standard output')}", err=True)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = code or EXIT_FAILURE
    sys.exit(code)


if __name__ == "__main__":
    run()

__all__ = ["EXIT_USAGE", "cli", "main", "run"]
