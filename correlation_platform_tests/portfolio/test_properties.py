"""Property: every objective's weights meet the budget, bounds, sector caps and turnover
limit they were asked for, or the optimiser refuses; never weights that break one."""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from correlation_platform.portfolio import (
    OBJECTIVES,
    InfeasiblePortfolioError,
    portfolio_constraints,
    rebalance_weights,
    weight_violations,
)


@settings(max_examples=120, deadline=None)
@given(
    objective=st.sampled_from(OBJECTIVES),
    n=st.integers(min_value=3, max_value=12),
    seed=st.integers(min_value=0, max_value=100_000),
    mixed_loadings=st.booleans(),
    cap_slack=st.floats(min_value=0.05, max_value=1.0),
    use_sectors=st.booleans(),
    turnover=st.one_of(st.none(), st.floats(min_value=0.05, max_value=1.5)),
    cost_bps=st.sampled_from([0.0, 5.0, 50.0]),
)
def test_weights_meet_every_constraint_or_are_refused(
    objective, n, seed, mixed_loadings, cap_slack, use_sectors, turnover, cost_bps
):
    rng = np.random.default_rng(seed)
    assets = [f"S{k}" for k in range(n)]
    loadings = rng.normal(0.0 if mixed_loadings else 0.6, 0.4, size=(n, 2))
    cov = loadings @ loadings.T + np.diag(rng.uniform(0.2, 1.0, n))
    vol = np.sqrt(np.diag(cov)) * 0.01
    corr = cov / np.outer(np.sqrt(np.diag(cov)), np.sqrt(np.diag(cov)))
    mu = rng.normal(3e-4, 3e-4, n)
    upper = min(1.0, 1.0 / n + cap_slack)
    sectors = pd.Series([f"g{k % 3}" for k in range(n)], index=assets) if use_sectors else None
    rp_ok = objective != "risk_parity" or (not use_sectors and turnover is None)
    current = pd.Series(rng.dirichlet(np.ones(n)), index=assets)
    try:
        constraints = portfolio_constraints(
            assets, bounds=(0.0, upper), sectors=sectors,
            sector_cap=0.6 if use_sectors else None, max_turnover=turnover,
            cost_bps=cost_bps, horizon=21,
        )  # fmt: skip
        res = rebalance_weights(
            corr, vol, mu, objective=objective, constraints=constraints,
            target_volatility=0.12, current_weights=current, assets=assets,
        )  # fmt: skip
    except (InfeasiblePortfolioError, ValueError) as refusal:
        assert str(refusal)
        if isinstance(refusal, InfeasiblePortfolioError):
            return
        assert not rp_ok or "cannot" in str(refusal) or "room" in str(refusal), refusal
        return
    problems = weight_violations(res.weights, constraints, current, tol=1e-5)
    if objective == "risk_parity":  # its budgets fix the weights; bounds are reported
        problems = [p for p in problems if "bound" not in p]
    assert not problems, (objective, problems, res.fallback, res.reason)
