"""Time-ordered splits with purge and embargo (Lopez de Prado, AFML ch. 7).

Positions are forecast dates (row numbers). A forecast made at t is labelled by returns
t+1..t+h, so a training date t is purged when its label window reaches into a later block,
and ``embargo`` more rows are dropped after it as a buffer against serial dependence.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TimeSplit:
    """Positions of the train, validation and test blocks.

    Attributes
    ----------
    train, validation, test : numpy.ndarray
        Row positions, consecutive and purged.
    """

    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray

    @property
    def train_end(self) -> int:
        """The last training position."""
        return int(self.train[-1])


EMBARGO = 5


def purged_end(block_start: int, horizon: int, *, embargo: int = EMBARGO) -> int:
    """Last training position allowed before a block starting at ``block_start``.

    Its label window (t+1..t+h) ends before the block, then ``embargo`` more rows are
    skipped.

    Parameters
    ----------
    block_start : int
        First position of the block.
    horizon : int
        Label window length.
    embargo : int, default 5
        Extra rows skipped.

    Returns
    -------
    int
        The last allowed training position.
    """
    return block_start - horizon - embargo - 1


def train_validation_test(
    n_obs: int,
    horizon: int,
    *,
    validation_fraction: float = 0.2,
    test_fraction: float = 0.2,
    embargo: int = EMBARGO,
    min_train: int = 252,
) -> TimeSplit:
    """Three consecutive blocks of forecast dates; every label window stays inside its block.

    Parameters
    ----------
    n_obs : int
        Rows of returns.
    horizon : int
        Label window length.
    validation_fraction, test_fraction : float, default 0.2
        Shares of the usable rows.
    embargo : int, default 5
        Rows skipped after each purge.
    min_train : int, default 252
        Rows the training block needs.

    Returns
    -------
    TimeSplit
        The blocks.
    """
    usable = n_obs - horizon  # forecast dates whose label window closes inside the data
    n_test = int(usable * test_fraction)
    n_val = int(usable * validation_fraction)
    test_start = usable - n_test
    val_end = purged_end(test_start, horizon, embargo=embargo) + 1
    val_start = val_end - n_val
    train_last = purged_end(val_start, horizon, embargo=embargo)
    if train_last + 1 < min_train or n_val < 1 or n_test < 1:
        raise ValueError(
            f"{n_obs} rows are too few for train >= {min_train}, validation and test blocks"
        )
    return TimeSplit(
        train=np.arange(0, train_last + 1),
        validation=np.arange(val_start, val_end),
        test=np.arange(test_start, usable),
    )


def walk_forward(
    n_obs: int,
    horizon: int,
    *,
    n_folds: int = 3,
    min_train: int = 252,
    embargo: int = EMBARGO,
    stop: int | None = None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Expanding-window folds over positions [min_train, stop), each purged.

    Parameters
    ----------
    n_obs : int
        Rows of returns.
    horizon : int
        Label window length.
    n_folds : int, default 3
        Validation blocks.
    min_train : int, default 252
        Rows before the first block.
    embargo : int, default 5
        Rows skipped after each purge.
    stop : int, optional
        End of the walked range (default ``n_obs - horizon``).

    Returns
    -------
    list of tuple
        (train positions, validation positions) per fold.
    """
    stop = (n_obs - horizon) if stop is None else stop
    edges = np.linspace(min_train + horizon + embargo + 1, stop, n_folds + 1).astype(int)
    folds = []
    for lo, hi in itertools.pairwise(edges):
        train_last = purged_end(lo, horizon, embargo=embargo)
        folds.append((np.arange(0, train_last + 1), np.arange(lo, hi)))
    return folds
