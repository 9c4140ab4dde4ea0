"""Dagster resources: where data comes from, where models go, and the run settings."""

import os
from typing import Any, Literal

import pandas as pd
from dagster import ConfigurableResource
from pydantic import Field

from correlation_platform.data import MarketData, arrived_by, load_market_data
from correlation_platform.monitoring import AlertWebhook
from correlation_platform.monitoring.drift import (
    BENCHMARK_MARGIN,
    DRIFT_WINDOW,
    NOISE_RATIO,
    REARM_RATIO,
)
from correlation_platform.tracking import MlflowStore


class MarketDataResource(ConfigurableResource):
    """The data source (DESIGN.md section 2); ``CORRPLAT_SOURCE`` overrides the default."""

    source: str = Field(default_factory=lambda: os.environ.get("CORRPLAT_SOURCE", "bundled"))
    options: dict[str, Any] = Field(default_factory=dict)
    available_until: str = Field(
        "",
        description="the source's clock: rows after this date have not arrived (replays); "
        "empty: everything the source holds",
    )

    def load(self, as_of: str | None = None) -> MarketData:
        """The source's data; with ``as_of``, only what had arrived by that day's close."""
        options = dict(self.options)
        if self.source == "files" and "path" not in options:
            if not os.environ.get("CORRPLAT_DATA_PATH"):
                raise ValueError("source 'files' needs options.path or CORRPLAT_DATA_PATH")
            options["path"] = os.environ["CORRPLAT_DATA_PATH"]
        data = load_market_data(self.source, **options)
        cuts = [d for d in (as_of, self.available_until) if d]
        return arrived_by(data, min(pd.Timestamp(d) for d in cuts)) if cuts else data


class AlertWebhookResource(ConfigurableResource):
    """Optional webhook every alert is also posted to (off when ``url`` is empty).

    ``CORRPLAT_ALERT_WEBHOOK`` sets the default URL.
    """

    url: str = Field(default_factory=lambda: os.environ.get("CORRPLAT_ALERT_WEBHOOK", ""))
    timeout: float = Field(5.0, gt=0, description="seconds before a post is abandoned")

    def webhook(self) -> AlertWebhook | None:
        """The webhook client, or None when no URL is configured."""
        return AlertWebhook(self.url, self.timeout) if self.url else None


class MlflowResource(ConfigurableResource):
    """MLflow through our own store: SQLite under CORRPLAT_HOME unless a URI is given."""

    tracking_uri: str | None = None
    experiment: str = "correlation_platform"

    def store(self) -> MlflowStore:
        """The :class:`MlflowStore` of this tracking URI and experiment."""
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
    nav: float = Field(
        1_000_000.0, description="starting cash of the book (when no starting_shares_csv)", gt=0
    )
    starting_shares_csv: str = Field(
        "", description="CSV (asset, shares) held on the first day, beside nav in cash"
    )
    execution: Literal["paper", "external"] = Field(
        "paper",
        description="paper: orders fill at the next close with cost_bps; external: the "
        "execution system writes outbox/<day>/fills.csv",
    )
    lot_size: int = Field(1, description="shares per lot; orders are whole lots", ge=1)
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
    drift_window: int = Field(
        DRIFT_WINDOW, description="scored forecasts in the drift rule's rolling mean", ge=1
    )
    drift_noise_ratio: float = Field(
        NOISE_RATIO, description="drift when the error exceeds this x what noise explains", gt=1
    )
    drift_rearm_ratio: float = Field(
        REARM_RATIO, description="an episode ends once the error is under this x", gt=0
    )
    drift_benchmark_margin: float = Field(
        BENCHMARK_MARGIN, description="drift when worse than the benchmark by this share", ge=0
    )
    stale_business_days: int = Field(
        3, description="freshness check: latest row older than this many business days", ge=0
    )
