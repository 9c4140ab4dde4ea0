"""Partitions: one per forecaster family for training, one per day for predictions."""

from __future__ import annotations

import pandas as pd
from dagster import DailyPartitionsDefinition, StaticPartitionsDefinition

from correlation_platform.forecasters import FORECASTERS

forecaster_partitions = StaticPartitionsDefinition(list(FORECASTERS))

# end_offset=1: today's partition exists, so the evening schedule can predict for today.
daily_partitions = DailyPartitionsDefinition(start_date="2001-01-02", end_offset=1)


def as_of_position(index: pd.DatetimeIndex, partition_key: str) -> tuple[int, pd.Timestamp, int]:
    """Last row known at the close of the partition's day: (position, date, days stale)."""
    day = pd.Timestamp(partition_key)
    pos = int(index.searchsorted(day, side="right")) - 1
    if pos < 0:
        raise ValueError(
            f"partition {partition_key} is before the first data row {index[0].date()}"
        )
    return pos, index[pos], int((day - index[pos]).days)
