"""Where ndg keeps what it can rebuild: built modules (compiler) and compiled machine code (runtime)."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_VARIABLE = "NDG_CACHE_DIR"


def cache_dir() -> Path:
    base = os.environ.get(CACHE_VARIABLE) or os.path.join(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "ndg")
    return Path(base)
