"""What drives a feature-learning forecast: permutation importance and partial dependence.

For the families that learn from pair features and market features (``gbm``, ``lstm``):

- :meth:`PairExplainer.feature_importances`: on held-out dates before ``as_of`` (the last
  ones whose label windows have closed by then, which the fit never saw when the model was
  trained earlier), the rise in the Fisher-z mean squared error of the predicted pair
  correlations when one market feature's values are shuffled across those dates, or when
  the pair features (trailing and EWMA correlations, volatilities) are shuffled together,
  each pair on its own. Reported under the caller's feature names; deterministic given
  ``random_state``; nothing after ``as_of`` is read.
- :meth:`PairExplainer.partial_dependence`: the predicted average correlation as of
  ``as_of`` while one feature is set to each point of a grid across its observed range
  (quantiles up to ``as_of``), every other input at its actual values (over the model's
  training pairs, before the PSD repair).
- :meth:`PairExplainer.forecast_move`: why the forecast moved since an earlier date, its
  change attributed to each input by setting that input back to its earlier value.
- :func:`explain`: all of it for one model, as an :class:`Explanation`.

References
----------
L. Breiman (2001), "Random forests", Machine Learning 45 (permutation importance);
J. Friedman (2001), "Greedy function approximation: a gradient boosting machine",
Annals of Statistics 29 (partial dependence).
"""

from __future__ import annotations

import abc
from dataclasses import dataclass

import numpy as np
import pandas as pd

from correlation_platform.forecasters.pair_dataset import pair_targets

#: Name under which the pair features (trailing and EWMA correlations, volatilities)
#: are reported, as one group.
PAIR_GROUP = "pair features (trailing/EWMA correlation, volatilities)"
#: Held-out dates by default: about a year of monthly rebalances at step 5.
HELD_OUT_DATES = 50
#: Shuffles per feature by default.
N_REPEATS = 5
#: Grid points of a partial-dependence curve by default (5th to 95th percentile).
GRID_POINTS = 9
#: Market features whose partial dependence :func:`explain` draws by default: a quant
#: reads three curves; beyond that the importances table says enough.
TOP_FEATURES = 3
#: Bars of an importance or forecast-move chart: beyond a dozen the tail is noise a
#: reader skips.
TOP_IMPORTANCES = 12
#: Row of a :class:`ForecastMove` holding what one-at-a-time contributions leave out.
INTERACTION = "interaction (inputs moving together)"


