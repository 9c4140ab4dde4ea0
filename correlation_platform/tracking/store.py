"""Our own thin MLflow layer: one experiment, runs per training, registry aliases.

Plain Python (no Dagster), so notebooks and tests use the same code the assets do.
Defaults keep everything under ``CORRPLAT_HOME/mlflow`` (SQLite backend + local artifacts);
``MLFLOW_TRACKING_URI`` points it at a server in production.
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import mlflow
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from correlation_platform.forecasters import CorrelationForecaster
from correlation_platform.paths import subdir
from correlation_platform.tracking.pyfunc import ForecasterPyfunc
from correlation_platform.tracking.registry import (
    MlflowUnavailableError,
    RegistryVersions,
)

log = logging.getLogger(__name__)
REGISTERED_MODEL = "correlation_forecaster"
EXPERIMENT = "correlation_platform"
RUNTIME_PACKAGES = ("numpy", "pandas", "scipy", "scikit-learn", "cloudpickle", "mlflow")


def default_tracking_uri() -> str:
    """``$MLFLOW_TRACKING_URI``, or a SQLite file under ``CORRPLAT_HOME``.

    Returns
    -------
    str
        The tracking URI.
    """
    if os.environ.get("MLFLOW_TRACKING_URI"):
        return os.environ["MLFLOW_TRACKING_URI"]
    return f"sqlite:///{subdir('mlflow') / 'mlflow.db'}"


def pip_requirements(*, extra: tuple[str, ...] = ()) -> list[str]:
    """Exact versions of what unpickling a forecaster needs (our package ships as code).

    Parameters
    ----------
    extra : tuple of str, default ()
        Further packages (a family's ``runtime_packages``).

    Returns
    -------
    list of str
        ``name==version`` lines.
    """
    return [f"{name}=={version(name).split('+')[0]}" for name in (*RUNTIME_PACKAGES, *extra)]


#: Reachability check: tries, first wait (doubling) and per-request timeout, in seconds. A
#: server that accepts and never answers costs 3 x 5 + 1 + 2 = 18 s, a closed port 3 s.
PING_ATTEMPTS, PING_BACKOFF, PING_TIMEOUT = 3, 1.0, 5.0
#: MLflow's own HTTP client, bounded for a server that goes away mid-step (its defaults, 7
#: retries with backoff factor 2 and 120 s timeouts, wait many minutes): at most
#: (1 + 1) x 20 s + 1 s per request. Set the variables to override.
HTTP_BOUNDS = {
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "20",
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
}


def metric_key(name: str) -> str:
    """``name`` as an MLflow metric key: characters MLflow refuses become ``_``.

    MLflow accepts letters, digits, ``_ - . /`` and spaces; feature names such as the
    pair-feature group's carry parentheses and commas.

    Parameters
    ----------
    name : str
        Any label.

    Returns
    -------
    str
        A valid key (runs of refused characters collapse to one ``_``).
    """
    return re.sub(r"[^\w\-. /]+", "_", name).strip("_ ")


@dataclass(frozen=True)
class LoggedForecaster:
    """Where a logged forecaster went.

    Attributes
    ----------
    run_id : str
        The MLflow run.
    model_uri : str
        ``models:/...`` of the logged model.
    registered_version : str
        Its registry version.
    experiment_id : str
        The experiment.
    """

    run_id: str
    model_uri: str
    registered_version: str
    experiment_id: str


class MlflowStore(RegistryVersions):
    """Our MLflow tracking and registry: runs, models, aliases, decisions and reports.

    Parameters
    ----------
    tracking_uri : str, optional
        Default ``$MLFLOW_TRACKING_URI`` or a SQLite file under ``CORRPLAT_HOME``.
    experiment : str, default "correlation_platform"
        The experiment runs go to.
    artifact_root : str, optional
        Artifact location for a local store (default under ``CORRPLAT_HOME``).
    registered_model : str, default "correlation_forecaster"
        The registered model name.
    """

    def __init__(
        self,
        tracking_uri: str | None = None,
        experiment: str = EXPERIMENT,
        artifact_root: str | None = None,
        registered_model: str = REGISTERED_MODEL,
    ):
        self.tracking_uri = tracking_uri or default_tracking_uri()
        self.experiment = experiment
        self.registered_model = registered_model
        local = self.tracking_uri.startswith("sqlite:") or "://" not in self.tracking_uri
        self.artifact_root = artifact_root or (
            (subdir("mlflow") / "artifacts").as_uri() if local else None
        )
        if self.tracking_uri.startswith(("http://", "https://")):
            for name, value in HTTP_BOUNDS.items():
                os.environ.setdefault(name, value)

    def check_reachable(
        self,
        *,
        attempts: int = PING_ATTEMPTS,
        backoff: float = PING_BACKOFF,
        doing: str = "training",
        consequence: str = "Nothing was trained or registered.",
    ) -> None:
        """Fail fast, with one clear message, when the tracking store cannot be reached.

        Called before long work (training), so an unreachable server costs seconds, not
        MLflow's own minutes of retries after the first model has trained.

        Parameters
        ----------
        attempts : int
            Tries, ``backoff`` x 2^k seconds apart.
        backoff : float
            First wait in seconds.
        doing : str, default "training"
            What needed the store, for the message.
        consequence : str
            What the caller did not do, for the message.

        Raises
        ------
        MlflowUnavailableError
            Naming the URI, the attempts and the last error.
        """
        last: Exception | None = None
        for k in range(attempts):
            try:
                if self.tracking_uri.startswith(("http://", "https://")):
                    import requests

                    url = self.tracking_uri.rstrip("/") + "/health"
                    requests.get(url, timeout=PING_TIMEOUT).raise_for_status()
                else:
                    self.client.search_experiments(max_results=1)
                return
            except Exception as exc:  # any transport or storage error counts as unreachable
                last = exc
                if k + 1 < attempts:
                    time.sleep(backoff * 2**k)
        raise MlflowUnavailableError(
            f"MLflow tracking store {self.tracking_uri} is unreachable after {attempts} "
            f"attempts while {doing} ({type(last).__name__}: {last}); start it or point "
            f"MLFLOW_TRACKING_URI at a running server. {consequence}"
        )

    def close_orphans(self, is_alive: Callable[[str], bool]) -> list[str]:
        """Mark KILLED the runs left RUNNING by a Dagster run that is no longer alive.

        A killed step never ends its MLflow run; without this it would show as running
        forever. Model versions such runs registered are tagged ``orphaned`` (they were
        never recorded in the lineage, so no alias can point at them through Dagster).

        Parameters
        ----------
        is_alive : callable
            Dagster run id -> whether that run is still queued or running.

        Returns
        -------
        list of str
            The MLflow run ids closed.
        """
        exp = self.client.get_experiment_by_name(self.experiment)
        if exp is None:
            return []
        closed = []
        for run in self.client.search_runs(
            [exp.experiment_id], filter_string="attributes.status = 'RUNNING'"
        ):
            owner = run.data.tags.get("dagster.run_id")
            if owner is None or is_alive(owner):
                continue
            self.client.set_terminated(run.info.run_id, status="KILLED")
            closed.append(run.info.run_id)
            for mv in self.client.search_model_versions(f"run_id = '{run.info.run_id}'"):
                self.client.set_model_version_tag(
                    mv.name, mv.version, "orphaned", f"Dagster run {owner} was killed"
                )
        return closed

    @property
    def client(self) -> MlflowClient:
        """An MLflow client on this store's tracking and registry URI."""
        return MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)

    def activate(self) -> str:
        """Point MLflow's fluent API here; the experiment is created if missing.

        Returns
        -------
        str
            The experiment id.
        """
        mlflow.set_tracking_uri(self.tracking_uri)
        mlflow.set_registry_uri(self.tracking_uri)
        exp = self.client.get_experiment_by_name(self.experiment)
        if exp is not None:
            self._follow_moved_home(exp.artifact_location)
            return exp.experiment_id
        try:
            return self.client.create_experiment(
                self.experiment, artifact_location=self.artifact_root
            )
        except MlflowException:  # created concurrently by another step
            return self.client.get_experiment_by_name(self.experiment).experiment_id

    def _follow_moved_home(self, stored_root: str) -> None:
        """Rewrite the artifact locations of a local store that was copied or moved.

        A local (SQLite) store records absolute artifact paths; after ``CORRPLAT_HOME`` is
        copied or moved they would still point at the old folder, so a copy would read and
        write the original's artifacts. The paths are rewritten to the current home once.
        """
        if not (self.tracking_uri.startswith("sqlite:") and self.artifact_root):
            return
        if stored_root in (self.artifact_root, None) or not stored_root.startswith("file:"):
            return
        db = self.tracking_uri.removeprefix("sqlite:///")
        rewrites = {
            "experiments": "artifact_location",
            "runs": "artifact_uri",
            "logged_models": "artifact_location",
            "model_versions": "storage_location",
        }
        with sqlite3.connect(f"/{db}" if not db.startswith("/") else db) as con:
            tables = {r[0] for r in con.execute("select name from sqlite_master")}
            for table, column in rewrites.items():
                if table in tables:
                    con.execute(
                        # Table and column names come from the constant mapping above.
                        f"UPDATE {table} SET {column} = ? || substr({column}, ?) "
                        f"WHERE substr({column}, 1, ?) = ?",
                        (self.artifact_root, len(stored_root) + 1, len(stored_root), stored_root),
                    )
        log.warning(
            "MLflow store moved: artifact locations rewritten from %s to %s",
            stored_root,
            self.artifact_root,
        )

    def log_forecaster(
        self,
        forecaster: CorrelationForecaster,
        run_name: str,
        *,
        params: dict | None = None,
        metrics: dict[str, float] | None = None,
        tags: dict[str, str] | None = None,
        artifacts: dict[str, bytes] | None = None,
    ) -> LoggedForecaster:
        """One run: params, metrics, artifacts, and the model logged and registered.

        Parameters
        ----------
        forecaster : CorrelationForecaster
            The fitted model.
        run_name : str
            The run's name.
        params, metrics, tags : dict, optional
            Logged as they are.
        artifacts : dict of str to bytes, optional
            File name -> content.

        Returns
        -------
        LoggedForecaster
            Run id, model URI and registry version.
        """
        exp_id = self.activate()
        with mlflow.start_run(experiment_id=exp_id, run_name=run_name, tags=tags or {}) as run:
            mlflow.log_params({k: str(v) for k, v in (params or {}).items()})
            if metrics:
                mlflow.log_metrics({metric_key(k): float(v) for k, v in metrics.items()})
            for name, data in (artifacts or {}).items():
                self._log_bytes(name, data)
            info = mlflow.pyfunc.log_model(
                name="forecaster",
                python_model=ForecasterPyfunc(forecaster),
                pip_requirements=pip_requirements(extra=forecaster.runtime_packages),
                # No code_paths: loading a model with a copy of the package puts that copy
                # first on sys.path, so worker processes started afterwards (the backtest
                # fan-out) imported the training-time code instead of the installed one.
                # The model unpickles against the installed correlation_platform.
                registered_model_name=self.registered_model,
                tags={"family": forecaster.name},
            )
        version_ = str(info.registered_model_version)
        self.client.set_model_version_tag(
            self.registered_model, version_, "family", forecaster.name
        )
        self.client.set_model_version_tag(
            self.registered_model, version_, "run_id", run.info.run_id
        )
        if "dagster.run_id" in (tags or {}):  # whose finishing makes this version complete
            self.client.set_model_version_tag(
                self.registered_model, version_, "dagster.run_id", tags["dagster.run_id"]
            )
        return LoggedForecaster(
            run_id=run.info.run_id,
            model_uri=info.model_uri,
            registered_version=version_,
            experiment_id=exp_id,
        )

    @staticmethod
    def _log_bytes(name: str, data: bytes) -> None:
        """Log ``data`` as the artifact ``name`` (a ``folder/file`` name keeps its folder)."""
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            folder = str(Path(name).parent)
            mlflow.log_artifact(str(path), artifact_path=None if folder == "." else folder)

    def log_decision(
        self, run_name: str, decision, table, *, tags: dict[str, str] | None = None
    ) -> str:
        """A run recording a champion/challenger decision and its evidence.

        Parameters
        ----------
        run_name : str
            The run's name.
        decision : PromotionDecision
            The decision.
        table : pandas.DataFrame
            The comparison table.
        tags : dict, optional
            Extra run tags.

        Returns
        -------
        str
            The run id.
        """
        exp_id = self.activate()
        with mlflow.start_run(
            experiment_id=exp_id,
            run_name=run_name,
            tags={"kind": "champion_selection", **(tags or {})},
        ) as run:
            mlflow.log_params(
                {
                    "champion": decision.champion,
                    "challenger": str(decision.challenger),
                    "promoted": str(decision.promote),
                }
            )
            numeric = {
                k: float(v)
                for k, v in decision.evidence.items()
                if isinstance(v, int | float) and v == v and abs(v) != float("inf")
            }
            if numeric:
                mlflow.log_metrics(numeric)
            mlflow.set_tag("reason", decision.reason[:5000])
            self._log_bytes("comparison.md", table.to_markdown().encode())
            self._log_bytes("decision.txt", decision.reason.encode())
        return run.info.run_id

    def log_backtest(
        self, run_id: str, report: Path, metrics: dict[str, float], tables: dict[str, str]
    ) -> None:
        """Attach a backtest report, its headline metrics and markdown tables to a run.

        The run is the champion's training run.

        Parameters
        ----------
        run_id : str
            The run to attach to.
        report : Path
            The HTML report file.
        metrics : dict
            Metric name -> value (non-finite values are skipped).
        tables : dict
            Artifact file name -> markdown text.
        """
        client = self.client
        client.log_artifact(run_id, str(report), artifact_path="backtest")
        for name, value in metrics.items():
            if value == value and abs(value) != float("inf"):
                client.log_metric(run_id, name, float(value))
        with tempfile.TemporaryDirectory() as tmp:
            for name, text in tables.items():
                path = Path(tmp) / name
                path.write_text(text, encoding="utf-8")
                client.log_artifact(run_id, str(path), artifact_path="backtest")
