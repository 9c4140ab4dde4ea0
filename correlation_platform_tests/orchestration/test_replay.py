"""A shortened replay: the daily life through the real definitions, with a known break."""

import numpy as np
import pandas as pd
import pytest
from dagster import DagsterInstance

from correlation_platform.forecasters import FORECASTERS
from correlation_platform.orchestration.io_manager import (
    ParquetIOManager,
    read_stored,
    stored_partitions,
)
from correlation_platform.orchestration.replay import run_replay
from correlation_platform.orchestration.resources import MarketDataResource, PlatformSettings
from correlation_platform.portfolio import CASH

HISTORY, DAYS, BREAK_AFTER = 700, 42, 22
HORIZON, WINDOW, MAX_TURNOVER = 10, 5, 0.5


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    home = tmp_path_factory.mktemp("replay")
    mp = pytest.MonkeyPatch()
    mp.setenv("CORRPLAT_HOME", str(home))
    mp.setenv("DAGSTER_HOME", str(home / "dagster"))
    mp.delenv("MLFLOW_TRACKING_URI", raising=False)
    (home / "dagster").mkdir()
    market = MarketDataResource(
        source="synthetic",
        options={
            "kind": "break",
            "n_assets": 8,
            "n_days": HISTORY + DAYS,
            "break_day": HISTORY + BREAK_AFTER,
            "seed": 11,
        },
    )
    dates = pd.bdate_range("2000-01-03", periods=HISTORY + DAYS)
    settings = PlatformSettings(
        horizon=HORIZON,
        drift_window=WINDOW,
        max_turnover=MAX_TURNOVER,
        volatility_model="ewma",
        tuning_budget_seconds=5.0,
        tuning_folds=1,
    )
    summary, frame = run_replay(
        market=market,
        days=list(dates[-DAYS:]),
        settings=settings,
        families=["historical", "ewma"],
        break_day=str(dates[HISTORY + BREAK_AFTER].date()),
        instance=DagsterInstance.ephemeral(),
    )
    yield summary, frame, home, market.load()
    mp.undo()


@pytest.mark.slow
def test_one_alert_after_the_break_and_retraining_soon_after(replayed):
    summary, frame, home, _ = replayed
    assert summary.daily_runs == DAYS and summary.failed_runs == 0
    breaks = pd.Timestamp(summary.break_day)
    assert len(summary.alerts) == 1, summary.alerts  # none before the break, one after
    alerted = pd.Timestamp(summary.alerts[0])
    assert alerted > breaks
    # The break reaches scored forecasts as their holding periods close: within two
    # holding periods the alert and its retraining request are out.
    assert len(pd.bdate_range(breaks, alerted)) <= 2 * HORIZON
    assert summary.retraining_days == summary.alerts
    # Requests: every family on the quarter start (2002-10-01) and on the alert; executed:
    # the two trained families at the bootstrap, the quarter start and the alert.
    assert summary.retraining_requested == 2 * len(FORECASTERS)
    assert summary.retraining_runs == 2 + 2 + 2 and summary.champion_runs == 3
    assert len(list((home / "alerts").glob("correlation-drift-*.json"))) == 1
    assert not frame.loc[: breaks - pd.Timedelta(days=1), "drifted"].any()
    assert summary.forecasts_scored == DAYS - HORIZON


@pytest.mark.slow
def test_the_book_is_cash_plus_shares_at_the_close_every_day(replayed):
    _, frame, home, market = replayed
    books = stored_partitions("portfolio_book", io=ParquetIOManager(base_dir=str(home / "assets")))
    assert list(books) == [str(d.date()) for d in frame.index]
    for day, path in books.items():
        book = read_stored(path)
        prices = market.prices.loc[pd.Timestamp(day)]
        held = book.drop(CASH)
        np.testing.assert_allclose(held["price"], prices[held.index], rtol=1e-12)
        nav = book.loc[CASH, "shares"] + (held["shares"] * held["price"]).sum()
        assert frame.loc[day, "nav"] == pytest.approx(nav, rel=1e-12)
        assert (held["shares"] >= 0).all()


@pytest.mark.slow
def test_turnover_within_the_limit_and_nothing_read_from_the_future(replayed):
    _, frame, _, _ = replayed
    assert frame["turnover"].iloc[0] == 1.0  # built from cash
    assert (frame["turnover"].iloc[1:] <= MAX_TURNOVER + 1e-6).all()
    for day, row in frame.iterrows():
        assert row["prices_last_date"] == str(day.date())  # ingested what had arrived
        assert row["prediction_as_of"] == str(day.date())
        assert row["model_source"] == "champion"  # every day is after its training end
