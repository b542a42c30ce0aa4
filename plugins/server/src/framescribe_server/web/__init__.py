"""The page: the library in a browser (``/``, ``/search``, ``/media/{id}``, uploads), served when ``--library`` is given.

Server-rendered HTML (Jinja2, autoescaped), one stylesheet and one small script served from ``/assets/``:
no build step, no CDN. See docs/server.md, "The page".
"""

from __future__ import annotations

from .routes import install

__all__ = ["install"]