class PairExplainer(abc.ABC):
    """Explanations for forecasters fitted on :class:`~.pair_dataset.PairFeatureBuilder` inputs."""

    @abc.abstractmethod
    def _input_rows(self, positions: np.ndarray) -> np.ndarray:
        """The rows to build features at for forecasts as of ``positions`` (flat).

        Parameters
        ----------
        positions : numpy.ndarray
            As-of rows.

        Returns
        -------
        numpy.ndarray
            Rows for :meth:`PairFeatureBuilder.build`, as :meth:`_predict_built` reads them.
        """

    @abc.abstractmethod
    def _predict_built(self, built: np.ndarray, n_dates: int) -> np.ndarray:
        """Predicted Fisher z from features built at :meth:`_input_rows`.

        Parameters
        ----------
        built : numpy.ndarray
            (rows, pairs, features).
        n_dates : int
            The number of as-of dates they serve.

        Returns
        -------
        numpy.ndarray
            (n_dates, pairs).
        """

    def _held_out(self, returns: pd.DataFrame, as_of: int, held_out: int) -> np.ndarray:
        last = as_of - self.horizon
        positions = np.arange(last, last - held_out * self.step, -self.step)[::-1]
        positions = positions[positions >= 0]
        if len(positions) < 2:
            raise ValueError(
                f"feature_importances needs labelled dates before as_of: {as_of + 1} rows "
                f"leave {len(positions)} with horizon={self.horizon}; pass more history"
            )
        return positions

    def feature_importances(
        self,
        returns: pd.DataFrame,
        features: pd.DataFrame | None = None,
        *,
        as_of: pd.Timestamp | str | None = None,
        held_out: int = HELD_OUT_DATES,
        n_repeats: int = N_REPEATS,
        random_state: int = 0,
    ) -> pd.Series:
        """Permutation importance of each market feature and of the pair features.

        A market feature is shuffled as the caller knows it (its raw values across the
        held-out input dates), then scaled (and projected, with PCA) as the model reads
        it, so importances are under the caller's names whatever the model's inputs.

        Parameters
        ----------
        returns : pandas.DataFrame
            Daily returns of the fitted assets.
        features : pandas.DataFrame, optional
            The feature panel the model was fitted with.
        as_of : pandas.Timestamp or str, optional
            The explained date (default: the last row); later rows are ignored.
        held_out : int, default HELD_OUT_DATES
            Dates scored: the last ones (``step`` apart) whose labels close by ``as_of``.
        n_repeats : int, default N_REPEATS
            Shuffles per feature, averaged.
        random_state : int, default 0
            Seed of the shuffles.

        Returns
        -------
        pandas.Series
            Rise in mean squared error (Fisher z) per feature, largest first; index = the
            caller's feature names and :data:`PAIR_GROUP`.
        """
        returns, features, row = _until(returns, features, as_of)
        positions = self._held_out(returns, row, held_out)
        pairs = self.pairs_
        labels = pair_targets(returns, positions, self.horizon, pairs=pairs)
        rows = self._input_rows(positions)
        built = self.builder_.build(returns, features, rows, pairs=pairs)
        ok = np.isfinite(labels)

        def loss(x: np.ndarray) -> float:
            z = self._predict_built(x, len(positions))
            return float(np.mean((z[ok] - labels[ok]) ** 2))

        base = loss(built)
        rng = np.random.default_rng(random_state)
        pair_cols, _ = self._columns()
        raw = self.builder_.raw_market(features, returns.index[rows])
        n_rows, n_pairs = built.shape[0], built.shape[1]
        out = {}
        for label in [PAIR_GROUP, *(self.builder_.market_columns or [])]:
            rises = []
            for _ in range(n_repeats):
                if label == PAIR_GROUP:  # each pair's features shuffled across dates
                    order = rng.permuted(np.tile(np.arange(n_rows)[:, None], (1, n_pairs)), axis=0)
                    picked = built[order, np.arange(n_pairs)[None, :]]
                    shuffled = built.copy()
                    shuffled[:, :, pair_cols] = picked[:, :, pair_cols]
                else:  # a market feature is one value per date: shuffle the dates
                    moved = raw.copy()
                    moved[label] = raw[label].to_numpy()[rng.permutation(n_rows)]
                    shuffled = self._with_market(built, moved)
                rises.append(loss(shuffled) - base)
            out[label] = float(np.mean(rises))
        return pd.Series(out, name="importance").sort_values(ascending=False)

    def _columns(self) -> tuple[slice, slice]:
        """The pair block and the market block of the built array's last axis."""
        n_market = len(self.builder_.market_names)
        n_pair = len(self.builder_.names) - n_market
        return slice(0, n_pair), slice(n_pair, n_pair + n_market)

    def _with_market(self, built: np.ndarray, raw: pd.DataFrame) -> np.ndarray:
        """A copy of ``built`` whose market block is read from ``raw`` (altered) values."""
        out = built.copy()
        out[:, :, self._columns()[1]] = self.builder_.scale_market(raw)[:, None, :]
        return out

    def partial_dependence(
        self,
        returns: pd.DataFrame,
        features: pd.DataFrame,
        *,
        feature: str,
        as_of: pd.Timestamp | str | None = None,
        grid: np.ndarray | None = None,
    ) -> pd.Series:
        """The predicted average correlation as ``feature`` moves across its range.

        The feature is set to each grid value on every date the forecast reads (an lstm's
        whole sequence); the average is over the model's training pairs (every pair up to
        ``max_pairs``, a stratified sample above), of the correlations before the PSD
        repair, so a curve costs a few thousand pair predictions whatever the universe.

        Parameters
        ----------
        returns : pandas.DataFrame
            Daily returns of the fitted assets.
        features : pandas.DataFrame
            The feature panel the model was fitted with.
        feature : str
            One of its columns.
        as_of : pandas.Timestamp or str, optional
            The forecast date (default: the last row); later rows are ignored.
        grid : numpy.ndarray, optional
            Values to set (default: GRID_POINTS quantiles, 5% to 95%, of the feature up
            to ``as_of``).

        Returns
        -------
        pandas.Series
            Average pairwise predicted correlation, indexed by the feature's value.
        """
        if feature not in (self.builder_.market_columns or []):
            raise ValueError(
                f"{feature!r} is not a market feature of this model; it has "
                f"{self.builder_.market_columns or []}"
            )
        returns, features, row = _until(returns, features, as_of)
        if grid is None:
            grid = np.nanquantile(features[feature], np.linspace(0.05, 0.95, GRID_POINTS))
        rows = self._input_rows(np.array([row]))
        built = self.builder_.build(returns, features, rows, pairs=self.pairs_)
        raw = self.builder_.raw_market(features, returns.index[rows])
        values = []
        for v in grid:
            moved = raw.copy()
            moved[feature] = v
            x = self._with_market(built, moved)
            values.append(float(np.tanh(self._predict_built(x, 1)).mean()))
        return pd.Series(values, index=pd.Index(grid, name=feature), name="average correlation")

    def forecast_move(
        self,
        returns: pd.DataFrame,
        features: pd.DataFrame | None = None,
        *,
        previous: pd.Timestamp | str,
        as_of: pd.Timestamp | str | None = None,
    ) -> ForecastMove:
        """Why the forecast moved: its change since ``previous``, attributed to the inputs.

        Each market feature's contribution is the change its move made, with every other
        input at today's value: today's prediction minus the prediction with that one
        feature set back to its value as of ``previous``; the pair features (what the
        returns say of each pair) are set back together. What the one-at-a-time
        contributions do not add up to is reported as ``interaction``. Averages are over
        every pair, of the predicted correlation before the PSD repair.

        Parameters
        ----------
        returns : pandas.DataFrame
            Daily returns of the fitted assets.
        features : pandas.DataFrame, optional
            The feature panel the model was fitted with.
        previous : pandas.Timestamp or str
            The earlier forecast's date (e.g. the previous rebalance); a row of
            ``returns`` before ``as_of``.
        as_of : pandas.Timestamp or str, optional
            The current forecast's date (default: the last row); later rows are ignored.

        Returns
        -------
        ForecastMove
            Both averages and the attribution.
        """
        returns, features, row = _until(returns, features, as_of)
        previous = pd.Timestamp(previous)
        if previous not in returns.index or returns.index.get_loc(previous) >= row:
            raise ValueError(
                f"previous={previous.date()} must be a row of the returns before "
                f"{returns.index[row].date()}"
            )
        positions = np.array([returns.index.get_loc(previous), row])
        rows = self._input_rows(positions)
        built = self.builder_.build(returns, features, rows)
        half = len(rows) // 2
        then, now = built[:half], built[half:]

        def average(x: np.ndarray) -> float:
            return float(np.tanh(self._predict_built(x, 1)).mean())

        before, after = average(then), average(now)
        pair_cols, _ = self._columns()
        raw = self.builder_.raw_market(features, returns.index[rows])
        raw_then, raw_now = raw.iloc[:half].reset_index(drop=True), raw.iloc[half:]
        raw_now = raw_now.reset_index(drop=True)
        held = now.copy()
        held[:, :, pair_cols] = then[:, :, pair_cols]
        records = [(PAIR_GROUP, np.nan, np.nan, after - average(held))]
        for name in self.builder_.market_columns or []:
            moved = raw_now.copy()
            moved[name] = raw_then[name]
            held = self._with_market(now, moved)
            records.append(
                (name, raw_then[name].iloc[-1], raw_now[name].iloc[-1], after - average(held))
            )
        table = pd.DataFrame(
            records, columns=["input", "previous_value", "value", "contribution"]
        ).set_index("input")
        explained = float(table["contribution"].sum())
        table.loc[INTERACTION] = [np.nan, np.nan, (after - before) - explained]
        order = table["contribution"].abs().sort_values(ascending=False).index
        return ForecastMove(
            previous=pd.Timestamp(returns.index[positions[0]]),
            as_of=pd.Timestamp(returns.index[row]),
            before=before,
            after=after,
            contributions=table.loc[order],
        )


