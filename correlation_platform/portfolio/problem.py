"""One optimisation request, validated and prepared for any solver.

:func:`portfolio_problem` checks every input before any work (each error names the
input and what is accepted), repairs a covariance that is not PSD (saying so), builds the
sector matrix, and rescales by s^2 = mean variance (S -> S/s^2, mu -> mu/s^2,
cost -> cost/s^2), which leaves the optimum unchanged and keeps daily-variance-sized
numbers away from the solvers' absolute tolerances.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from correlation_platform.portfolio.objective import USES_EXPECTED_RETURNS, Objective
from correlation_platform.portfolio.programs import psd_covariance
from correlation_platform.units import TRADING_DAYS

#: A covariance whose minimum eigenvalue is below -this x its mean variance is reported as
#: not PSD (beyond the rounding of a PSD estimate) when it is repaired.
NOT_PSD_BEYOND_ROUNDING = 1e-8
#: Bounds may overshoot a fully invested portfolio by this much (float rounding of sums).
BUDGET_TOL = 1e-12

Bound = float | pd.Series
Groups = pd.Series | Mapping[str, Sequence[str]]


@dataclass(frozen=True)
class PortfolioProblem:
    """A validated request: the data every objective's solvers read.

    Attributes
    ----------
    objective : Objective
        What to optimise.
    assets : list of str
        Labels, in the covariance's order.
    covariance : numpy.ndarray
        The daily covariance as given.
    scale2 : float
        The rescaling s^2 (mean variance).
    scaled_covariance : numpy.ndarray
        The PSD-repaired covariance divided by ``scale2``.
    mu : numpy.ndarray
        Daily expected returns (zeros when none were given).
    lower, upper : numpy.ndarray
        Per-asset bounds.
    current : numpy.ndarray or None
        Current weights when given (zeros elsewhere), else None.
    sectors : tuple of numpy.ndarray or None
        (membership matrix, caps) of the capped groups.
    max_turnover : float or None
        Limit on sum |w - current|.
    transaction_cost : float
        Linear cost per unit of turnover (daily-return units).
    risk_aversion : float
        Mean-variance risk aversion.
    target_volatility : float
        Annualised target of target volatility.
    budgets : numpy.ndarray
        Normalised risk budgets (risk parity).
    repair_note : str
        Why the covariance was repaired, or empty.
    """

    objective: Objective
    assets: list[str]
    covariance: np.ndarray
    scale2: float
    scaled_covariance: np.ndarray
    mu: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    current: np.ndarray | None
    sectors: tuple[np.ndarray, np.ndarray] | None
    max_turnover: float | None
    transaction_cost: float
    risk_aversion: float
    target_volatility: float
    budgets: np.ndarray
    repair_note: str

    @property
    def costs(self) -> bool:
        """Whether a transaction-cost term is in the objective."""
        return self.transaction_cost > 0

    @property
    def scaled_mu(self) -> np.ndarray:
        """Expected returns on the rescaled problem's scale (mu / s^2)."""
        return self.mu / self.scale2

    @property
    def w0(self) -> np.ndarray:
        """The current weights, zeros when there are none (a portfolio from cash)."""
        return np.zeros(len(self.assets)) if self.current is None else self.current

    def annual_volatility(self, w: np.ndarray) -> float:
        """Annualised ex-ante volatility of weights ``w`` under the given covariance.

        Parameters
        ----------
        w : numpy.ndarray
            Weights.

        Returns
        -------
        float
            sqrt(252 w' S w).
        """
        return float(np.sqrt(max(w @ self.covariance @ w, 0.0) * TRADING_DAYS))

    def as_objective(self, objective: Objective) -> PortfolioProblem:
        """The same data and constraints under another objective (a rescue).

        Parameters
        ----------
        objective : Objective
            The rescue's objective.

        Returns
        -------
        PortfolioProblem
            A copy with ``objective`` replaced.
        """
        from dataclasses import replace

        return replace(self, objective=objective)


def _bound_vector(bound: Bound, assets: list[str], name: str) -> np.ndarray:
    if isinstance(bound, pd.Series):
        missing = [a for a in assets if a not in bound.index]
        if missing:
            raise ValueError(f"{name} bound missing for {missing}")
        return bound.reindex(assets).to_numpy(float)
    return np.full(len(assets), float(bound))


