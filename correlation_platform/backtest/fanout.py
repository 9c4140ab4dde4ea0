"""Many walk-forward runs at once: families x objectives over processes or a Dask cluster.

The volatility and expected-return paths do not depend on the forecaster or the
objective, so they are computed once; the historical benchmark runs once per objective;
then every (family, objective) pair is one task. Tasks run in local worker processes
(joblib's loky backend) or, when a scheduler address is given (or
``CORRPLAT_DASK_SCHEDULER`` is set), on that Dask cluster through joblib's Dask backend.
Each task is deterministic (seeded bootstrap, no shared state), so the results are the
same whatever the number of workers.
"""

from __future__ import annotations

import inspect
import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence

import pandas as pd
from joblib import Parallel, delayed, parallel_config
from sklearn.base import clone
from threadpoolctl import threadpool_limits

from correlation_platform.backtest.engine import (
    BacktestConfig,
    BacktestResult,
    backtest_config,
    config_inputs,
    evaluate_backtest,
    forecast_path,
    run_backtest,
)
from correlation_platform.forecasters import (
    BENCHMARK,
    USES_FEATURES,
    CorrelationForecaster,
    get_forecaster,
)
from correlation_platform.portfolio.inputs import InputPath

log = logging.getLogger(__name__)
#: Environment variable naming a Dask scheduler (``tcp://host:8786``) to fan out on.
DASK_SCHEDULER_ENV = "CORRPLAT_DASK_SCHEDULER"

Key = tuple[str, str]


def _family_task(
    name: str,
    returns: pd.DataFrame,
    forecaster: CorrelationForecaster,
    features: pd.DataFrame | None,
    tree: pd.DataFrame | None,
    configs: dict[str, BacktestConfig],
    inputs: InputPath,
    benchmarks: dict[str, BacktestResult] | None,
    options: dict,
) -> tuple[dict[str, BacktestResult], float]:
    """One family.

    Its forecast path once, then every objective (a path does not depend on the
    objective). ``benchmarks`` None: this family is the benchmark.
    """
    started = time.perf_counter()
    first = next(iter(configs.values()))
    # One BLAS thread in every task, in process or not: a reduction split over a different
    # number of threads rounds differently, and results must not depend on the worker count.
    with threadpool_limits(limits=1):
        predicted = forecast_path(
            returns,
            features,
            forecaster,
            inputs.positions,
            refit_every=first.refit_every,
            horizon=first.rebalance_every,
            progress=lambda _: None,
            tree=tree,
        )
        out = {
            objective: evaluate_backtest(
                returns,
                name,
                predicted,
                inputs=inputs,
                config=config,
                benchmark=True if benchmarks is None else benchmarks[objective],
                progress=lambda _: None,
                **options,
            )
            for objective, config in configs.items()
        }
    return out, time.perf_counter() - started


def _as_forecasters(
    forecasters: Mapping[str, CorrelationForecaster | str] | Sequence[str],
) -> dict[str, CorrelationForecaster]:
    if isinstance(forecasters, Mapping):
        items = forecasters.items()
    else:
        items = ((name, name) for name in forecasters)
    return {name: get_forecaster(f) if isinstance(f, str) else clone(f) for name, f in items}


