import pandas as pd
import pytest

from correlation_platform.forecasters import get_forecaster
from correlation_platform.forecasters.point_in_time import as_of_forecaster


def test_champion_is_used_from_its_training_end(regime_returns):
    champion = get_forecaster("ewma").fit(regime_returns)
    end = regime_returns.index[-1]
    model = as_of_forecaster(champion, regime_returns, as_of=end, trained_until=end)
    assert model.forecaster is champion and model.source == "champion"


def test_past_dates_refit_on_their_past_only_and_are_cached(regime_returns, tmp_path):
    champion = get_forecaster("dcc").fit(regime_returns)
    end = regime_returns.index[-1]
    as_of = regime_returns.index[700]
    a = as_of_forecaster(
        champion, regime_returns, as_of=as_of, trained_until=end, cache_dir=tmp_path
    )
    assert a.source == "refit" and not a.cached
    assert a.fitted_until < as_of.to_period("Q").start_time
    assert a.forecaster.get_params() == champion.get_params()
    # Rewriting everything after the refit period's start changes nothing: no look-ahead.
    future = regime_returns.copy()
    future.loc[future.index >= as_of.to_period("Q").start_time] *= 3.0
    b = as_of_forecaster(champion, future, as_of=as_of, trained_until=end, cache_dir=tmp_path)
    assert b.cached  # same rows before the period: the cached refit is reused
    known = regime_returns.loc[:as_of]
    pd.testing.assert_frame_equal(a.forecaster.predict(known), b.forecaster.predict(known))
    fresh = get_forecaster("dcc", **champion.get_params()).fit(regime_returns.loc[: a.fitted_until])
    pd.testing.assert_frame_equal(a.forecaster.predict(known), fresh.predict(known))


def test_no_history_before_the_period_is_refused(regime_returns):
    champion = get_forecaster("historical", window=60).fit(regime_returns)
    with pytest.raises(ValueError, match="point-in-time"):
        as_of_forecaster(
            champion,
            regime_returns,
            as_of=regime_returns.index[5],
            trained_until=regime_returns.index[-1],
        )
