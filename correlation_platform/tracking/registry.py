"""The registry side of the store: aliases, loading recorded versions, local copies, lifecycle.

:class:`RegistryVersions` is mixed into :class:`~correlation_platform.tracking.MlflowStore`,
which provides ``client``, ``registered_model``, ``activate`` and ``check_reachable``.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import mlflow
from mlflow.exceptions import MlflowException

from correlation_platform.forecasters import CorrelationForecaster
from correlation_platform.tracking.model_copy import (
    DamagedModelError,
    LocalModelCopy,
    describe_version,
    load_copy,
    model_file,
    save_copy,
    unpickle_forecaster,
)

#: Version tag recording whether the run that registered a version finished.
STATUS_TAG = "status"
#: MLflow's download progress bar: a carriage-return animation in every step's log.
PROGRESS_BAR = "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"


class MlflowUnavailableError(RuntimeError):
    """The tracking store cannot be reached."""


class RegistryVersions:
    """Registry versions of one registered model: aliases, loading, copies and lifecycle.

    A mixin: the class it is mixed into provides ``client`` (an ``MlflowClient``),
    ``registered_model``, ``activate()`` and ``check_reachable(...)``.
    """

    def set_alias(self, alias: str, version_: str) -> None:
        """Point an alias at a registry version.

        Parameters
        ----------
        alias : str
            The alias.
        version_ : str
            The version.
        """
        self.client.set_registered_model_alias(self.registered_model, alias, version_)

    def alias_version(self, alias: str) -> str | None:
        """The registry version an alias points to.

        Parameters
        ----------
        alias : str
            ``"champion"`` or ``"challenger"``.

        Returns
        -------
        str or None
            The version, None when the alias is not set.
        """
        try:
            return str(self.client.get_model_version_by_alias(self.registered_model, alias).version)
        except MlflowException:
            return None

    def version_tags(self, version_: str) -> dict[str, str]:
        """The tags of a registry version.

        Parameters
        ----------
        version_ : str
            The version.

        Returns
        -------
        dict of str to str
            Its tags (``family``, ...).
        """
        return dict(self.client.get_model_version(self.registered_model, version_).tags)

    def model_uri(self, alias: str) -> str:
        """``models:/<registered model>@<alias>``.

        Parameters
        ----------
        alias : str
            The alias.

        Returns
        -------
        str
            The URI.
        """
        return f"models:/{self.registered_model}@{alias}"

    def load_pyfunc(self, alias: str = "champion"):
        """The MLflow pyfunc model of an alias.

        Parameters
        ----------
        alias : str, default "champion"
            The alias.

        Returns
        -------
        mlflow.pyfunc.PyFuncModel
            The loaded model.
        """
        self.activate()
        with _installed_code_only():
            return mlflow.pyfunc.load_model(self.model_uri(alias))

    def load_recorded(
        self, version_: str, alias: str = "champion", *, local: LocalModelCopy | None = None
    ) -> RecordedModel:
        """Load the version Dagster recorded, and say if the alias was moved since.

        Predictions must come from the model the lineage names: an alias moved by hand in
        the MLflow UI would otherwise change the forecasts while Dagster still shows the
        old version. With a verified local copy the model needs no tracking server: an
        unreachable one (bounded by :meth:`check_reachable`) only skips the alias check.

        Parameters
        ----------
        version_ : str
            The registry version in the lineage (``champion_forecaster``).
        alias : str
            The alias that should point at it.
        local : LocalModelCopy, optional
            The champion step's verified copy of that version.

        Returns
        -------
        RecordedModel

        Raises
        ------
        MlflowUnavailableError
            When the store is unreachable and no verified local copy can stand in.
        DamagedModelError
            When the registry's file is damaged and no verified local copy can stand in.
        """
        version_ = str(version_)
        forecaster, source, notes = None, "registry", []
        if local is not None and local.version == version_:
            try:
                forecaster, source = load_copy(local), "local copy"
            except DamagedModelError as exc:
                notes.append(f"{exc}: loading version {version_} from the registry instead")
        unavailable, now, mismatch = "", None, ""
        try:
            self.check_reachable(
                doing=f"loading version {version_} of '{self.registered_model}'",
                consequence="No verified local copy of the model can stand in."
                if forecaster is None
                else "The verified local copy is used; the registry alias was not checked.",
            )
            now = self.alias_version(alias)
            if forecaster is None:
                forecaster = self.load_forecaster(version_)
        except MlflowUnavailableError as exc:
            if forecaster is None:
                raise
            unavailable = str(exc)
        if not unavailable and now != version_:
            mismatch = (
                f"registry alias '{alias}' points at version {now}, but the lineage recorded "
                f"version {version_} (moved outside Dagster?): version {version_} is used; "
                "re-materialise champion_forecaster to adopt the registry's choice"
            )
        return RecordedModel(
            forecaster=forecaster,
            version=version_,
            alias_version=now,
            mismatch=mismatch,
            source=source,
            unavailable=unavailable,
            notes=tuple(notes),
        )

    def _version_ref(self, alias_or_version: str) -> str:
        """The version number an alias or number names."""
        if str(alias_or_version).isdigit():
            return str(alias_or_version)
        version_ = self.alias_version(alias_or_version)
        if version_ is None:
            raise MlflowException(
                f"registered model '{self.registered_model}' has no alias '{alias_or_version}'"
            )
        return version_

    def _describe(self, version_: str) -> str:
        """``registered model 'x' version v (family f)`` for messages."""
        try:
            family = self.version_tags(version_).get("family", "unknown")
        except MlflowException:
            family = "unknown"
        return describe_version(self.registered_model, version_, family)

    def load_forecaster(self, alias_or_version: str = "champion") -> CorrelationForecaster:
        """The fitted forecaster of a registry alias or version.

        Parameters
        ----------
        alias_or_version : str, default "champion"
            An alias, or a version number.

        Returns
        -------
        CorrelationForecaster
            The unpickled model (our installed code, not a logged copy).

        Raises
        ------
        DamagedModelError
            Naming the registered model, version, family and file, when the artifact does
            not load as a forecaster (truncated, altered, or something else).
        """
        self.activate()
        version_ = self._version_ref(alias_or_version)
        with tempfile.TemporaryDirectory() as tmp, _installed_code_only():
            path = model_file(self._download(version_, Path(tmp)))
            return unpickle_forecaster(
                path.read_bytes(),
                where=f"{self._describe(version_)}, artifact file {path.name}",
            )

    def _download(self, version_: str, folder: Path) -> Path:
        """Download a version's model directory into ``folder`` (no progress bar in logs)."""
        import mlflow.artifacts

        saved = os.environ.get(PROGRESS_BAR)
        os.environ[PROGRESS_BAR] = "false"  # MLflow reads it per download
        try:
            return Path(
                mlflow.artifacts.download_artifacts(
                    artifact_uri=f"models:/{self.registered_model}/{version_}",
                    dst_path=str(folder),
                )
            )
        finally:
            if saved is None:
                os.environ.pop(PROGRESS_BAR, None)
            else:
                os.environ[PROGRESS_BAR] = saved

    def keep_local_copy(self, version_: str, folder: Path) -> LocalModelCopy:
        """Download a version's model file, verify it and keep a checksummed copy.

        Parameters
        ----------
        version_ : str
            The registry version (the champion's).
        folder : Path
            Where copies are kept (``CORRPLAT_HOME/models``).

        Returns
        -------
        LocalModelCopy
            The copy, with the hash the daily run checks.

        Raises
        ------
        DamagedModelError
            When the registry's file does not load as the version's family.
        """
        self.activate()
        family = self.version_tags(str(version_)).get("family", "unknown")
        with tempfile.TemporaryDirectory() as tmp, _installed_code_only():
            return save_copy(
                model_file(self._download(str(version_), Path(tmp))),
                folder=folder,
                registered_model=self.registered_model,
                version=str(version_),
                family=family,
            )

    def mark_incomplete(self, run_state: Callable[[str], str]) -> list[str]:
        """Tag each version by whether the Dagster run that registered it finished.

        A version is registered at the end of its training step, before Dagster records the
        materialisation; a run killed or failed in between leaves a version that no lineage
        names. Such versions get ``status=incomplete`` and a description saying why, and
        :meth:`require_complete` refuses them an alias; versions of successful runs get
        ``status=complete``. Versions without a ``dagster.run_id`` (logged from a notebook)
        and versions of runs still going are left as they are.

        Parameters
        ----------
        run_state : callable
            Dagster run id -> ``"running"``, ``"success"`` or anything else (ended without
            success, or unknown to the instance).

        Returns
        -------
        list of str
            The versions marked incomplete now.
        """
        marked = []
        for mv in self.client.search_model_versions(f"name = '{self.registered_model}'"):
            owner = mv.tags.get("dagster.run_id")
            if owner is None or STATUS_TAG in mv.tags:
                continue
            state = run_state(owner)
            if state == "running":
                continue
            status = "complete" if state == "success" else "incomplete"
            self.client.set_model_version_tag(mv.name, mv.version, STATUS_TAG, status)
            if status == "incomplete":
                self.client.update_model_version(
                    mv.name,
                    mv.version,
                    description=f"Incomplete: registered by Dagster run {owner}, which ended "
                    f"without recording it ({state}). Never made champion or challenger.",
                )
                marked.append(str(mv.version))
        return marked

    def require_complete(self, version_: str) -> None:
        """Refuse a version that :meth:`mark_incomplete` found incomplete.

        Parameters
        ----------
        version_ : str
            The version about to get an alias.

        Raises
        ------
        ValueError
            Naming the version and why.
        """
        if self.version_tags(str(version_)).get(STATUS_TAG) == "incomplete":
            raise ValueError(
                f"{self._describe(str(version_))} is marked incomplete (its Dagster run did "
                "not finish); it is never made champion or challenger: retrain the family"
            )


