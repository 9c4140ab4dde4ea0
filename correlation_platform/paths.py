"""Where local state lives: one folder, ``CORRPLAT_HOME``, holds everything a run writes."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def corrplat_home() -> Path:
    """The state folder (default ``.corrplat/`` beside the package), created on first use."""
    home = Path(os.environ.get("CORRPLAT_HOME", REPO_ROOT / ".corrplat")).expanduser().resolve()
    home.mkdir(parents=True, exist_ok=True)
    return home


def subdir(name: str) -> Path:
    path = corrplat_home() / name
    path.mkdir(parents=True, exist_ok=True)
    return path
