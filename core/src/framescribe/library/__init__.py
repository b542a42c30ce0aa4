"""Libraries: index folders of media into one SQLite file and search their text (``framescribe index|search``)."""

from __future__ import annotations

from .api import Library, default_library_path
from .indexer import IndexSummary
from .store import Hit, MediaRecord

__all__ = ["Hit", "IndexSummary", "Library", "MediaRecord", "default_library_path"]
