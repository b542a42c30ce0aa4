"""Load the scripts in ``bench/`` as modules, for the tests of the benchmark helpers.

``bench/`` is a folder of scripts, not a package: its scripts import their siblings by plain name,
so the folder goes on ``sys.path``, and each script is loaded once (a second test file that loads
``clipgen`` gets the same module, with the same classes).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parent.parent / "bench"


def load_bench(name: str) -> ModuleType:
    """The module ``bench/NAME.py``, loaded on the first call and reused after."""
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
