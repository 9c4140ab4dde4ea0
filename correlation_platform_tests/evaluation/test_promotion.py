"""The champion rule of one training round, without Dagster."""

import numpy as np
import pandas as pd
import pytest

from correlation_platform.evaluation import (
    SCORE_STEP,
    diebold_mariano,
    overlap_lags,
    select_champion,
)

FAMILIES = ("historical", "ewma", "gbm")
DATES = pd.bdate_range("2020-01-01", periods=200, freq="5B")


def _record(losses: np.ndarray, step: int = SCORE_STEP) -> dict:
    return {
        "test_losses": {"frobenius": list(losses)},
        "test_dates": [str(d.date()) for d in DATES],
        "test_step": step,
    }


@pytest.fixture
def records():
    rng = np.random.default_rng(3)
    base = 1.0 + 0.1 * rng.standard_normal(len(DATES))
    return {
        "historical": _record(base),
        "ewma": _record(base - 0.08 + 0.01 * rng.standard_normal(len(DATES))),
        "gbm": _record(base - 0.02 + 0.05 * rng.standard_normal(len(DATES))),
    }


def test_first_round_the_best_challenger_takes_the_title_from_the_benchmark(records):
    out = select_champion(
        records, current=None, families=FAMILIES, benchmark="historical", horizon=21
    )
    assert out.decision.promote and out.decision.champion == "ewma"
    assert out.decision.challenger == "historical" and not out.partial
    assert list(out.table.index[:1]) == ["ewma"]  # best first


def test_the_holder_defends_against_the_best_other_family(records):
    out = select_champion(
        records, current="ewma", families=FAMILIES, benchmark="historical", horizon=21
    )
    # gbm is the best other family by mean loss (historical is worse) and does not beat ewma.
    assert not out.decision.promote
    assert (out.decision.champion, out.decision.challenger) == ("ewma", "gbm")


def test_a_partial_round_decides_nothing(records):
    partial = {k: v for k, v in records.items() if k != "gbm"}
    out = select_champion(
        partial, current="historical", families=FAMILIES, benchmark="historical", horizon=21
    )
    assert out.partial and out.missing == ["gbm"]
    assert not out.decision.promote and out.decision.champion == "historical"
    assert out.decision.challenger is None and "partial training" in out.decision.reason
    fresh = select_champion(
        partial, current=None, families=FAMILIES, benchmark="historical", horizon=21
    )
    assert fresh.decision.champion == "historical"  # no holder yet: the benchmark


def test_the_dm_lag_order_is_the_overlap_at_the_selection_step(records):
    out = select_champion(
        records, current=None, families=FAMILIES, benchmark="historical", horizon=21
    )
    assert out.lags == overlap_lags(21, step=SCORE_STEP) == 5  # ceil(21 / 5)
    losses = {k: np.array(v["test_losses"]["frobenius"]) for k, v in records.items()}
    dm = diebold_mariano(losses["ewma"], losses["historical"], horizon=5)
    assert out.decision.evidence["dm_stat"] == pytest.approx(dm.statistic)
    weekly = {k: _record(np.array(v["test_losses"]["frobenius"]), 10) for k, v in records.items()}
    assert (
        select_champion(
            weekly, current=None, families=FAMILIES, benchmark="historical", horizon=21
        ).lags
        == 3
    )
    mixed = {**records, "gbm": _record(np.array(records["gbm"]["test_losses"]["frobenius"]), 10)}
    with pytest.raises(ValueError, match="different steps"):
        select_champion(mixed, current=None, families=FAMILIES, benchmark="historical", horizon=21)
