"""``framescribe twelvelabs-index``: index a video (a file, or a public URL the server fetches) and print its id."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from framescribe.cli import common_options, framescribe_for


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

    from framescribe import BackendUnavailable, FramescribeError
    from framescribe.inputs import check_input_file
    from framescribe.logs import setup_logging
    from framescribe.progress import ProgressBar

    from . import NAME
    from .api import client_for
    from .service import index_file, index_url
    from .settings import TwelveLabsSettings

    if (video is None) == (url is None):
        raise click.UsageError("give a VIDEO file or --url, not both and not neither")
    setup_logging(opts["verbose"], opts["quiet"])
    bar = ProgressBar("twelvelabs-index", enabled=False if opts["quiet"] else None)
    try:
        fs = framescribe_for(opts, use_cache=False)
        try:
            context = fs.context_for(NAME, bar)
        except BackendUnavailable as exc:
            raise FramescribeError(exc.message) from None
        settings = context.settings
        assert isinstance(settings, TwelveLabsSettings)
        if url is not None:
            video_id = index_url(settings, url, language, bar, context.log)
        else:
            path = check_input_file(video, "video")
            video_id, _ = index_file(client_for(settings), settings, context, path, language or settings.language,
                                     None, time.monotonic() + settings.timeout)
    finally:
        bar.close()
    click.echo(video_id)
