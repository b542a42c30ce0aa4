"""``framescribe serve``: the seeds' APIs over HTTP, answered by the configured chains."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import click

from framescribe.cli import common_options


@click.command("serve")
@click.option("--host", metavar="ADDRESS", help="Address to listen on [default: 127.0.0.1; others need API keys].")
@click.option("--port", type=click.IntRange(0, 65535), help="TCP port [default: 8000].")
@click.option("--data-dir", type=click.Path(file_okay=False), help="Where records and uploads live [default: user data dir].")
@click.option("--library", type=click.Path(dir_okay=False), help="Show this library on the page at / (with its uploads).")
@common_options
def serve_command(host: str | None, port: int | None, data_dir: str | None, library: str | None, **opts: Any) -> None:
    """Serve the video-indexing, ImageHQ, OCR Services and OpenAI transcription APIs on HOST:PORT.

    Keys come from [serve] api_keys in the config or FRAMESCRIBE_SERVE_API_KEYS
    (comma-separated); with none, only loopback addresses may be used.
    SIGTERM or Ctrl-C stops taking work and lets running jobs finish
    (shutdown_grace seconds) before it exits. See docs/server.md.

    \b
    Examples:
      framescribe serve
      FRAMESCRIBE_SERVE_API_KEYS=$KEY framescribe serve --host 0.0.0.0 --data-dir /srv/framescribe
    """
    import uvicorn

    from framescribe import Framescribe

    from .app import build_context, create_app
    from .settings import check_exposure, default_data_dir, load_settings

    level = logging.ERROR if opts["quiet"] else (logging.WARNING, logging.INFO, logging.DEBUG)[min(opts["verbose"], 2)]
    logging.basicConfig(level=level, format="framescribe: %(message)s", stream=sys.stderr, force=True)
    fs = Framescribe(opts["config_path"], plugins=opts["plugins"], use_cache=not opts["no_cache"])
    settings = load_settings(fs.config.tables.get("serve", {}), fs.config.origin, host=host, port=port, data_dir=data_dir,
                             library=library)
    check_exposure(settings)
    library = None
    if settings.library is not None:
        from .web.open import open_library

        library = open_library(settings.library)
    directory = Path(settings.data_dir) if settings.data_dir else default_data_dir()
    ctx = build_context(fs, settings, directory, plugins=opts["plugins"], use_cache=not opts["no_cache"], library=library)
    app = create_app(ctx)
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_config=None, access_log=opts["verbose"] >= 2,
                            timeout_graceful_shutdown=max(1, int(settings.shutdown_grace)), server_header=False)
    auth = f"{len(settings.api_keys)} API key(s)" if settings.api_keys else "no API keys (loopback only)"
    click.echo(f"framescribe: serving on http://{settings.host}:{settings.port} with {auth}; data in {directory}; "
               f"docs at /docs", err=True)
    uvicorn.Server(config).run()