def group_matrix(
    assets: list[str], groups: Groups, caps: Mapping[str, float]
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Rows of 0/1 membership per capped group.

    Parameters
    ----------
    assets : list of str
        Column order of the matrix.
    groups : pandas.Series or mapping
        Asset -> group, or group -> assets.
    caps : mapping
        Group -> maximum weight.

    Returns
    -------
    tuple
        (membership matrix, caps vector, group names), one row per capped group.
    """
    if isinstance(groups, pd.Series):
        # One pass over the labels (a comparison per group cost ~0.1 ms each in pandas).
        members: dict = {}
        for asset, label in groups.items():
            members.setdefault(label, []).append(asset)
    else:
        members = {g: list(a) for g, a in groups.items()}
    names = [g for g in caps if g in members]
    unknown = sorted(set(caps) - set(members))
    if unknown:
        raise ValueError(f"group caps for unknown groups {unknown}")
    g = np.zeros((len(names), len(assets)))
    pos = {a: i for i, a in enumerate(assets)}
    for row, name in enumerate(names):
        for asset in members[name]:
            if asset in pos:
                g[row, pos[asset]] = 1.0
    return g, np.array([float(caps[n]) for n in names]), names


def _checked_covariance(covariance: pd.DataFrame) -> tuple[list[str], np.ndarray]:
    assets = list(covariance.columns)
    n = len(assets)
    cov = covariance.to_numpy(dtype=float)
    if cov.shape != (n, n) or not np.all(np.isfinite(cov)):
        raise ValueError("covariance must be a finite square frame with matching labels")
    if list(covariance.index) != assets:
        raise ValueError(
            "covariance rows and columns carry different labels: "
            f"{list(covariance.index)[:5]}... vs {assets[:5]}..."
        )
    degenerate = [a for a, v in zip(assets, np.diag(cov), strict=True) if not v > 0]
    if degenerate:
        raise ValueError(
            f"zero or negative variance for {degenerate}: a riskless-looking asset (e.g. a "
            "frozen price) would take the whole budget; repair the inputs or drop the asset"
        )
    return assets, cov


def _checked_bounds(
    bounds: tuple[Bound, Bound], assets: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    lb, ub = _bound_vector(bounds[0], assets, "lower"), _bound_vector(bounds[1], assets, "upper")
    if not (np.all(np.isfinite(lb)) and np.all(np.isfinite(ub))):
        raise ValueError(f"bounds must be finite (wide ones such as (-10, 10) work); got {bounds}")
    if lb.sum() > 1 + BUDGET_TOL or ub.sum() < 1 - BUDGET_TOL or np.any(lb > ub):
        raise ValueError(
            f"bounds {bounds} cannot hold a fully invested portfolio of {len(assets)} assets"
        )
    return lb, ub


def _checked_mu(
    expected_returns: pd.Series | None,
    assets: list[str],
    objective: Objective,
    risk_aversion: float,
) -> np.ndarray:
    if expected_returns is not None and set(expected_returns.index) != set(assets):
        missing = sorted(set(assets) - set(expected_returns.index), key=str)
        extra = sorted(set(expected_returns.index) - set(assets), key=str)
        raise ValueError(
            f"expected_returns labels differ from the covariance's: missing {missing}, "
            f"unknown {extra}"
        )
    mu = (
        np.zeros(len(assets))
        if expected_returns is None
        else expected_returns.reindex(assets).to_numpy(float)
    )
    if objective == Objective.MEAN_VARIANCE and not float(risk_aversion) >= 0:
        raise ValueError(f"risk_aversion must be >= 0, got {risk_aversion}")
    if np.any(~np.isfinite(mu)):
        raise ValueError("expected_returns must cover every asset with finite values")
    if objective in USES_EXPECTED_RETURNS and expected_returns is None:
        raise ValueError(f"{objective} needs expected_returns (see portfolio.expected_returns)")
    return mu


def _repaired(cov: np.ndarray) -> tuple[float, np.ndarray, str]:
    """(s^2, PSD covariance / s^2, note when the repair went beyond rounding)."""
    scale2 = float(np.mean(np.diag(cov))) or 1.0
    # psd_covariance guarantees what Parameter(PSD=True) would re-check with an O(N^3)
    # eigen-decomposition on every assignment (save_value skips that second check).
    repaired = psd_covariance(cov)
    note = ""
    if repaired is not cov and not np.array_equal(repaired, (cov + cov.T) / 2):
        lowest = float(np.linalg.eigvalsh((cov + cov.T) / 2)[0])
        if lowest < -NOT_PSD_BEYOND_ROUNDING * scale2:
            note = (
                f"covariance not PSD (minimum eigenvalue {lowest:.3g}): negative eigenvalues "
                "clipped to zero before optimising"
            )
    return scale2, repaired / scale2, note


def portfolio_problem(
    covariance: pd.DataFrame,
    *,
    objective: str = Objective.MIN_VARIANCE,
    expected_returns: pd.Series | None = None,
    target_volatility: float = 0.10,
    current_weights: pd.Series | None = None,
    max_turnover: float | None = None,
    bounds: tuple[Bound, Bound] = (0.0, 1.0),
    transaction_cost: float = 0.0,
    risk_aversion: float = 1.0,
    groups: Groups | None = None,
    group_caps: Mapping[str, float] | None = None,
    risk_budgets: pd.Series | None = None,
) -> PortfolioProblem:
    """Validate a request and prepare its data; parameters as in :func:`.optimize`.

    Parameters
    ----------
    covariance : pandas.DataFrame
        Daily covariance, same labels on rows and columns.
    objective : str
        One of :class:`Objective`.
    expected_returns : pandas.Series, optional
        Daily expected returns per asset.
    target_volatility : float
        Annualised target of target volatility.
    current_weights : pandas.Series, optional
        The book before the trade (missing assets are 0).
    max_turnover : float, optional
        Limit on sum |w - current|.
    bounds : tuple
        (lower, upper), scalars or per-asset Series.
    transaction_cost : float
        Linear penalty per unit of turnover, >= 0.
    risk_aversion : float
        Mean-variance risk aversion, >= 0.
    groups : pandas.Series or mapping, optional
        Asset -> group or group -> assets.
    group_caps : mapping, optional
        Group -> maximum weight.
    risk_budgets : pandas.Series, optional
        Risk parity's budgets (default equal).

    Returns
    -------
    PortfolioProblem
        The validated, rescaled problem.
    """
    objective = Objective.parse(objective)
    assets, cov = _checked_covariance(covariance)
    n = len(assets)
    lb, ub = _checked_bounds(bounds, assets)
    mu = _checked_mu(expected_returns, assets, objective, risk_aversion)
    current = (
        None
        if current_weights is None
        else current_weights.reindex(assets).fillna(0.0).to_numpy(float)
    )
    sectors = None
    if group_caps:
        if groups is None:
            raise ValueError("group_caps need groups (asset -> group)")
        gmat, caps, _ = group_matrix(assets, groups, group_caps)
        sectors = (gmat, caps) if len(caps) else None
    if objective == Objective.RISK_PARITY and (max_turnover is not None or group_caps):
        raise ValueError(
            "risk_parity cannot honour a turnover limit or sector caps (its budgets fix the "
            "weights); drop them or choose another objective"
        )
    if not transaction_cost >= 0:
        raise ValueError(f"transaction_cost must be >= 0, got {transaction_cost}")
    if objective == Objective.RISK_PARITY and transaction_cost > 0:
        raise ValueError(
            "risk_parity has no cost term (its risk budgets fix the weights): pass "
            "transaction_cost=0 and charge costs outside the optimiser"
        )
    budgets = (
        np.full(n, 1.0 / n)
        if risk_budgets is None
        else risk_budgets.reindex(assets).to_numpy(float)
    )
    scale2, scaled, note = _repaired(cov)
    return PortfolioProblem(
        objective=objective,
        assets=assets,
        covariance=cov,
        scale2=scale2,
        scaled_covariance=scaled,
        mu=mu,
        lower=lb,
        upper=ub,
        current=current,
        sectors=sectors,
        max_turnover=None if max_turnover is None else float(max_turnover),
        transaction_cost=float(transaction_cost),
        risk_aversion=float(risk_aversion),
        target_volatility=float(target_volatility),
        budgets=budgets / budgets.sum(),
        repair_note=note,
    )
