"""Where a run's steps execute: Dagster's default executor, or an existing Dask cluster.

Production (docker-compose.yml) sets ``CORRPLAT_DASK_SCHEDULER`` to its scheduler, so the
per-family training partitions and the backtests fan out over the Dask workers. Dask
workers run steps in other processes or machines, so they must share the instance
(Postgres) and the IO manager's storage (the ``CORRPLAT_HOME`` volume).
"""

from __future__ import annotations

import os

from dagster import ExecutorDefinition

DASK_SCHEDULER_ENV = "CORRPLAT_DASK_SCHEDULER"


def platform_executor() -> ExecutorDefinition | None:
    """The Dask executor bound to ``$CORRPLAT_DASK_SCHEDULER``, or None (Dagster's default)."""
    address = os.environ.get(DASK_SCHEDULER_ENV, "").strip()
    if not address:
        return None
    from dagster_dask import dask_executor

    return dask_executor.configured(
        {"cluster": {"existing": {"address": address}}}, name="dask_executor"
    )