@dataclass(frozen=True)
class ForecastMove:
    """The change of the predicted average correlation between two dates, attributed.

    Attributes
    ----------
    previous : pandas.Timestamp
        The earlier forecast's date.
    as_of : pandas.Timestamp
        The current forecast's date.
    before : float
        Predicted average correlation as of ``previous``.
    after : float
        Predicted average correlation as of ``as_of``.
    contributions : pandas.DataFrame
        Per input (market features by name, :data:`PAIR_GROUP`, :data:`INTERACTION`):
        ``previous_value``, ``value`` (the market feature as of each date) and
        ``contribution`` (they sum to ``after - before``), largest move first.
    """

    previous: pd.Timestamp
    as_of: pd.Timestamp
    before: float
    after: float
    contributions: pd.DataFrame

    @property
    def change(self) -> float:
        """``after - before``."""
        return self.after - self.before


@dataclass(frozen=True)
class Explanation:
    """What drives a fitted feature-learning forecaster, as of one date.

    Attributes
    ----------
    family : str
        The forecaster's family.
    as_of : pandas.Timestamp
        The explained date.
    importances : pandas.Series
        :meth:`PairExplainer.feature_importances`.
    dependence : dict of str to pandas.Series
        :meth:`PairExplainer.partial_dependence` of the most important market features.
    move : ForecastMove or None
        :meth:`PairExplainer.forecast_move` since the previous date asked for.
    """

    family: str
    as_of: pd.Timestamp
    importances: pd.Series
    dependence: dict[str, pd.Series]
    move: ForecastMove | None = None

    def to_dict(self) -> dict:
        """JSON-ready form (the move is left out), read back by :meth:`from_dict`.

        Returns
        -------
        dict
            ``family``, ``as_of``, ``importances`` and ``dependence`` as plain values.
        """
        return {
            "family": self.family,
            "as_of": str(self.as_of.date()),
            "importances": {str(k): float(v) for k, v in self.importances.items()},
            "dependence": {
                f: {"values": [float(x) for x in c.index], "correlation": c.tolist()}
                for f, c in self.dependence.items()
            },
        }

    @classmethod
    def from_dict(cls, data: dict) -> Explanation:
        """The explanation stored by :meth:`to_dict`.

        Parameters
        ----------
        data : dict
            As written by :meth:`to_dict`.

        Returns
        -------
        Explanation
            Without the move.
        """
        dependence = {
            f: pd.Series(
                c["correlation"], index=pd.Index(c["values"], name=f), name="average correlation"
            )
            for f, c in data["dependence"].items()
        }
        return cls(
            family=data["family"],
            as_of=pd.Timestamp(data["as_of"]),
            importances=pd.Series(data["importances"], name="importance"),
            dependence=dependence,
        )


