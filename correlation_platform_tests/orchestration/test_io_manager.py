import numpy as np
import pandas as pd
import pytest
from dagster import build_input_context, build_output_context

from correlation_platform.orchestration.io_manager import CorruptAssetError, ParquetIOManager


def test_frames_round_trip_as_parquet_and_dicts_as_json(tmp_path):
    io = ParquetIOManager(base_dir=str(tmp_path))
    frame = pd.DataFrame(
        {"a": [1.0, 2.0]}, index=pd.bdate_range("2020-01-01", periods=2, name="date")
    )
    io.handle_output(build_output_context(asset_key="x"), frame)
    assert (tmp_path / "x" / "data.parquet").exists()
    pd.testing.assert_frame_equal(
        io.load_input(build_input_context(asset_key="x")), frame, check_freq=False
    )
    io.handle_output(build_output_context(asset_key="y"), {"k": 1})
    assert io.load_input(build_input_context(asset_key="y")) == {"k": 1}
    assert not list(tmp_path.rglob("*.pkl"))


def test_a_corrupted_file_names_the_asset_and_rematerialising_fixes_it(tmp_path):
    io = ParquetIOManager(base_dir=str(tmp_path))
    frame = pd.DataFrame({"a": [1.0, 2.0]})
    io.handle_output(build_output_context(asset_key="prices"), frame)
    path = tmp_path / "prices" / "data.parquet"
    path.write_bytes(path.read_bytes()[:40])  # truncated, as by a full disk or a bad copy
    with pytest.raises(CorruptAssetError, match=r"asset prices: the stored file .*data.parquet"):
        io.load_input(build_input_context(asset_key="prices"))
    io.handle_output(build_output_context(asset_key="prices"), frame)
    pd.testing.assert_frame_equal(io.load_input(build_input_context(asset_key="prices")), frame)
    assert not list(tmp_path.rglob("*.tmp"))  # the atomic write leaves no temporary file
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "data.json").write_text("{not json")
    with pytest.raises(CorruptAssetError, match=r"asset cfg: .*JSONDecodeError"):
        io.load_input(build_input_context(asset_key="cfg"))


def test_correlation_panels_round_trip_as_one_memory_mapped_array(tmp_path, regime_returns):
    from correlation_platform.features import realized_correlation_panel

    panel = realized_correlation_panel(regime_returns.iloc[:200], horizon=21)
    io = ParquetIOManager(base_dir=str(tmp_path))
    io.handle_output(build_output_context(asset_key="realized_correlation"), panel)
    stored = sorted(p.name for p in (tmp_path / "realized_correlation").iterdir())
    assert stored == ["data.npy", "data.panel.json"]  # one array, not a column per pair
    back = io.load_input(build_input_context(asset_key="realized_correlation"))
    assert isinstance(back.values, np.memmap) and back.values.dtype == np.float32
    np.testing.assert_array_equal(back.values, panel.values)
    assert list(back.dates) == list(panel.dates) and back.assets == panel.assets
