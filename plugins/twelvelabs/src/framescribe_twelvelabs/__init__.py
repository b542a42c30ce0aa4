"""framescribe backend ``twelvelabs``: speech and on-screen text of a video through the Twelve Labs v1.2 API."""

from __future__ import annotations

__all__ = ["NAME"]

NAME = "twelvelabs"