def run_backtests(
    returns: pd.DataFrame,
    forecasters: Mapping[str, CorrelationForecaster | str] | Sequence[str],
    *,
    objectives: Sequence[str] = ("min_variance",),
    features: pd.DataFrame | None = None,
    n_jobs: int = 1,
    scheduler: str | None = None,
    progress: Callable[[str], None] | None = None,
    **kwargs,
) -> dict[Key, BacktestResult]:
    """Walk every forecaster forward under every objective, benchmark included.

    Parameters
    ----------
    returns : pd.DataFrame
        Daily returns, one column per asset.
    forecasters : dict or sequence
        Name -> forecaster (cloned per task), or family names. A ``historical`` entry is
        the benchmark (e.g. with its tuned window); otherwise the default one is.
    objectives : sequence of str
        Objectives to run each forecaster under.
    features : pd.DataFrame, optional
        Feature panel, passed to the families that learn from features.
    n_jobs : int
        Local worker processes (1: in this process).
    scheduler : str, optional
        Dask scheduler address; default ``$CORRPLAT_DASK_SCHEDULER``. When set, the tasks
        run on that cluster and ``n_jobs`` is ignored.
    progress : callable, optional
        Receives one line per finished task.
    **kwargs
        Keyword arguments of :func:`run_backtest` shared by every run (``tree``, the
        sector tree, goes to every fit).

    Returns
    -------
    dict
        (family, objective) -> BacktestResult; ``historical`` is there for each objective.
    """
    progress = progress or log.info
    for forbidden in ("objective", "benchmark", "inputs", "features", "forecaster"):
        if forbidden in kwargs:
            raise ValueError(f"run_backtests sets {forbidden!r} itself")
    accepted = set(inspect.signature(run_backtest).parameters) - {"returns", "progress"}
    unknown = sorted(set(kwargs) - accepted)
    if unknown:
        raise ValueError(f"unknown run_backtest arguments {unknown}; accepted: {sorted(accepted)}")
    tree = kwargs.pop("tree", None)
    models = _as_forecasters(forecasters)
    # Validate every configuration before any work.
    configs = {
        obj: backtest_config(returns, objective=obj, **_config_kwargs(kwargs)) for obj in objectives
    }
    inputs = config_inputs(returns, next(iter(configs.values())))
    options = {k: kwargs[k] for k in ("references", "indicator", "significance") if k in kwargs}
    scheduler = scheduler or os.environ.get(DASK_SCHEDULER_ENV, "").strip() or None

    def run_all(jobs: list[tuple[str, tuple]]) -> dict[Key, BacktestResult]:
        out: dict[Key, BacktestResult] = {}
        if not jobs:
            return out
        calls = (delayed(_family_task)(*args) for _, args in jobs)
        where = "dask" if scheduler else f"{n_jobs} process(es)"
        if scheduler:
            from distributed import Client

            with Client(scheduler), parallel_config(backend="dask"):
                finished = list(Parallel(return_as="generator")(calls))
        else:
            finished = Parallel(n_jobs=n_jobs, return_as="generator")(calls)
        for (name, _), (by_objective, seconds) in zip(jobs, finished, strict=True):
            for objective, res in by_objective.items():
                out[(name, objective)] = res
            progress(
                f"backtest {name}: {len(by_objective)} objective(s) in {seconds:.1f}s ({where})"
            )
        return out

    # The benchmark is the caller's historical model when given (e.g. its tuned window).
    given = models.get(BENCHMARK)
    benchmark_model = (
        clone(given) if given is not None and given.name == BENCHMARK else get_forecaster(BENCHMARK)
    )
    results = run_all(
        [
            (
                BENCHMARK,
                (
                    BENCHMARK,
                    returns,
                    benchmark_model,
                    None,
                    tree,
                    configs,
                    inputs,
                    None,
                    options,
                ),
            )
        ]
    )
    benches = {obj: results[(BENCHMARK, obj)] for obj in objectives}
    jobs = []
    for name, model in models.items():
        if name == BENCHMARK and model.name == BENCHMARK:
            continue
        feats = features if model.name in USES_FEATURES else None
        jobs.append(
            (name, (name, returns, clone(model), feats, tree, configs, inputs, benches, options))
        )
    results.update(run_all(jobs))
    return results


def _config_kwargs(kwargs: dict) -> dict:
    """The arguments that belong to :func:`backtest_config` (read from its signature)."""
    keys = set(inspect.signature(backtest_config).parameters) - {"returns", "objective"}
    return {k: v for k, v in kwargs.items() if k in keys}
