"""Forecast losses: how far a predicted correlation path is from what was realised."""

from __future__ import annotations

import numpy as np

from correlation_platform.linalg import correlation_matrix_distance, frobenius_distance


def frobenius_losses(predicted: np.ndarray, realized: np.ndarray) -> np.ndarray:
    return np.array([frobenius_distance(p, r) for p, r in zip(predicted, realized, strict=True)])


def cmd_losses(predicted: np.ndarray, realized: np.ndarray) -> np.ndarray:
    return np.array(
        [correlation_matrix_distance(p, r) for p, r in zip(predicted, realized, strict=True)]
    )
