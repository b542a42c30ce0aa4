"""Logging as the ``framescribe`` command sets it up, for plugin commands to share.

Logs and progress go to stderr, results to stdout; ``-q`` leaves only errors,
``-v`` adds what the chain decides, ``-vv`` debug detail and tracebacks.
"""

from __future__ import annotations

import logging
import sys


def log_level(verbose: int, quiet: bool) -> int:
    """The level for ``-v`` given ``verbose`` times, or ``-q``."""
    return logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]


def setup_logging(verbose: int = 0, quiet: bool = False) -> None:
    """Point the root logger at stderr with framescribe's format and the level ``-v``/``-q`` ask for."""
    logging.basicConfig(level=log_level(verbose, quiet), format="framescribe: %(message)s", stream=sys.stderr, force=True)
