"""Where local state lives: one folder, ``CORRPLAT_HOME``, holds everything a run writes."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def corrplat_home() -> Path:
    """The state folder (default ``.corrplat/`` beside the package), created on first use.

    Returns
    -------
    pathlib.Path
        ``$CORRPLAT_HOME`` or the default.
    """
    home = Path(os.environ.get("CORRPLAT_HOME", REPO_ROOT / ".corrplat")).expanduser().resolve()
    home.mkdir(parents=True, exist_ok=True)
    return home


def subdir(name: str) -> Path:
    """A folder under the state folder, created on first use.

    Parameters
    ----------
    name : str
        Its name (e.g. ``"reports"``).

    Returns
    -------
    pathlib.Path
        The folder.
    """
    path = corrplat_home() / name
    path.mkdir(parents=True, exist_ok=True)
    return path


class HomeBusyError(RuntimeError):
    """Another process holds the exclusive lock on ``CORRPLAT_HOME``."""


@contextlib.contextmanager
def exclusive_home(purpose: str) -> Iterator[Path]:
    """Hold an exclusive lock on ``CORRPLAT_HOME`` (released on exit, also if killed).

    Two whole-graph runs on the embedded instance would register every family twice and
    mix their records; the second one fails at once, naming the holder.

    Parameters
    ----------
    purpose : str
        Written into the lock file, shown to a second caller.

    Yields
    ------
    Path
        The home folder.
    """
    home = corrplat_home()
    handle = open(home / ".run.lock", "a+")  # held for the whole block
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise HomeBusyError(
                f"{home} is in use by {holder}; wait for it to finish (or point "
                "CORRPLAT_HOME elsewhere)"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} ({purpose})")
        handle.flush()
        yield home
    finally:
        handle.close()
