import pandas as pd
import pytest

from correlation_platform.evaluation import choose_champion, score_holdout
from correlation_platform.evaluation.selection import holdout_dates
from correlation_platform.forecasters import get_forecaster


def test_holdout_training_is_purged(regime_returns):
    f = get_forecaster("ewma")
    score = score_holdout(f, regime_returns, holdout_days=200, horizon=21, step=5)
    # Training stops `horizon` rows before the first holdout forecast: no label overlap.
    gap = regime_returns.index.get_loc(score.start) - regime_returns.index.get_loc(f.train_end_)
    assert gap == 21
    assert score.end <= regime_returns.index[-22]


def test_holdout_dates_leave_room_for_labels():
    idx = pd.bdate_range("2020-01-01", periods=100)
    d = holdout_dates(idx, 30, 10, 1)
    assert d[-1] == idx[89] and len(d) == 30


def test_champion_rule_and_ties():
    assert choose_champion({"ewma": 1.0, "historical": 2.0}, "historical")[0] == "ewma"
    assert choose_champion({"ewma": 1.0, "historical": 1.0}, "historical")[0] == "historical"
    with pytest.raises(ValueError):
        choose_champion({}, "historical")
