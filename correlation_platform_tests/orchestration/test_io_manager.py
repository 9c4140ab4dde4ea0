import pandas as pd
from dagster import build_input_context, build_output_context

from correlation_platform.orchestration.io_manager import ParquetIOManager


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
