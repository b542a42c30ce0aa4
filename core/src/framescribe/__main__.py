"""``python -m framescribe``: the same as the ``framescribe`` command."""

from .cli import run

run()
