import numpy as np
import pandas as pd
import pytest

from correlation_platform.data import load_market_data
from correlation_platform.features import simple_returns
from correlation_platform.forecasters import get_forecaster
from correlation_platform.linalg import correlation_matrix_distance
from correlation_platform.monitoring import (
    drift_states,
    latest_decision,
    noise_floor,
    score_forecasts,
    write_alert,
)


def _recorded(forecaster, returns, dates):
    """Forecasts as the daily chain records them: fitted and predicted from rows <= date."""
    return {d: forecaster.fit(returns.loc[:d]).predict(returns.loc[:d], horizon=21) for d in dates}


def test_score_forecasts_scores_closed_periods_only(regime_returns):
    dates = regime_returns.index[[300, 310, len(regime_returns) - 21, len(regime_returns) - 5]]
    forecasts = _recorded(get_forecaster("ewma"), regime_returns, dates)
    scores = score_forecasts(
        forecasts, regime_returns, horizon=21, benchmark=get_forecaster("historical")
    )
    assert list(scores.index) == list(dates[:2])  # the last two have not closed
    pos = regime_returns.index.get_loc(dates[0])
    realised = np.corrcoef(regime_returns.iloc[pos + 1 : pos + 22].to_numpy(), rowvar=False)
    row = scores.iloc[0]
    assert row["closed_on"] == regime_returns.index[pos + 21]
    assert row["champion_cmd"] == pytest.approx(
        correlation_matrix_distance(forecasts[dates[0]].to_numpy(), realised), rel=1e-12
    )
    bench = get_forecaster("historical").fit(regime_returns.loc[: dates[0]])
    assert row["benchmark_cmd"] == pytest.approx(
        correlation_matrix_distance(
            bench.predict(regime_returns.loc[: dates[0]]).to_numpy(), realised
        ),
        rel=1e-10,
    )
    n = regime_returns.shape[1]
    assert row["floor_cmd"] == noise_floor(n, 21, row["average_correlation"])


def test_scores_do_not_read_rows_after_the_period(regime_returns):
    dates = regime_returns.index[[300, 320]]
    forecasts = _recorded(get_forecaster("ewma"), regime_returns, dates)
    short = regime_returns.iloc[: 320 + 22]
    later = regime_returns.copy()
    later.iloc[320 + 22 :] *= 5.0  # rewrite the future
    a = score_forecasts(forecasts, short, horizon=21, benchmark=get_forecaster("historical"))
    b = score_forecasts(forecasts, later, horizon=21, benchmark=get_forecaster("historical"))
    pd.testing.assert_frame_equal(a, b)


def _scores(values, floor=0.1, bench=None):
    idx = pd.bdate_range("2024-01-01", periods=len(values))
    values = np.asarray(values, dtype=float)
    bench = values if bench is None else np.asarray(bench, dtype=float)
    return pd.DataFrame(
        {
            "closed_on": idx,
            "average_correlation": 0.3,
            "champion_cmd": values,
            "champion_frobenius": values * 10,
            "benchmark_cmd": bench,
            "benchmark_frobenius": bench * 10,
            "floor_cmd": floor,
            "floor_frobenius": floor * 10,
        },
        index=idx - pd.offsets.BDay(21),
    )


def test_one_break_gives_one_episode_and_it_closes_when_the_error_returns():
    # Calm at the floor, a break to 3x, back to the floor: one episode, opened once.
    values = [0.1] * 40 + [0.3] * 30 + [0.1] * 40
    states = drift_states(_scores(values), window=5)
    episodes = states["episode"][states["episode"] != ""].unique()
    assert len(episodes) == 1
    first = states.index[states["drifted"]][0]
    assert states.index.get_loc(first) in range(40, 45)  # within the window after the break
    assert not states["drifted"].iloc[-1]
    assert not states["drifted"].iloc[:40].any()


def test_hysteresis_keeps_one_episode_while_the_error_hovers_at_the_limit():
    # Above the entry limit (1.5x) then hovering between the exit (1.2x) and entry levels.
    values = [0.1] * 30 + [0.2] * 10 + [0.14, 0.16] * 20
    states = drift_states(_scores(values), window=3)
    assert states["episode"][states["drifted"]].nunique() == 1
    assert states["drifted"].iloc[-1]  # never back under 1.2x: still the same episode


def test_worse_than_benchmark_is_drift_even_within_the_noise():
    values = [0.1] * 30
    bench = [0.1] * 15 + [0.08] * 15  # the benchmark improves, the champion does not
    states = drift_states(_scores(values, floor=0.09, bench=bench), window=5, noise_ratio=3.0)
    assert states["drifted"].iloc[-1]
    assert "benchmark" in states["breach"].iloc[-1]
    decision = latest_decision(states)
    assert decision.drifted and decision.episode == states["episode"].iloc[-1]


def test_reference_raises_the_explained_level():
    values = [0.2] * 30  # 2x the floor, but the champion's test error was 0.19
    assert drift_states(_scores(values), window=5)["drifted"].any()
    assert not drift_states(_scores(values), window=5, reference={"cmd": 0.19, "frobenius": 1.9})[
        "drifted"
    ].any()


def test_no_false_alarm_on_a_stationary_market():
    """A good forecaster on a market with constant correlation never drifts."""
    market = load_market_data("synthetic", kind="constant", n_assets=12, n_days=1300, seed=3)
    returns = simple_returns(market.prices)
    forecaster = get_forecaster("historical").fit(returns.iloc[:252])
    dates = returns.index[300:-21]
    forecasts = {
        f.date: pd.DataFrame(f.correlation, index=returns.columns, columns=returns.columns)
        for f in forecaster.iter_path(returns, None, dates=dates, horizon=21)
    }
    scores = score_forecasts(forecasts, returns, horizon=21, benchmark=get_forecaster("ewma"))
    states = drift_states(scores)
    ratio = states["recent_champion_cmd"] / states["recent_floor_cmd"]
    assert ratio.max() < 1.35  # the margin NOISE_RATIO = 1.5 is built on
    assert not states["drifted"].any()


def test_drift_states_refuses_bad_settings():
    with pytest.raises(ValueError, match="rearm_ratio"):
        drift_states(_scores([0.1] * 20), rearm_ratio=2.0, noise_ratio=1.5)
    with pytest.raises(ValueError, match="window"):
        drift_states(_scores([0.1] * 20), window=0)


def test_latest_decision_before_enough_history():
    decision = latest_decision(drift_states(_scores([0.1] * 3), window=5))
    assert not decision.drifted and "not enough" in decision.reason


def test_alert_file(corrplat_home):
    path = write_alert("run-failure", "abc/1", {"job": "x"})
    assert path.parent == corrplat_home / "alerts" and '"job": "x"' in path.read_text()
