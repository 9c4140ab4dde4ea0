"""Hyper-parameters are checked at fit, with the accepted range in the message."""

import pytest
from sklearn.base import clone

from correlation_platform.forecasters import FORECASTERS, get_forecaster
from correlation_platform.params import Interval, Options, validate_params

BAD = {
    "historical": ("window", 1, r"historical: window must be an integer in \[2, inf\), got 1"),
    "ewma": ("decay", 1.5, r"ewma: decay must be a number in \(0, 1\), got 1.5"),
    "dcc": ("variant", "adcc", r"dcc: variant must be one of 'dcc', 'cdcc', got 'adcc'"),
    "ledoit_wolf": ("target", "diag", r"ledoit_wolf: target must be one of"),
    "denoised": ("window", 2.5, r"denoised: window must be an integer"),
    "tic": ("denoise", "yes", r"tic: denoise must be one of True, False"),
    "gbm": ("learning_rate", 0.0, r"gbm: learning_rate must be a number in \(0, 1\]"),
    "lstm": ("validation_fraction", 1.0, r"lstm: validation_fraction must be a number in"),
}


def test_every_family_declares_a_range_for_every_constructor_argument():
    for name, cls in FORECASTERS.items():
        assert set(cls.PARAMETERS) == set(cls().get_params()), name


@pytest.mark.parametrize("family", sorted(BAD))
def test_a_bad_value_fails_at_fit_not_at_predict(family, regime_returns, regime_market):
    name, value, message = BAD[family]
    f = get_forecaster(family, **{name: value})  # construction never validates (sklearn)
    with pytest.raises(ValueError, match=message):
        f.fit(regime_returns, tree=regime_market.sectors)
    assert not hasattr(f, "assets_")  # refused before any work


@pytest.mark.parametrize("family", sorted(FORECASTERS))
def test_clone_and_set_params_tune_every_family(family):
    f = get_forecaster(family)
    name = next(iter(f.get_params()))
    value = f.get_params()[name]
    tuned = clone(f).set_params(**{name: value})
    assert type(tuned) is type(f) and tuned.get_params() == f.get_params()
    # Scalars MLflow logs as they are (None: an option left off, e.g. no PCA).
    assert all(isinstance(v, str | int | float | bool | None) for v in f.get_params().values())


def test_interval_ends_and_kinds():
    half_open = Interval(float, 0.0, 1.0, closed="right")
    assert not half_open.accepts(0.0) and half_open.accepts(1.0) and half_open.accepts(0.5)
    assert not half_open.accepts(float("nan")) and not half_open.accepts(True)
    whole = Interval(int, 1, None)
    assert whole.accepts(3) and not whole.accepts(3.0) and not whole.accepts(0)
    assert str(whole) == "an integer in [1, inf)"
    assert Options((True, False)).accepts(False) and not Options((True, False)).accepts(0)
    validate_params("x", {"a": 2}, {"a": (Options((None,)), Interval(int, 1, None))})
    with pytest.raises(ValueError, match=r"x: a must be one of None or an integer in \[1, inf\)"):
        validate_params("x", {"a": 0}, {"a": (Options((None,)), Interval(int, 1, None))})
