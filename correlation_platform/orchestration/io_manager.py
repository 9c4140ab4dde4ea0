"""Parquet IO manager: DataFrames/Series as Parquet, small dicts as JSON (never pickle)."""

import json
from pathlib import Path
from typing import Any

import pandas as pd
from dagster import ConfigurableIOManager, InputContext, OutputContext

from correlation_platform.paths import subdir


class ParquetIOManager(ConfigurableIOManager):
    """Files under ``base_dir/<asset key>/<partition>.{parquet,json}``."""

    base_dir: str = ""

    def _root(self) -> Path:
        return Path(self.base_dir) if self.base_dir else subdir("assets")

    def _stem(self, asset_path: list[str], partition: str | None) -> Path:
        folder = self._root().joinpath(*asset_path)
        return folder / (partition if partition is not None else "data")

    def handle_output(self, context: OutputContext, obj: Any) -> None:
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
            frame.to_parquet(path)
        elif isinstance(obj, dict):
            path = stem.with_suffix(".json")
            path.write_text(json.dumps(obj, indent=2, default=str), encoding="utf-8")
        else:
            raise TypeError(
                f"ParquetIOManager stores DataFrame, Series or dict, not {type(obj).__name__} "
                f"(asset {context.asset_key.to_user_string()})"
            )
        context.add_output_metadata({"path": str(path)})

    def _read(self, stem: Path) -> Any:
        if stem.with_suffix(".parquet").exists():
            return pd.read_parquet(stem.with_suffix(".parquet"))
        if stem.with_suffix(".json").exists():
            return json.loads(stem.with_suffix(".json").read_text(encoding="utf-8"))
        raise FileNotFoundError(f"no stored value at {stem}.parquet|.json: materialise it first")

    def load_input(self, context: InputContext) -> Any:
        path = list(context.asset_key.path)
        if context.has_asset_partitions:
            keys = context.asset_partition_keys
            # A consumer in a partitioned run reads its one partition; an unpartitioned
            # consumer of a partitioned asset reads {partition: value}.
            if len(keys) == 1 and context.has_partition_key:
                return self._read(self._stem(path, keys[0]))
            found = {}
            for key in keys:
                try:
                    found[key] = self._read(self._stem(path, key))
                except FileNotFoundError:
                    context.log.warning(
                        f"{context.asset_key.to_user_string()}[{key}] not materialised; skipped"
                    )
            return found
        return self._read(self._stem(path, None))
