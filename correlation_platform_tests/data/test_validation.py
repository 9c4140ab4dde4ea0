import numpy as np
import pandas as pd
import pytest

from correlation_platform.data.validation import (
    DataValidationError,
    validate_indicators,
    validate_prices,
)


def _prices(n=80):
    idx = pd.bdate_range("2020-01-01", periods=n, name="date")
    return pd.DataFrame({"A": np.linspace(10, 20, n), "B": np.linspace(5, 6, n)}, index=idx)


def test_valid_prices_pass_as_float64():
    out = validate_prices(_prices().astype("float32"), origin="x.csv")
    assert (out.dtypes == "float64").all() and out.index.name == "date"


def _set(frame, row, column, value):
    frame = frame.copy()
    frame.iloc[row, frame.columns.get_loc(column)] = value
    return frame


@pytest.mark.parametrize(
    ("mutate", "rule", "column", "date"),
    [
        (lambda p: p.iloc[[0, 2, 1, *range(3, len(p))]], "unsorted-dates", "date", "2020-01-02"),
        (lambda p: pd.concat([p.iloc[:5], p.iloc[4:]]), "duplicate-dates", "date", "2020-01-07"),
        (lambda p: _set(p.astype(object), 7, "A", "n/a"), "non-numeric-price", "A", "2020-01-10"),
        (lambda p: _set(p, 3, "B", -1.0), "non-positive-price", "B", "2020-01-06"),
    ],
)
def test_each_rule_names_file_column_and_date(mutate, rule, column, date):
    with pytest.raises(DataValidationError) as err:
        validate_prices(mutate(_prices()), origin="prices.csv")
    msg = str(err.value)
    assert f"[{rule}]" in msg and "prices.csv" in msg and f"'{column}'" in msg and date in msg
    assert err.value.rule == rule


def test_too_short_history():
    with pytest.raises(DataValidationError, match=r"\[history-too-short\].*prices.csv"):
        validate_prices(_prices(10), origin="prices.csv")


def test_indicator_without_release_lag():
    ind = pd.DataFrame({"vix": [1.0], "mystery": [2.0]})
    with pytest.raises(DataValidationError, match=r"indicator-without-release-lag.*'mystery'"):
        validate_indicators(ind, {"vix": "same day"}, origin="indicators.yaml")
