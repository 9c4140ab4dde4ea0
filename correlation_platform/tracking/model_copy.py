"""Registered models as files: read and verified, and kept as a local checksummed copy.

The daily run forecasts from a local copy of the champion that the champion step made
and hashed, so it needs no tracking server; a damaged file (truncated, altered, or not a
forecaster) is reported with the registered model, version, family and file it came from.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import cloudpickle
import yaml

from correlation_platform.forecasters import CorrelationForecaster
from correlation_platform.paths import corrplat_home

#: The pyfunc flavour's default pickle name (MLflow's ``python_model.pkl``), used when the
#: MLmodel file does not name one.
DEFAULT_MODEL_FILE = "python_model.pkl"


class DamagedModelError(RuntimeError):
    """A model file that does not load as the forecaster it was recorded as."""


def describe_version(registered_model: str, version: str, family: str) -> str:
    """A registry version in words an operator can look up in the registry.

    Parameters
    ----------
    registered_model, version, family : str
        What it is.

    Returns
    -------
    str
        ``registered model 'x' version v (family f)``.
    """
    return f"registered model '{registered_model}' version {version} (family {family})"


@dataclass(frozen=True)
class LocalModelCopy:
    """A verified copy of one registered version's model file under ``CORRPLAT_HOME``.

    Attributes
    ----------
    path : str
        The copied pickle, relative to ``CORRPLAT_HOME`` when it lies inside it (so a
        copied or moved home finds its own copy).
    sha256 : str
        Its hash when it was copied and verified.
    registered_model : str
        The registered model's name.
    version : str
        The registry version it copies.
    family : str
        The forecaster family.
    """

    path: str
    sha256: str
    registered_model: str
    version: str
    family: str

    @property
    def file(self) -> Path:
        """The copy's absolute path in the current home."""
        path = Path(self.path)
        return path if path.is_absolute() else corrplat_home() / path

    def describe(self) -> str:
        """Which model this is, in words an operator can look up in the registry.

        Returns
        -------
        str
            ``registered model 'x' version v (family f)``.
        """
        return describe_version(self.registered_model, self.version, self.family)

    def to_dict(self) -> dict:
        """The copy as a JSON-serialisable record (stored in the champion's asset).

        Returns
        -------
        dict
            The fields by name.
        """
        return asdict(self)

    @classmethod
    def from_dict(cls, record: dict | None) -> LocalModelCopy | None:
        """The copy a record names, None for records made before local copies existed.

        Parameters
        ----------
        record : dict or None
            A :meth:`to_dict` record.

        Returns
        -------
        LocalModelCopy or None
            The copy.
        """
        return cls(**record) if record else None


def model_file(model_dir: Path) -> Path:
    """The pickle of a downloaded pyfunc model directory (named by its ``MLmodel`` file).

    Parameters
    ----------
    model_dir : Path
        A model directory as MLflow downloads it.

    Returns
    -------
    Path
        The python model's pickle.
    """
    spec = model_dir / "MLmodel"
    name = DEFAULT_MODEL_FILE
    if spec.exists():
        flavor = (yaml.safe_load(spec.read_text()) or {}).get("flavors", {})
        name = flavor.get("python_function", {}).get("python_model", name)
    return model_dir / name


def unpickle_forecaster(data: bytes, *, where: str) -> CorrelationForecaster:
    """The fitted forecaster inside a model pickle, or a :class:`DamagedModelError`.

    Parameters
    ----------
    data : bytes
        The pickle (a ``ForecasterPyfunc`` or a bare forecaster).
    where : str
        Which model and file, for the error.

    Returns
    -------
    CorrelationForecaster
        The unpickled model.

    Raises
    ------
    DamagedModelError
        When the bytes do not unpickle, or unpickle to something that is not a forecaster.
    """
    try:
        obj = cloudpickle.loads(data)
    except Exception as exc:  # any unpickling failure means the file is damaged
        raise DamagedModelError(
            f"{where} is damaged and cannot be loaded ({type(exc).__name__}: {exc}); "
            "retrain the family or point the champion at another version"
        ) from exc
    forecaster = getattr(obj, "forecaster", obj)
    if not isinstance(forecaster, CorrelationForecaster):
        raise DamagedModelError(
            f"{where} unpickles to {type(forecaster).__name__}, not a correlation forecaster"
        )
    return forecaster


def sha256_of(data: bytes) -> str:
    """Hex SHA-256 of ``data``.

    Parameters
    ----------
    data : bytes
        The content.

    Returns
    -------
    str
        The hex digest.
    """
    return hashlib.sha256(data).hexdigest()


def save_copy(
    source: Path, *, folder: Path, registered_model: str, version: str, family: str
) -> LocalModelCopy:
    """Verify a downloaded model file and keep a copy of it, with its hash.

    Parameters
    ----------
    source : Path
        The model pickle as downloaded from the registry.
    folder : Path
        Where copies are kept.
    registered_model, version, family : str
        What it is.

    Returns
    -------
    LocalModelCopy
        The copy.

    Raises
    ------
    DamagedModelError
        When the downloaded file does not load as a forecaster of ``family``.
    """
    data = source.read_bytes()
    where = f"{describe_version(registered_model, version, family)}, {source.name}"
    forecaster = unpickle_forecaster(data, where=where)
    if forecaster.name != family:
        raise DamagedModelError(f"{where} holds a {forecaster.name} forecaster, not {family}")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{registered_model}-v{version}-{family}.pkl"
    partial = target.with_suffix(".partial")
    partial.write_bytes(data)
    os.replace(partial, target)  # never a half-written copy under the final name
    home = corrplat_home()
    return LocalModelCopy(
        path=str(target.relative_to(home) if target.is_relative_to(home) else target),
        sha256=sha256_of(data),
        registered_model=registered_model,
        version=str(version),
        family=family,
    )


def load_copy(copy: LocalModelCopy) -> CorrelationForecaster:
    """The forecaster of a local copy, after checking the file against its recorded hash.

    Parameters
    ----------
    copy : LocalModelCopy
        The copy.

    Returns
    -------
    CorrelationForecaster
        The model.

    Raises
    ------
    DamagedModelError
        When the file is missing, its hash differs, or it does not load.
    """
    path = copy.file
    where = f"the local copy {path} of {copy.describe()}"
    if not path.exists():
        raise DamagedModelError(f"{where} is missing")
    data = path.read_bytes()
    found = sha256_of(data)
    if found != copy.sha256:
        raise DamagedModelError(
            f"{where} has sha256 {found[:12]}..., not the {copy.sha256[:12]}... "
            "recorded when it was verified (altered or truncated)"
        )
    return unpickle_forecaster(data, where=where)
