"""Materialise the whole asset graph in order (what ``make run`` does), recorded in the instance.

Partitioned assets need one run per partition definition, so the graph runs in five steps:
ingestion+features, every forecaster family, the champion, one prediction day (with the
book and the forecast error), then evaluation. Runs land in the Dagster instance, so the UI shows them.
"""

import argparse
import logging
import os
import shutil
import sys
import time
from pathlib import Path

import pandas as pd
from dagster import AssetSelection, DagsterInstance, materialize

from correlation_platform.definitions import build_definitions
from correlation_platform.orchestration.executors import DASK_SCHEDULER_ENV
from correlation_platform.orchestration.partitions import forecaster_partitions
from correlation_platform.orchestration.resources import PlatformSettings
from correlation_platform.paths import REPO_ROOT, corrplat_home, exclusive_home, subdir
from correlation_platform.portfolio import OBJECTIVES
from correlation_platform.tracking import default_tracking_uri

log = logging.getLogger("correlation_platform.run")
# Step-level DEBUG events stay in the run's event log (the UI); the console gets INFO.
QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


def local_instance() -> DagsterInstance:
    """The embedded instance in CORRPLAT_HOME/dagster (SQLite), created from dagster.yaml."""
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(subdir("dagster"))))
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copy(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    return DagsterInstance.get()


def fail_dead_runs(instance: DagsterInstance) -> list[str]:
    """Mark FAILURE the whole-graph runs a killed ``make run`` left STARTED.

    Only call while holding :func:`~correlation_platform.paths.exclusive_home`: then no
    other ``make run`` is alive, so a STARTED run of ours belongs to a dead process. Its
    MLflow runs are closed by the next training step.
    """
    from dagster import DagsterRunStatus, RunsFilter

    stale = instance.get_runs(
        RunsFilter(statuses=[DagsterRunStatus.STARTED], tags={"trigger": "materialize_all"})
    )
    for run in stale:
        instance.report_run_failed(run, "its process died (found STARTED by the next make run)")
        log.warning("run %s was left STARTED by a killed make run: marked failed", run.run_id)
    return [run.run_id for run in stale]


def _run(step: str, assets, resources, instance, **kwargs):
    started = time.perf_counter()
    log.info("step %s: started", step)
    result = materialize(
        assets,
        instance=instance,
        resources=resources,
        tags={"trigger": "materialize_all"},
        run_config=QUIET_CONSOLE,
        **kwargs,
    )
    if not result.success:
        raise RuntimeError(
            f"step {step} failed (run {result.run_id}); see the Dagster UI for the logs"
        )
    log.info("step %s: done in %.1fs (run %s)", step, time.perf_counter() - started, result.run_id)
    return result


def prediction_day(resources) -> str:
    """The partition to predict: CORRPLAT_AS_OF, else the last date with data."""
    if os.environ.get("CORRPLAT_AS_OF"):
        return os.environ["CORRPLAT_AS_OF"]
    io = resources["io_manager"]
    root = Path(io.base_dir) if io.base_dir else subdir("assets")
    prices = pd.read_parquet(root / "clean_prices" / "data.parquet", columns=[])
    return str(prices.index[-1].date())


def _portable(resources: dict | None) -> dict | None:
    """Resources as (class, fields) pairs: Dagster resources do not unpickle in workers."""
    if resources is None:
        return None
    return {k: (type(r), r._get_non_default_public_field_values()) for k, r in resources.items()}


#: The environment a local worker process must share with its parent: loky keeps its
#: worker processes between calls, so they would otherwise keep the environment of the
#: call that started them (another instance, another home).
SHARED_ENV = ("DAGSTER_HOME", "CORRPLAT_HOME", "MLFLOW_TRACKING_URI", "CORRPLAT_SOURCE")


def _train_partition(
    family: str, portable: dict | None, env: dict[str, str | None] | None = None
) -> tuple[str, str, float]:
    """One training run in a worker process: the instance from ``DAGSTER_HOME``."""
    for key, value in (env or {}).items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    started = time.perf_counter()
    resources = None if portable is None else {k: c(**f) for k, (c, f) in portable.items()}
    defs = build_definitions(resources)
    with DagsterInstance.get() as instance:
        result = _train_run(family, defs, instance)
    return family, result.run_id, time.perf_counter() - started


def _train_run(family: str, defs, instance: DagsterInstance):
    """The training run of one family's partition."""
    return _run(
        f"train {family}",
        list(defs.assets),
        dict(defs.resources),
        instance,
        selection=AssetSelection.assets("trained_forecasters"),
        partition_key=family,
    )


def train_partitions(
    instance: DagsterInstance,
    resources: dict | None,
    families: list[str],
    *,
    n_jobs: int = 1,
    scheduler: str | None = None,
) -> dict:
    """One run per training partition: in this process, in worker processes, or on Dask.

    ``n_jobs == 1`` and no scheduler: one after another in this process (any instance,
    ephemeral included). Otherwise each run executes in a worker (local processes, or
    the Dask cluster at ``scheduler`` / ``$CORRPLAT_DASK_SCHEDULER``) against the
    persistent instance of ``DAGSTER_HOME``, which the workers must share (SQLite files
    on one machine, Postgres on a cluster), as they must share ``CORRPLAT_HOME``. Each
    family's run is deterministic, so what it stores is the same whatever the workers.

    Returns
    -------
    dict
        ``"train <family>"`` -> the run's result (in process) or its run id (workers).
    """
    scheduler = scheduler or os.environ.get(DASK_SCHEDULER_ENV, "").strip() or None
    if n_jobs == 1 and scheduler is None:
        defs = build_definitions(resources)
        return {f"train {family}": _train_run(family, defs, instance) for family in families}
    if instance.is_ephemeral:
        raise ValueError("training in worker processes needs a persistent DAGSTER_HOME instance")
    from joblib import Parallel, delayed, parallel_config

    # Local workers take this process's homes; a cluster's workers keep their own (they
    # reach the same instance and storage by their own paths).
    env = None if scheduler else {k: os.environ.get(k) for k in SHARED_ENV}
    calls = [delayed(_train_partition)(family, _portable(resources), env) for family in families]
    where = f"Dask at {scheduler}" if scheduler else f"{n_jobs} processes"
    log.info("training %d families on %s", len(families), where)
    if scheduler:
        from distributed import Client

        with Client(scheduler), parallel_config(backend="dask"):
            done = Parallel(return_as="list")(calls)
    else:
        done = Parallel(n_jobs=n_jobs, return_as="list")(calls)
    out = {}
    for family, run_id, seconds in done:
        log.info("trained %s in %.1fs (run %s, %s)", family, seconds, run_id, where)
        out[f"train {family}"] = run_id
    return out


def materialize_all(
    instance: DagsterInstance | None = None,
    resources: dict | None = None,
    day: str | None = None,
    *,
    reuse_models: bool = False,
    train_jobs: int = 1,
    scheduler: str | None = None,
) -> dict:
    """Materialise the graph.

    With ``reuse_models`` skip ingestion, features, training and the champion (they must
    be materialised already) and rerun predictions and evaluation, e.g. after changing
    the objective. The training partitions run as in :func:`train_partitions`.
    """
    defs = build_definitions(resources)
    assets = list(defs.assets)
    res = dict(defs.resources)
    instance = instance or local_instance()
    runs = {}
    if not reuse_models:
        runs["ingestion+features"] = _run(
            "ingestion+features",
            assets,
            res,
            instance,
            selection=AssetSelection.groups("ingestion", "features"),
        )
        runs.update(
            train_partitions(
                instance,
                resources,
                forecaster_partitions.get_partition_keys(),
                n_jobs=train_jobs,
                scheduler=scheduler,
            )
        )
        runs["champion"] = _run(
            "champion",
            assets,
            res,
            instance,
            selection=AssetSelection.assets("champion_forecaster"),
        )
    day = day or prediction_day(res)
    runs["predictions"] = _run(
        f"predictions {day}",
        assets,
        res,
        instance,
        selection=AssetSelection.groups("predictions", "monitoring"),
        partition_key=day,
    )
    runs["evaluation"] = _run(
        "evaluation",
        assets,
        res,
        instance,
        selection=AssetSelection.groups("evaluation"),
    )
    return {
        "prediction_day": day,
        "report": subdir("reports") / "backtest_report.html",
        "outbox": subdir("outbox") / day,
        "runs": runs,
    }


def main(argv: list[str] | None = None) -> int:
    """Command line of ``make run``: materialise the whole graph; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--day", help="prediction partition (default: last data date)")
    parser.add_argument(
        "--objective",
        choices=OBJECTIVES,
        help="settings.objective for the daily chain and the backtest (default min_variance)",
    )
    parser.add_argument(
        "--train-jobs",
        type=int,
        default=int(os.environ.get("CORRPLAT_TRAIN_JOBS", "1")),
        help="training partitions run in this many worker processes (default 1: in "
        "process; $CORRPLAT_TRAIN_JOBS); with $CORRPLAT_DASK_SCHEDULER they run on Dask",
    )
    parser.add_argument(
        "--reuse-models",
        action="store_true",
        help="skip ingestion, training and the champion (already materialised)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    started = time.perf_counter()
    resources = {"settings": PlatformSettings(objective=args.objective)} if args.objective else None
    with exclusive_home("make run"):
        instance = local_instance()
        fail_dead_runs(instance)
        out = materialize_all(
            instance,
            resources=resources,
            day=args.day,
            reuse_models=args.reuse_models,
            train_jobs=args.train_jobs,
        )
    home = corrplat_home()
    print(f"""
Done in {time.perf_counter() - started:.0f}s. Everything lives in {home}
  backtest report : {out["report"]}
  orders (outbox) : {out["outbox"]}
  MLflow store    : {default_tracking_uri()}  (artifacts in {home / "mlflow" / "artifacts"})
  Dagster home    : {os.environ["DAGSTER_HOME"]}
Open the UIs with `make ui`: Dagster at http://127.0.0.1:3000, MLflow at http://127.0.0.1:5000
""")
    return 0


if __name__ == "__main__":
    sys.exit(main())
