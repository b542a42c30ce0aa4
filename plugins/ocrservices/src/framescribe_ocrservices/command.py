"""``framescribe ocrservices-process KEY...``: OCR images already in the bucket, without uploading them."""

from __future__ import annotations

import json
from typing import Any, cast

import click

from framescribe.cli import common_options, framescribe_for, output_option


@click.command("ocrservices-process")
@click.argument("keys", nargs=-1, required=True)
@click.option("--layout", is_flag=True, help="Include blocks, lines and words (no boxes: the service gives none).")
@click.option("--format", "-f", "fmt", type=click.Choice(["txt", "json"]), default="txt", show_default=True)
@output_option()
@common_options
def process_command(keys: tuple[str, ...], layout: bool, fmt: str, output: str | None, **opts: Any) -> None:
    """OCR images already stored in the OCR Services bucket, by S3 KEY (ocr/{user_id}/{file}).

    \b
    Examples:
      framescribe ocrservices-process ocr/me/receipt-0123abcd.jpg
      framescribe ocrservices-process ocr/me/a.png ocr/me/b.png -f json -o out.json
    """
    from framescribe.formats import format_ocr
    from framescribe.logs import setup_logging
    from framescribe.outputs import check_output

    from .service import NAME, process_key
    from .settings import OcrServicesSettings

    setup_logging(opts["verbose"], opts["quiet"])
    destination = check_output(output, [opts.get("config_path"), *opts.get("plugins", ())])  # before any request
    settings = cast(OcrServicesSettings, framescribe_for(opts, use_cache=False).settings_for(NAME))
    results = []
    for key in keys:
        result = process_key(key, settings=settings, layout=layout)
        result.backend, result.source = NAME, key
        results.append(result)
    if fmt == "json":
        text = json.dumps([r.to_dict() for r in results], indent=2, ensure_ascii=False) + "\n"
    else:
        text = "".join(format_ocr([r], "txt") if len(keys) == 1 else f"==> {k} <==\n{format_ocr([r], 'txt')}\n"
                       for k, r in zip(keys, results, strict=True))
    destination.write(text)
