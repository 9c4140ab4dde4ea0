"""Small helpers that turn frames into Dagster metadata."""

import base64

import pandas as pd
from dagster import MetadataValue


def frame_summary(frame: pd.DataFrame) -> dict:
    meta = {"rows": len(frame), "columns": frame.shape[1]}
    if len(frame) and isinstance(frame.index, pd.DatetimeIndex):
        meta["first_date"] = str(frame.index[0].date())
        meta["last_date"] = str(frame.index[-1].date())
    return meta


def markdown_table(frame: pd.DataFrame, floatfmt: str = ".4f") -> MetadataValue:
    return MetadataValue.md(frame.to_markdown(floatfmt=floatfmt))


def markdown_image(png: bytes, alt: str) -> str:
    return f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode()})"
