"""Replay: the platform's daily life, day by day, through the real Dagster definitions.

``make replay`` (``python -m correlation_platform.orchestration.replay``) walks a market one
business day at a time in a local Dagster instance (SQLite, under ``CORRPLAT_HOME/replay``),
doing what the daemon does each evening: it evaluates the schedules and executes their run
requests (the daily run: ingest what arrived by that day, features, forecast, volatility,
book, weights, orders, forecast error; the quarterly retraining on quarter starts), then
evaluates ``correlation_drift_sensor`` with its cursor and executes the retraining it
requests, followed by the champion re-selection the automation sensor would launch.

The default scenario is a synthetic market whose correlation breaks at a known date (calm
blocks to a stress regime); ``--source bundled`` replays the last days of the bundled
history instead. The summary (days, runs, forecasts scored, alerts, retraining runs,
champion changes, final NAV) is printed and written to ``reports/replay.json`` with a
plot of forecast error vs the noise floor and of NAV around the break
(``reports/replay.png``).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
from dagster import (
    AssetKey,
    AssetRecordsFilter,
    AssetSelection,
    DagsterInstance,
    build_schedule_context,
    build_sensor_context,
    materialize,
)

from correlation_platform.forecasters import FORECASTERS
from correlation_platform.orchestration.io_manager import read_stored
from correlation_platform.orchestration.resources import MarketDataResource, PlatformSettings
from correlation_platform.orchestration.schedules import TIMEZONE
from correlation_platform.paths import REPO_ROOT, subdir

log = logging.getLogger("correlation_platform.replay")
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
#: Default scenario: 20 assets, 750 days of history before the replay, 250 replayed days
#: with the correlation break 60 business days in.
DEFAULT_ASSETS, DEFAULT_HISTORY, DEFAULT_DAYS, DEFAULT_BREAK_AFTER = 20, 750, 250, 60


@dataclass
class ReplaySummary:
    """What happened in a replay (also ``reports/replay.json``)."""

    days: int = 0
    daily_runs: int = 0
    failed_runs: int = 0
    retraining_runs: int = 0
    retraining_requested: int = 0
    champion_runs: int = 0
    champion_changes: int = 0
    forecasts_scored: int = 0
    alerts: list[str] = field(default_factory=list)
    retraining_days: list[str] = field(default_factory=list)
    break_day: str | None = None
    first_day: str = ""
    last_day: str = ""
    final_nav: float = float("nan")
    seconds_per_day: float = float("nan")
    seconds_total: float = float("nan")


def _scenario(args) -> tuple[MarketDataResource, list[pd.Timestamp], str | None]:
    """The market, the replayed business days and the break date (synthetic only)."""
    if args.source == "synthetic":
        if not 0 < args.break_after < args.days:
            raise SystemExit(f"--break-after must be within 1..{args.days - 1} (the replayed days)")
        options = {
            "kind": "break",
            "n_assets": args.assets,
            "n_days": args.history + args.days,
            "break_day": args.history + args.break_after,
            "seed": args.seed,
        }
        market = MarketDataResource(source="synthetic", options=options)
        dates = pd.bdate_range("2000-01-03", periods=args.history + args.days)
        break_day = str(dates[args.history + args.break_after].date())
    else:
        market = MarketDataResource(source=args.source)
        dates = market.load().dates
        break_day = None
    return market, list(dates[-args.days :]), break_day


def _champion(instance: DagsterInstance) -> str | None:
    entry = instance.get_latest_materialization_event(AssetKey("champion_forecaster"))
    if entry is None:
        return None
    return entry.asset_materialization.metadata["champion"].value


class Replay:
    """One replay's instance, definitions and bookkeeping (see the module docstring)."""

    def __init__(self, market, settings, *, families, instance):
        from correlation_platform.definitions import build_definitions

        self.market, self.settings, self.families = market, settings, list(families)
        self.instance = instance
        self.summary = ReplaySummary()
        self.cursor: str | None = None
        self.build_definitions = build_definitions

    def _defs(self, available_until: str):
        # A new resource (pydantic's model_copy does not reach a Dagster resource's config).
        market = MarketDataResource(
            source=self.market.source, options=self.market.options, available_until=available_until
        )
        return self.build_definitions({"market_data": market, "settings": self.settings})

    def _materialize(self, defs, selection, **kwargs):
        result = materialize(
            list(defs.assets),
            instance=self.instance,
            resources=dict(defs.resources),
            selection=selection,
            run_config=QUIET,
            raise_on_error=False,
            **kwargs,
        )
        if not result.success:
            self.summary.failed_runs += 1
            log.warning("run %s failed: see the instance's event log", result.run_id)
        return result

    def train(self, day: str, families: list[str], tags: dict | None = None) -> None:
        """Retrain ``families`` on the data arrived by ``day``, then re-select the champion."""
        defs = self._defs(day)
        before = _champion(self.instance)
        for family in families:
            log.info("%s: retraining %s", day, family)
            self._materialize(
                defs,
                AssetSelection.assets("trained_forecasters"),
                partition_key=family,
                tags=tags or {},
            )
            self.summary.retraining_runs += 1
        self._materialize(defs, AssetSelection.assets("champion_forecaster"))
        self.summary.champion_runs += 1
        after = _champion(self.instance)
        if before is not None and after != before:
            self.summary.champion_changes += 1
            log.warning("%s: champion %s -> %s", day, before, after)

    def bootstrap(self, day: str) -> None:
        """History up to ``day``: ingestion, features, every family, the first champion."""
        defs = self._defs(day)
        failed = self.summary.failed_runs
        self._materialize(defs, AssetSelection.groups("ingestion", "features"))
        self.train(day, self.families)
        if self.summary.failed_runs > failed or _champion(self.instance) is None:
            raise RuntimeError(
                f"bootstrap on the history up to {day} failed: see the runs in {self.instance.root_directory}"
            )

    def day(self, day: pd.Timestamp, previous: pd.Timestamp | None) -> dict:
        """One evening: schedules, their runs, the drift sensor, the retraining it asks."""
        from correlation_platform.orchestration.schedules import (
            daily_prediction_schedule,
            quarterly_retraining_schedule,
        )
        from correlation_platform.orchestration.sensors import correlation_drift_sensor

        key = str(day.date())
        defs = self._defs(key)
        ny = ZoneInfo(TIMEZONE)
        if previous is not None:
            quarter_start = day.to_period("Q").start_time
            if previous < quarter_start <= day:
                when = datetime(quarter_start.year, quarter_start.month, 1, 6, tzinfo=ny)
                requests = list(
                    quarterly_retraining_schedule(
                        build_schedule_context(
                            instance=self.instance, scheduled_execution_time=when
                        )
                    )
                )
                self.summary.retraining_requested += len(requests)
                self.train(
                    key,
                    [r.partition_key for r in requests if r.partition_key in self.families],
                    tags={"trigger": "quarterly_retraining_schedule"},
                )
        request = daily_prediction_schedule(
            build_schedule_context(
                instance=self.instance,
                scheduled_execution_time=datetime(day.year, day.month, day.day, 18, 30, tzinfo=ny),
            )
        )
        job = defs.resolve_job_def("daily_prediction_job")
        result = job.execute_in_process(
            partition_key=request.partition_key,
            instance=self.instance,
            tags=request.tags,
            run_config=QUIET,
            raise_on_error=False,
        )
        self.summary.daily_runs += 1
        if not result.success:
            self.summary.failed_runs += 1
            log.warning("%s: daily run failed (run %s)", key, result.run_id)
        context = build_sensor_context(
            instance=self.instance,
            cursor=self.cursor,
            definitions=defs,
            resources={"alert_webhook": defs.resources["alert_webhook"]},
        )
        outcome = correlation_drift_sensor(context)
        self.cursor = context.cursor
        requests = outcome if isinstance(outcome, list) else []
        if requests:
            episode = requests[0].tags["drift_episode"]
            self.summary.alerts.append(key)
            self.summary.retraining_requested += len(requests)
            self.summary.retraining_days.append(key)
            log.warning("%s: drift episode %s: alert + retraining", key, episode)
            self.train(
                key,
                [r.partition_key for r in requests if r.partition_key in self.families],
                tags={"trigger": "correlation_drift_sensor", "drift_episode": episode},
            )
        return {"day": key, "success": result.success}