def explain(
    forecaster: PairExplainer,
    returns: pd.DataFrame,
    features: pd.DataFrame | None = None,
    *,
    as_of: pd.Timestamp | str | None = None,
    top: int = TOP_FEATURES,
    previous: pd.Timestamp | str | None = None,
    random_state: int = 0,
) -> Explanation:
    """Importances, partial dependence of the top market features and, optionally, the move.

    Parameters
    ----------
    forecaster : PairExplainer
        A fitted ``gbm`` or ``lstm``.
    returns : pandas.DataFrame
        Daily returns of the fitted assets.
    features : pandas.DataFrame, optional
        The feature panel the model was fitted with.
    as_of : pandas.Timestamp or str, optional
        The explained date (default: the last row).
    top : int, default TOP_FEATURES
        Market features (most important first) to draw partial dependence for.
    previous : pandas.Timestamp or str, optional
        Explain the move of the forecast since this date too.
    random_state : int, default 0
        Seed of the permutations.

    Returns
    -------
    Explanation
        Everything explained.
    """
    if not isinstance(forecaster, PairExplainer):
        raise TypeError(
            f"{type(forecaster).__name__} does not learn from features: nothing to explain"
        )
    returns, features, row = _until(returns, features, as_of)
    importances = forecaster.feature_importances(returns, features, random_state=random_state)
    market = [f for f in importances.index if f in (forecaster.builder_.market_columns or [])]
    dependence = {
        f: forecaster.partial_dependence(returns, features, feature=f) for f in market[:top]
    }
    move = (
        None if previous is None else forecaster.forecast_move(returns, features, previous=previous)
    )
    return Explanation(
        family=forecaster.name,
        as_of=pd.Timestamp(returns.index[row]),
        importances=importances,
        dependence=dependence,
        move=move,
    )


def _until(
    returns: pd.DataFrame, features: pd.DataFrame | None, as_of
) -> tuple[pd.DataFrame, pd.DataFrame | None, int]:
    """Rows up to ``as_of`` (the last by default) and its position."""
    if as_of is not None:
        returns = returns.loc[: pd.Timestamp(as_of)]
        if features is not None:
            features = features.loc[: pd.Timestamp(as_of)]
    return returns, features, len(returns) - 1
