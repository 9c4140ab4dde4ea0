"""Dagster resources: where data comes from, where models go, and the run settings."""

import os
from typing import Any, Literal

from dagster import ConfigurableResource
from pydantic import Field

from correlation_platform.data import MarketData, load_market_data
from correlation_platform.tracking import MlflowStore


class MarketDataResource(ConfigurableResource):
    """The data source (DESIGN.md section 2); ``CORRPLAT_SOURCE`` overrides the default."""

    source: str = Field(default_factory=lambda: os.environ.get("CORRPLAT_SOURCE", "bundled"))
    options: dict[str, Any] = Field(default_factory=dict)

    def load(self) -> MarketData:
        options = dict(self.options)
        if self.source == "files" and "path" not in options:
            if not os.environ.get("CORRPLAT_DATA_PATH"):
                raise ValueError("source 'files' needs options.path or CORRPLAT_DATA_PATH")
            options["path"] = os.environ["CORRPLAT_DATA_PATH"]
        return load_market_data(self.source, **options)


class MlflowResource(ConfigurableResource):
    """MLflow through our own store: SQLite under CORRPLAT_HOME unless a URI is given."""

    tracking_uri: str | None = None
    experiment: str = "correlation_platform"

    def store(self) -> MlflowStore:
        return MlflowStore(tracking_uri=self.tracking_uri, experiment=self.experiment)


class PlatformSettings(ConfigurableResource):
    """Knobs shared by several assets; each has a sane default for daily equity data."""

    horizon: int = Field(
        21, description="holding period the correlation forecast covers (days)", gt=0
    )
    tuning_folds: int = Field(
        2, description="walk-forward sub-blocks of the validation block", ge=1
    )
    tuning_budget_seconds: float = Field(
        300.0, description="per family: grid search time cap", gt=0
    )
    promotion_margin: float = Field(
        0.01, description="relative test-loss gain a challenger needs", ge=0
    )
    promotion_alpha: float = Field(
        0.10, description="Diebold-Mariano level a challenger needs", gt=0, lt=1
    )
    objective: Literal[
        "min_variance", "mean_variance", "target_volatility", "max_sharpe", "risk_parity"
    ] = Field("min_variance", description="optimiser objective (daily chain and backtest)")
    volatility_model: Literal["garch", "ewma"] = Field(
        "garch", description="garch (EWMA fallback per asset) or ewma"
    )
    expected_returns: Literal["zero", "historical", "james_stein"] = Field(
        "james_stein", description="zero, historical or james_stein"
    )
    sector_cap: float = Field(0.0, description="max weight per sector (0: no cap)", ge=0, le=1)
    target_volatility: float = Field(
        0.10, description="annualised, for target_volatility", gt=0, lt=10
    )
    max_weight: float = Field(0.25, description="upper bound per asset (long-only)", gt=0, le=1)
    nav: float = Field(1_000_000.0, description="portfolio value the orders are sized for", gt=0)
    cost_bps: float = Field(5.0, description="transaction cost per unit of turnover, bps", ge=0)
    max_turnover: float = Field(
        0.0, description="max turnover per rebalance (0: no limit)", ge=0, le=2
    )
    min_trade_notional: float = Field(500.0, description="orders below this are dropped", ge=0)
    max_price_move: float = Field(
        0.5, description="pre-trade: a one-day price move beyond this blocks the orders", gt=0
    )
    max_order_share: float = Field(
        0.5, description="pre-trade: an order above this share of NAV blocks the orders", gt=0, le=2
    )
    train_size: int = Field(504, description="backtest: days before the first rebalance", ge=2)
    refit_every: int = Field(252, description="backtest: days between refits", ge=1)
    backtest_workers: int = Field(
        2, description="backtest: local worker processes (a Dask cluster if configured)", ge=1
    )
    outlier_z: float = Field(
        15.0, description="winsorise returns beyond this robust z (0: off)", ge=0
    )
    drift_ratio_threshold: float = Field(
        1.5, description="recent / baseline CMD that means drift", gt=0
    )
    drift_absolute_threshold: float = Field(0.25, description="recent CMD ceiling", gt=0)