def _record(instance: DagsterInstance, asset: str, key: str | None) -> dict:
    """Metadata of the asset's materialisation for partition ``key`` (the latest one if None).

    Empty when that day's run did not materialise it (a failed run).
    """
    records = instance.fetch_materializations(
        AssetRecordsFilter(AssetKey(asset), asset_partitions=[key] if key else None), limit=1
    ).records
    if not records:
        return {}
    metadata = records[0].asset_materialization.metadata
    return {k: getattr(v, "value", v) for k, v in metadata.items()}


def run_replay(
    *,
    market: MarketDataResource,
    days: list[pd.Timestamp],
    settings: PlatformSettings,
    families: list[str] | None = None,
    break_day: str | None = None,
    instance: DagsterInstance | None = None,
) -> tuple[ReplaySummary, pd.DataFrame]:
    """Replay ``days`` (business days, oldest first) after bootstrapping on the history.

    Parameters
    ----------
    market : MarketDataResource
        The source; data "arrives" one day at a time (``available_until``).
    days : list of pd.Timestamp
        The evenings to replay.
    settings : PlatformSettings
        Settings of every run.
    families : list of str, optional
        Families trained (default: all). Retraining requests for other families are
        counted but not executed.
    break_day : str, optional
        The scenario's known break (for the summary and the plot).
    instance : DagsterInstance, optional
        Default: a SQLite instance under ``CORRPLAT_HOME/replay/dagster``.

    Returns
    -------
    (ReplaySummary, DataFrame)
        The summary and one row per day: NAV, cash, turnover, drift state, as-of dates.
    """
    families = list(families or FORECASTERS)
    unknown = sorted(set(families) - set(FORECASTERS))
    if unknown:
        raise ValueError(f"unknown families {unknown}; available: {sorted(FORECASTERS)}")
    if instance is None:
        folder = subdir("dagster")
        if not (folder / "dagster.yaml").exists():
            shutil.copy(REPO_ROOT / "dagster.yaml", folder / "dagster.yaml")
        instance = DagsterInstance.from_config(str(folder))
    replay = Replay(market, settings, families=families, instance=instance)
    started = time.perf_counter()
    first = days[0] - pd.offsets.BDay(1)
    log.info("bootstrap on history up to %s (%s)", first.date(), ", ".join(families))
    replay.bootstrap(str(first.date()))
    bootstrap_seconds = time.perf_counter() - started
    rows, previous = [], first
    day_started = time.perf_counter()
    for n, day in enumerate(days, 1):
        out = replay.day(day, previous)
        previous = day
        key = out["day"]
        book = _record(instance, "portfolio_book", key)
        weights = _record(instance, "target_weights", key)
        error = _record(instance, "forecast_error", key)
        prediction = _record(instance, "predicted_correlation", key)
        raw = _record(instance, "raw_prices", None)  # unpartitioned: today's run wrote it
        rows.append(
            {
                "day": pd.Timestamp(key),
                "success": out["success"],
                "nav": book.get("nav"),
                "cash": book.get("cash"),
                "turnover": weights.get("turnover"),
                "drifted": error.get("drifted"),
                "episode": error.get("episode"),
                "scored": error.get("scored_forecasts"),
                "prediction_as_of": prediction.get("as_of"),
                "prices_last_date": raw.get("last_date"),
                "model_source": prediction.get("model_source"),
            }
        )
        if n % 10 == 0 or n == len(days):
            elapsed = time.perf_counter() - day_started
            log.info(
                "day %d/%d %s: NAV %.0f, %s scored, drift %s (%.1fs/day)",
                n,
                len(days),
                key,
                book.get("nav", float("nan")),
                error.get("scored_forecasts"),
                error.get("episode"),
                elapsed / n,
            )
    frame = pd.DataFrame(rows).set_index("day")
    s = replay.summary
    s.days, s.break_day = len(days), break_day
    s.first_day, s.last_day = str(days[0].date()), str(days[-1].date())
    s.final_nav = float(frame["nav"].iloc[-1]) if frame["nav"].notna().any() else float("nan")
    s.forecasts_scored = (
        int(frame["scored"].dropna().iloc[-1]) if frame["scored"].notna().any() else 0
    )
    s.seconds_total = time.perf_counter() - started
    s.seconds_per_day = (time.perf_counter() - day_started) / len(days)
    log.info("bootstrap %.0fs; replay %.1fs per day", bootstrap_seconds, s.seconds_per_day)
    return s, frame


