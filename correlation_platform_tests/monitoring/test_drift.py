import numpy as np
import pandas as pd
import pytest

from correlation_platform.forecasters import get_forecaster
from correlation_platform.linalg import correlation_matrix_distance
from correlation_platform.monitoring import detect_drift, forecast_error_frame, write_alert


def test_forecast_error_scores_closed_forecasts(regime_returns):
    f = get_forecaster("historical").fit(regime_returns)
    errors = forecast_error_frame(f, regime_returns, horizon=21, lookback_days=100, step=10)
    assert errors.index[-1] <= regime_returns.index[-22]
    d = errors.index[0]
    pos = regime_returns.index.get_loc(d)
    realized = np.corrcoef(regime_returns.iloc[pos + 1 : pos + 22].to_numpy(), rowvar=False)
    predicted = f.predict(regime_returns.loc[:d]).to_numpy()
    assert errors.loc[d, "cmd"] == pytest.approx(
        correlation_matrix_distance(predicted, realized), rel=1e-12
    )


def test_drift_rules_both_ways():
    idx = pd.bdate_range("2020-01-01", periods=40)
    calm = pd.DataFrame({"cmd": np.full(40, 0.05)}, index=idx)
    assert not detect_drift(calm).drifted
    shifted = calm.copy()
    shifted.iloc[-12:] = 0.15
    d = detect_drift(shifted)
    assert d.drifted and d.ratio == pytest.approx(3.0) and "baseline" in d.reason
    assert not detect_drift(calm.iloc[:5]).drifted


def test_alert_file(corrplat_home):
    path = write_alert("run-failure", "abc/1", {"job": "x"})
    assert path.parent == corrplat_home / "alerts" and '"job": "x"' in path.read_text()