@dataclass(frozen=True)
class RecordedModel:
    """A model version as Dagster's lineage recorded it, checked against the registry.

    Attributes
    ----------
    forecaster : CorrelationForecaster
        The recorded version's model.
    version : str
        The recorded (and loaded) registry version.
    alias_version : str or None
        Where the alias points now (None when not set, or not checked).
    mismatch : str
        Empty when they agree; otherwise a sentence naming both versions.
    source : str
        ``"local copy"`` (the verified copy under ``CORRPLAT_HOME``) or ``"registry"``.
    unavailable : str
        Empty when the tracking store answered; otherwise why it did not (the alias was
        then not checked).
    notes : tuple of str
        Anything else the operator should know (a damaged local copy, ...).
    """

    forecaster: CorrelationForecaster
    version: str
    alias_version: str | None
    mismatch: str
    source: str = "registry"
    unavailable: str = ""
    notes: tuple[str, ...] = ()


@contextlib.contextmanager
def _installed_code_only():
    """Undo MLflow's prepending of a model's logged ``code_paths`` to ``sys.path``.

    Models logged before code_paths were dropped carry a training-time copy of this
    package; MLflow puts it first on ``sys.path``, where every process started afterwards
    (the backtest's worker processes inherit ``sys.path``) would import that stale copy.
    The model unpickles against the package already imported here.
    """
    saved = list(sys.path)
    try:
        yield
    finally:
        sys.path[:] = saved