def _plot(summary: ReplaySummary, frame: pd.DataFrame, path: Path) -> None:
    from correlation_platform.monitoring.plots import replay_png
    from correlation_platform.orchestration.io_manager import stored_partitions

    stored = stored_partitions("forecast_error")
    states = read_stored(list(stored.values())[-1]) if stored else pd.DataFrame()
    marks = {}
    if summary.break_day:
        marks["correlation break"] = pd.Timestamp(summary.break_day)
    for day in summary.alerts:
        marks[f"alert + retraining {day}"] = pd.Timestamp(day)
    path.write_bytes(replay_png(states, frame["nav"], marks=marks))


def main(argv: list[str] | None = None) -> int:
    """Command line of ``make replay``; returns the exit code."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--source", default="synthetic", help="synthetic (default) or bundled")
    parser.add_argument("--assets", type=int, default=DEFAULT_ASSETS)
    parser.add_argument(
        "--history", type=int, default=DEFAULT_HISTORY, help="days before the replay"
    )
    parser.add_argument("--days", type=int, default=DEFAULT_DAYS, help="business days replayed")
    parser.add_argument("--break-after", type=int, default=DEFAULT_BREAK_AFTER)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--families", nargs="*", default=None, help="default: every family")
    parser.add_argument("--max-turnover", type=float, default=0.5)
    parser.add_argument("--tuning-budget", type=float, default=30.0, help="seconds per family")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("dagster").setLevel(logging.WARNING)
    os.environ.setdefault("CORRPLAT_HOME", str(Path.cwd() / ".corrplat"))
    home = Path(os.environ["CORRPLAT_HOME"]) / "replay"
    os.environ["CORRPLAT_HOME"] = str(home)  # the replay never touches the main home
    os.environ["DAGSTER_HOME"] = str(home / "dagster")
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    market, days, break_day = _scenario(args)
    settings = PlatformSettings(
        max_turnover=args.max_turnover,
        tuning_budget_seconds=args.tuning_budget,
        tuning_folds=1,
        volatility_model="ewma",
    )
    summary, frame = run_replay(
        market=market, days=days, settings=settings, families=args.families, break_day=break_day
    )
    reports = subdir("reports")
    frame.to_csv(reports / "replay_days.csv")
    (reports / "replay.json").write_text(json.dumps(asdict(summary), indent=2, default=str))
    _plot(summary, frame, reports / "replay.png")
    print(f"""
Replay {summary.first_day}..{summary.last_day}: {summary.days} days, {summary.daily_runs} daily runs
({summary.failed_runs} failed), {summary.forecasts_scored} forecasts scored
correlation break: {summary.break_day or "none (real history)"}
drift alerts: {len(summary.alerts)} {summary.alerts}
retraining: {summary.retraining_requested} runs requested, {summary.retraining_runs} executed
champion changes: {summary.champion_changes}; final NAV {summary.final_nav:,.2f}
{summary.seconds_per_day:.1f}s per day, {summary.seconds_total:.0f}s in all
plot: {reports / "replay.png"}; days: {reports / "replay_days.csv"}
""")
    return 0


if __name__ == "__main__":
    sys.exit(main())
