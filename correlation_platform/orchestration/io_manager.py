"""Parquet IO manager: frames as Parquet, small dicts as JSON, correlation panels as .npy.

Never pickle.
"""

import contextlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from dagster import ConfigurableIOManager, InputContext, OutputContext

from correlation_platform.features.targets import CorrelationPanel
from correlation_platform.paths import subdir


class CorruptAssetError(RuntimeError):
    """A stored asset file exists but cannot be parsed (truncated, overwritten, ...)."""


@contextlib.contextmanager
def _atomic(path: Path):
    """Write to a temporary file beside ``path``, then move it into place.

    A killed run never leaves a half-written asset behind.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


#: Suffix of a correlation panel's index file (dates and assets), beside its ``.npy``.
PANEL_INDEX = ".panel.json"


def _read_panel(path: Path) -> CorrelationPanel:
    index = json.loads(path.with_suffix(PANEL_INDEX).read_text(encoding="utf-8"))
    return CorrelationPanel(
        dates=pd.DatetimeIndex(index["dates"]),
        assets=index["assets"],
        values=np.load(path, mmap_mode="r"),
    )


class ParquetIOManager(ConfigurableIOManager):
    """Files under ``base_dir/<asset key>/<partition>.{parquet,json,npy}``.

    Frames and series as Parquet, dicts as JSON, correlation panels as one ``.npy`` array
    (read memory-mapped) beside a ``.panel.json`` of its dates and assets.
    """

    base_dir: str = ""

    def _root(self) -> Path:
        return Path(self.base_dir) if self.base_dir else subdir("assets")

    def _stem(self, asset_path: list[str], partition: str | None) -> Path:
        folder = self._root().joinpath(*asset_path)
        return folder / (partition if partition is not None else "data")

    def handle_output(self, context: OutputContext, obj: Any) -> None:
        """Store an asset's output (frames as Parquet, the rest as JSON), atomically."""
        if obj is None:
            return
        partition = context.asset_partition_key if context.has_asset_partitions else None
        stem = self._stem(list(context.asset_key.path), partition)
        stem.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(obj, pd.Series):
            obj = obj.to_frame(obj.name if obj.name is not None else "value")
        if isinstance(obj, pd.DataFrame):
            path = stem.with_suffix(".parquet")
            frame = obj.copy()
            frame.columns = [str(c) for c in frame.columns]
            with _atomic(path) as tmp:
                frame.to_parquet(tmp)
        elif isinstance(obj, CorrelationPanel):
            path = stem.with_suffix(".npy")
            with _atomic(path) as tmp, tmp.open("wb") as fh:
                np.save(fh, obj.values)
            index = {"dates": [str(d.date()) for d in obj.dates], "assets": obj.assets}
            with _atomic(stem.with_suffix(PANEL_INDEX)) as tmp:
                tmp.write_text(json.dumps(index), encoding="utf-8")
        elif isinstance(obj, dict):
            path = stem.with_suffix(".json")
            with _atomic(path) as tmp:
                tmp.write_text(json.dumps(obj, indent=2, default=str), encoding="utf-8")
        else:
            raise TypeError(
                "ParquetIOManager stores DataFrame, Series, dict or CorrelationPanel, not "
                f"{type(obj).__name__} "
                f"(asset {context.asset_key.to_user_string()})"
            )
        context.add_output_metadata({"path": str(path)})

    def _read(self, stem: Path, asset: str = "") -> Any:
        for suffix, reader in (
            (".parquet", pd.read_parquet),
            (".npy", _read_panel),
            (".json", lambda p: json.loads(p.read_text(encoding="utf-8"))),
        ):
            path = stem.with_suffix(suffix)
            if not path.exists():
                continue
            try:
                return reader(path)
            except Exception as exc:  # any parse failure: name the asset and the file
                raise CorruptAssetError(
                    f"asset {asset or stem.parent.name}: the stored file {path} cannot be read "
                    f"({type(exc).__name__}: {exc}); re-materialise the asset to rewrite it"
                ) from exc
        raise FileNotFoundError(
            f"no stored value at {stem}.parquet|.json|.npy: materialise it first"
        )

    def load_input(self, context: InputContext) -> Any:
        """Load an upstream asset (every stored partition for a multi-partition input)."""
        path = list(context.asset_key.path)
        if context.has_asset_partitions:
            keys = context.asset_partition_keys
            # A consumer in a partitioned run reads its one partition; an unpartitioned
            # consumer of a partitioned asset reads {partition: value}.
            if len(keys) == 1 and context.has_partition_key:
                return self._read(self._stem(path, keys[0]), context.asset_key.to_user_string())
            found = {}
            for key in keys:
                try:
                    found[key] = self._read(
                        self._stem(path, key), context.asset_key.to_user_string()
                    )
                except FileNotFoundError:
                    context.log.warning(
                        f"{context.asset_key.to_user_string()}[{key}] not materialised; skipped"
                    )
            return found
        return self._read(self._stem(path, None), context.asset_key.to_user_string())


def stored_partitions(
    asset: str, *, before: str | None = None, io: ParquetIOManager | None = None
) -> dict[str, Path]:
    """The stored partitions of a daily asset, oldest first.

    Optionally only those strictly before ``before``: how an asset reads its own history
    (the book) or another asset's (recorded forecasts) without declaring every past day as
    an input.
    """
    folder = (io or ParquetIOManager())._root() / asset
    if not folder.exists():
        return {}
    found = {
        p.stem: p
        for p in folder.iterdir()
        if p.suffix in (".parquet", ".json", ".npy")
        and not p.name.startswith(".")
        and not p.name.endswith(PANEL_INDEX)
    }
    keys = sorted(k for k in found if before is None or k < before)
    return {k: found[k] for k in keys}


def read_stored(path: Path) -> Any:
    """One stored value, read like the IO manager reads an input."""
    return ParquetIOManager()._read(path.with_suffix(""), path.parent.name)
