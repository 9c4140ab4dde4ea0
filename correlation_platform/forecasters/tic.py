"""Theory-Implied Correlation (Lopez de Prado, 2019): a tree fitted to empirical correlation.

The tree (a frame indexed by asset, columns from leaves to root, e.g. sector -> market)
says which assets belong together. Level by level, the clusters under each parent are
merged by single-linkage on the correlation distance d = sqrt((1 - rho) / 2); a merged
cluster's distance to the rest is the size-weighted average of its parts. Every merge at
distance d sets the correlation between the atoms of its two sides to 1 - 2 d^2. The
result is optionally denoised and, like every forecast, repaired to a valid correlation.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import linkage
from scipy.spatial.distance import squareform

from correlation_platform.forecasters._window import to_correlation, trailing_window
from correlation_platform.forecasters.base import ArrayForecaster
from correlation_platform.forecasters.denoised import denoise_correlation
from correlation_platform.params import Interval, Options


def _levels(tree: pd.DataFrame, assets: list[str]) -> list[np.ndarray]:
    """Group labels per level for the given assets (leaf column dropped, root added)."""
    frame = tree.set_index("asset") if "asset" in tree.columns else tree
    missing = [a for a in assets if a not in frame.index]
    if missing:
        raise ValueError(f"tree has no entry for {missing}")
    frame = frame.loc[assets]
    levels = [frame[c].astype(str).to_numpy() for c in frame.columns]
    if len(np.unique(levels[-1])) > 1:
        levels.append(np.full(len(assets), "__root__"))
    return levels


def theory_implied_correlation(corr: np.ndarray, levels: list[np.ndarray]) -> np.ndarray:
    """The correlation implied by a tree of groups and an empirical correlation.

    Parameters
    ----------
    corr : numpy.ndarray
        Empirical N x N correlation.
    levels : list of numpy.ndarray
        Group label of each asset per level, from the leaves' parents to the root.

    Returns
    -------
    numpy.ndarray
        The theory-implied N x N matrix (not yet repaired).

    References
    ----------
    M. Lopez de Prado (2019), "Estimation of theory-implied correlation matrices", SSRN
    3484152.
    """
    n = len(corr)
    dist = np.sqrt(np.clip((1 - corr) / 2, 0, None))
    out = np.eye(n)
    clusters: list[list[int]] = [[i] for i in range(n)]  # atoms per current cluster
    d = dist.copy()  # distances between current clusters
    for level in levels:
        parent = np.array([level[c[0]] for c in clusters])
        new_clusters, new_rows = [], []
        order = list(dict.fromkeys(parent))
        for group in order:
            members = [k for k in range(len(clusters)) if parent[k] == group]
            atoms = [list(clusters[k]) for k in members]
            sub = d[np.ix_(members, members)]
            sizes = [len(a) for a in atoms]
            rows = [d[k].copy() for k in members]
            if len(members) > 1:
                z = linkage(squareform(sub, checks=False), method="single")
                for a, b, height, _ in z:
                    a, b = int(a), int(b)
                    left, right = atoms[a], atoms[b]
                    rho = 1 - 2 * height**2
                    out[np.ix_(left, right)] = rho
                    out[np.ix_(right, left)] = rho
                    wa, wb = sizes[a], sizes[b]
                    atoms.append(left + right)
                    sizes.append(wa + wb)
                    rows.append((rows[a] * wa + rows[b] * wb) / (wa + wb))
            new_clusters.append(atoms[-1])
            new_rows.append(rows[-1])
        # Distances between the new clusters: average the old rows over each new cluster's
        # member columns, weighted by atom counts (the merged-row rule applied to columns).
        m = len(new_clusters)
        nd = np.zeros((m, m))
        for i in range(m):
            for j in range(m):
                if i == j:
                    continue
                cols = [k for k in range(len(clusters)) if parent[k] == order[j]]
                w = np.array([len(clusters[k]) for k in cols], dtype=float)
                nd[i, j] = np.sum(new_rows[i][cols] * w) / w.sum()
        nd = (nd + nd.T) / 2
        clusters, d = new_clusters, nd
    return out


class TICForecaster(ArrayForecaster):
    """Theory-implied correlation from a sector tree and the trailing ``window`` days.

    The tree is data, passed to :meth:`fit` (``fit(returns, tree=sectors)``); only the
    hyper-parameters below are constructor arguments.

    Parameters
    ----------
    window : int, default 252
        Trailing returns per forecast (at least 2).
    denoise : bool, default True
        Flatten the noise eigenvalues of the implied matrix (Marcenko-Pastur, q = window/N).

    Attributes
    ----------
    levels_ : list of numpy.ndarray
        The fitted assets' group labels per level, leaves' parents to root.

    References
    ----------
    M. Lopez de Prado (2019), "Estimation of theory-implied correlation matrices", SSRN
    3484152.
    """

    name: ClassVar[str] = "tic"
    refit_changes_path: ClassVar[bool] = False
    PARAMETERS: ClassVar = {"window": Interval(int, 2, None), "denoise": Options((True, False))}

    def __init__(self, window: int = 252, denoise: bool = True):
        self.window = window
        self.denoise = denoise

    def fit(
        self,
        returns: pd.DataFrame,
        features: pd.DataFrame | None = None,
        *,
        tree: pd.DataFrame | None = None,
    ) -> TICForecaster:
        """Record the assets and their groups per level of ``tree``.

        Parameters
        ----------
        returns : pandas.DataFrame
            Daily returns (dates x assets).
        features : pandas.DataFrame, optional
            Unused.
        tree : pandas.DataFrame
            Indexed by asset (or with an ``asset`` column), columns from leaves to root
            (e.g. sector, then market); required.

        Returns
        -------
        TICForecaster
            ``self``, fitted.
        """
        if tree is None:
            raise ValueError(
                "tic needs a tree: pass fit(returns, tree=frame), a frame indexed by asset "
                "with columns leaves -> root"
            )
        super().fit(returns, features, tree=tree)
        self.levels_ = _levels(tree, self.assets_)
        return self

    def _raw_path(self, x: np.ndarray, positions: np.ndarray, horizon: int) -> np.ndarray:
        n = x.shape[1]
        out = np.empty((len(positions), n, n))
        for k, p in enumerate(positions):
            self._need_history(p, self.window, f"tic(window={self.window})")
            win = trailing_window(x, p, self.window)
            tic = theory_implied_correlation(to_correlation(win.T @ win), self.levels_)
            if self.denoise:
                tic, _ = denoise_correlation(
                    to_correlation(tic + 1e-12 * np.eye(n)), self.window / n
                )
            out[k] = tic
        return out
