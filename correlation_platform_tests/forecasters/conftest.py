"""Small, fast configurations of every family for contract tests."""

import pytest

from correlation_platform.features import build_feature_panel
from correlation_platform.forecasters import USES_FEATURES, get_forecaster

FAST = {
    "gbm": {"max_iter": 40},
    "lstm": {"epochs": 3, "max_rows": 3000, "hidden": 8},
}


def make(name: str):
    return get_forecaster(name, **FAST.get(name, {}))


def features_for(name: str, returns, market):
    return build_feature_panel(returns, market.indicators) if name in USES_FEATURES else None


@pytest.fixture(scope="session")
def regime_panel(regime_returns, regime_market):
    return build_feature_panel(regime_returns, regime_market.indicators)
