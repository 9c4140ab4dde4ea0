"""Normalisation and PCA fitted on the training window only (no leakage from test data)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA


@dataclass
class TrainWindowScaler:
    """Min-max to [0, 1] with the training window's min and max; optional PCA on top.

    ``fit`` sees only rows up to ``train_end``; later rows may fall outside [0, 1], which
    is information (a new extreme), not an error.

    Parameters
    ----------
    n_components : int, optional
        Principal components kept (fitted on the training window); None keeps the scaled
        columns.
    clip : bool, default False
        Bound later rows to [0, 1] if a model needs it.
    """

    n_components: int | None = None
    clip: bool = False
    mins_: pd.Series = field(init=False, default=None)
    ranges_: pd.Series = field(init=False, default=None)
    pca_: PCA | None = field(init=False, default=None)
    train_end_: pd.Timestamp | None = field(init=False, default=None)

    def fit(
        self, frame: pd.DataFrame, train_end: pd.Timestamp | str | None = None
    ) -> TrainWindowScaler:
        """Learn the minima, ranges (and PCA) on rows up to ``train_end`` only.

        Parameters
        ----------
        frame : pandas.DataFrame
            Dates x features.
        train_end : pandas.Timestamp or str, optional
            Last training row (default the whole frame).

        Returns
        -------
        TrainWindowScaler
            ``self``, fitted.
        """
        train = frame if train_end is None else frame.loc[:train_end]
        if train.empty:
            raise ValueError("no training rows before train_end")
        self.train_end_ = pd.Timestamp(train.index[-1])
        self.mins_ = train.min()
        rng = train.max() - self.mins_
        self.ranges_ = rng.where(rng > 0, 1.0)
        if self.n_components:
            scaled = self._scale(train).dropna()
            self.pca_ = PCA(n_components=self.n_components).fit(scaled.to_numpy())
        return self

    def _scale(self, frame: pd.DataFrame) -> pd.DataFrame:
        scaled = (frame[self.mins_.index] - self.mins_) / self.ranges_
        return scaled.clip(0.0, 1.0) if self.clip else scaled

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Scale with the training window's statistics (and project on its PCA).

        Parameters
        ----------
        frame : pandas.DataFrame
            Dates x the fitted features.

        Returns
        -------
        pandas.DataFrame
            Scaled features, or ``pc1..pcK`` with ``n_components``.
        """
        if self.mins_ is None:
            raise RuntimeError("fit the scaler on the training window first")
        scaled = self._scale(frame)
        if self.pca_ is None:
            return scaled
        ok = scaled.notna().all(axis=1)
        comps = np.full((len(scaled), self.pca_.n_components_), np.nan)
        comps[ok.to_numpy()] = self.pca_.transform(scaled.loc[ok].to_numpy())
        return pd.DataFrame(
            comps, index=frame.index, columns=[f"pc{k + 1}" for k in range(self.pca_.n_components_)]
        )
