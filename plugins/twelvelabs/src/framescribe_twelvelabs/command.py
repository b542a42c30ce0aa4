"""``framescribe twelvelabs-index``: index a video (a file, or a public URL the server fetches) and print its id."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import click

from framescribe.cli import common_options


@click.command("twelvelabs-index")
@click.argument("video", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--url", metavar="URL", help="Index the video at this public URL instead of a local file.")
@click.option("--language", "-l", metavar="LANG", help="Language of the video (default: the backend's language setting).")
@common_options
def index_command(video: Path | None, url: str | None, language: str | None, **opts: Any) -> None:
    """Upload VIDEO (or --url) to the configured Twelve Labs index and print its video id.

    Use the id later with `--video-id` to skip the upload. A file already
    indexed is not uploaded again.

    \b
    Examples:
      framescribe twelvelabs-index talk.mp4
      framescribe twelvelabs-index --url https://example.com/talk.mp4
      framescribe transcribe --backend twelvelabs --video-id 6391c8a669ff3402ec515aba
    """
    import time

    from framescribe import Framescribe, FramescribeError
    from framescribe.api import check_input_file
    from framescribe.backend import RunContext
    from framescribe.progress import ProgressBar

    from . import NAME
    from .api import client_for
    from .service import index_file, index_url
    from .settings import TwelveLabsSettings

    if (video is None) == (url is None):
        raise click.UsageError("give a VIDEO file or --url, not both and not neither")
    level = logging.ERROR if opts["quiet"] else (logging.WARNING, logging.INFO, logging.DEBUG)[min(opts["verbose"], 2)]
    logging.basicConfig(level=level, format="framescribe: %(message)s", stream=sys.stderr, force=True)
    log = logging.getLogger(f"framescribe.{NAME}")
    bar = ProgressBar("twelvelabs-index", enabled=False if opts["quiet"] else None)
    try:
        fs = Framescribe(opts["config_path"], plugins=opts["plugins"], use_cache=False)
        settings = fs.settings_for(NAME)
        assert isinstance(settings, TwelveLabsSettings)
        reason = fs.host.get(NAME).spec.unavailable_reason(settings)
        if reason is not None:
            raise FramescribeError(f"{NAME} cannot run: {reason}")
        if url is not None:
            video_id = index_url(settings, url, language, bar, log)
        else:
            path = check_input_file(video, "video")
            context = RunContext(NAME, settings, fs.state, bar, log)
            video_id, _ = index_file(client_for(settings), settings, context, path, language or settings.language,
                                     None, time.monotonic() + settings.timeout)
    finally:
        bar.close()
    click.echo(video_id)
