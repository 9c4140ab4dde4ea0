"""Writes the bad-input corpus (one folder per case, files as a user would hand them over).

Run ``python make_corpus.py`` to regenerate; the files are committed, so the tests read the
bytes a user would have, encodings and all. Each case folder holds ``expect.yaml``:
``error`` (a regex the DataValidationError message must match, besides naming the file) or
``report`` (a regex the cleaning report must match, for input that is legitimately
readable), optionally ``assets`` (the assets that survive cleaning).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

HERE = Path(__file__).parent
N_DAYS = 90


def _base(n_days: int = N_DAYS, assets=("AAA", "BBB", "CCC"), seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2021-01-04", periods=n_days, name="date")
    steps = rng.normal(0.0003, 0.01, size=(n_days, len(assets)))
    return pd.DataFrame(50 * np.exp(np.cumsum(steps, axis=0)), index=dates, columns=list(assets))


def _csv(frame: pd.DataFrame) -> str:
    out = frame.copy()
    out.index = out.index.strftime("%Y-%m-%d")
    return out.to_csv(float_format="%.4f")


def _write(name: str, files: dict[str, str | bytes], **expect) -> None:
    folder = HERE / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for file, content in files.items():
        path = folder / file
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    (folder / "expect.yaml").write_text(yaml.safe_dump(expect, sort_keys=False))


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def build() -> None:
    for old in HERE.iterdir():
        if old.is_dir():
            shutil.rmtree(old)
    good = _base()
    text = _csv(good)
    lines = _lines(text)
    header, rows = lines[0], lines[1:]

    _write("empty_file", {"prices.csv": ""}, error=r"\[empty-file\]")
    _write("header_only", {"prices.csv": header}, error=r"\[history-too-short\] 0 rows")
    _write("missing_prices_file", {"notes.txt": "no prices here"}, error=r"\[missing-file\]")
    _write("no_date_column", {"prices.csv": text.replace("date,", "day,", 1)},
           error=r"\[missing-date-column\]")  # fmt: skip
    swapped = [header, *rows[:10], rows[11], rows[10], *rows[12:]]
    _write("unsorted_dates", {"prices.csv": "".join(swapped)},
           error=r"\[unsorted-dates\].*date 2021-01-18")  # fmt: skip
    _write("duplicate_dates", {"prices.csv": "".join([header, *rows[:5], rows[4], *rows[5:]])},
           error=r"\[duplicate-dates\].*date 2021-01-08")  # fmt: skip
    bad_date = rows[7].replace("2021-01-13", "2021-13-45", 1)
    _write("unparseable_date", {"prices.csv": "".join([header, *rows[:7], bad_date, *rows[8:]])},
           error=r"\[unparseable-date\] row 9: '2021-13-45'")  # fmt: skip
    mixed = [r if k % 2 else r.replace(r[:10], pd.Timestamp(r[:10]).strftime("%d/%m/%Y"), 1)
             for k, r in enumerate(rows)]  # fmt: skip
    _write("mixed_date_formats", {"prices.csv": "".join([header, *mixed])},
           error=r"\[(unparseable-date|mixed-date-formats)\]")  # fmt: skip
    word = rows[20].split(",")
    word[2] = "n/a-halted"
    _write("word_in_price", {"prices.csv": "".join([header, *rows[:20], ",".join(word), *rows[21:]])},
           error=r"\[non-numeric-price\] value 'n/a-halted'.*column 'BBB'.*date 2021-02-01")  # fmt: skip
    for name, value, rule in (
        ("zero_price", "0", r"\[non-positive-price\].*column 'AAA'"),
        ("negative_price", "-12.5", r"\[non-positive-price\].*column 'AAA'"),
        ("inf_price", "inf", r"\[non-finite-price\].*column 'AAA'"),
        ("huge_price", "1e300", r"\[implausible-price\].*column 'AAA'"),
    ):
        cells = rows[30].split(",")
        cells[1] = value
        _write(name, {"prices.csv": "".join([header, *rows[:30], ",".join(cells), *rows[31:]])},
               error=rule)  # fmt: skip
    nan_col = good.copy()
    nan_col["DDD"] = np.nan
    _write("all_nan_column", {"prices.csv": _csv(nan_col)},
           report=r"dropped asset DDD: 100.0% of days missing", assets=["AAA", "BBB", "CCC"])  # fmt: skip
    two = good.copy()
    two["EEE"] = np.nan
    two.iloc[[3, 4], 3] = [10.0, 10.5]
    _write("two_observations", {"prices.csv": _csv(two)},
           report=r"dropped asset EEE: 97.8% of days missing", assets=["AAA", "BBB", "CCC"])  # fmt: skip
    tick = good.copy()
    tick.iloc[40, 1] *= 100
    _write("bad_tick", {"prices.csv": _csv(tick)},
           report=r"BBB 2021-03-01: bad tick \(reverts next day\)")  # fmt: skip
    early = good.copy()
    early.iloc[5, 2] *= 100
    _write("bad_tick_in_warm_up", {"prices.csv": _csv(early)},
           report=r"CCC 2021-01-11: bad tick \(reverts next day\)")  # fmt: skip
    split = good.copy()
    split.iloc[50:, 0] /= 2
    _write("unadjusted_split", {"prices.csv": _csv(split)},
           report=r"AAA 2021-03-15: possible unadjusted split")  # fmt: skip
    small = good.copy()
    small.iloc[60:, 2] *= 0.8  # a 5:4 split: -20%
    _write("unadjusted_small_split", {"prices.csv": _csv(small)},
           report=r"CCC 2021-03-29: possible unadjusted split")  # fmt: skip
    adjusted = split.copy()
    actions = "date,asset,type,value\n2021-03-15,AAA,split,2\n"
    _write("split_with_actions", {"prices.csv": _csv(adjusted), "actions.csv": actions},
           report=r"^$")  # fmt: skip
    _write("latin1_encoding", {"prices.csv": text.replace("CCC", "Société").encode("latin-1")},
           error=r"\[not-utf8\].*byte 0xe9")  # fmt: skip
    _write("utf8_bom", {"prices.csv": b"\xef\xbb\xbf" + text.encode()},
           report=r"^$", assets=["AAA", "BBB", "CCC"])  # fmt: skip
    _write("semicolon_delimiter", {"prices.csv": text.replace(",", ";")},
           report=r"^$", assets=["AAA", "BBB", "CCC"])  # fmt: skip
    _write("tab_delimiter", {"prices.csv": text.replace(",", "\t")},
           report=r"^$", assets=["AAA", "BBB", "CCC"])  # fmt: skip
    _write("duplicate_column_names", {"prices.csv": text.replace("CCC", "AAA", 1)},
           error=r"\[duplicate-columns\].*'AAA'")  # fmt: skip
    _write("empty_header", {"prices.csv": text.replace(",CCC", ",", 1)},
           error=r"\[unnamed-column\] column 4 has no name")  # fmt: skip
    weekend = [r.replace("2021-01-08", "2021-01-09", 1) for r in rows]
    _write("weekend_dates", {"prices.csv": "".join([header, *weekend])},
           error=r"\[weekend-date\].*date 2021-01-09")  # fmt: skip
    tz = [r.replace(r[:10], r[:10] + "T16:00:00+01:00", 1) for r in rows]
    _write("timezone_offsets", {"prices.csv": "".join([header, *tz])},
           error=r"\[timezone-in-dates\]")  # fmt: skip
    _write("too_short_history", {"prices.csv": "".join([header, *rows[:30]])},
           error=r"\[history-too-short\] 30 rows")  # fmt: skip
    gap = good.copy()
    gap.iloc[20, 1] = np.nan
    _write("one_missing_day", {"prices.csv": _csv(gap)}, report=r"forward-filled")
    long = good.stack().rename("price").reset_index().rename(columns={"level_1": "asset"})
    long["date"] = long["date"].dt.strftime("%Y-%m-%d")
    _write("long_format", {"prices.csv": long.to_csv(index=False)}, report=r"^$",
           assets=["AAA", "BBB", "CCC"])  # fmt: skip
    dup_long = pd.concat([long, long.iloc[[5]]])
    _write("long_format_duplicate", {"prices.csv": dup_long.to_csv(index=False)},
           error=r"\[duplicate-dates\] the same asset and date appear twice")  # fmt: skip
    _write("thousands_separator", {"prices.csv": text.replace(rows[3], rows[3].replace(
        rows[3].split(",")[1], '"1,234.5"'))}, error=r"\[non-numeric-price\]")  # fmt: skip
    parquet_bytes = b"PAR1" + b"\x00" * 64
    _write("corrupt_parquet", {"prices.parquet": parquet_bytes}, error=r"\[unreadable-file\]")

    ind_dates = pd.date_range("2021-01-01", periods=3, freq="MS").strftime("%Y-%m-%d")
    ind = "date,cpi,spread\n" + "".join(
        f"{d},{100 + k},{1.5 + k / 10}\n" for k, d in enumerate(ind_dates)
    )
    lags = {"cpi": {"lag_days": 15, "after": "period_end", "frequency": "monthly"},
            "spread": {"lag_business_days": 1, "after": "period_end", "frequency": "monthly"}}  # fmt: skip
    _write("indicators_ok", {"prices.csv": text, "indicators.csv": ind,
           "indicators.yaml": yaml.safe_dump(lags)}, report=r"^$")  # fmt: skip
    _write("indicator_without_release_lag", {"prices.csv": text, "indicators.csv": ind,
           "indicators.yaml": yaml.safe_dump({"cpi": lags["cpi"]})},
           error=r"\[indicator-without-release-lag\].*column 'spread'")  # fmt: skip
    _write("indicators_without_yaml", {"prices.csv": text, "indicators.csv": ind},
           error=r"\[indicator-without-release-lag\]")  # fmt: skip
    _write("negative_release_lag", {"prices.csv": text, "indicators.csv": ind,
           "indicators.yaml": yaml.safe_dump({**lags, "cpi": {"lag_days": -5}})},
           error=r"\[negative-release-lag\].*column 'cpi'")  # fmt: skip
    _write("malformed_yaml", {"prices.csv": text, "indicators.csv": ind,
           "indicators.yaml": "cpi: {lag_days: 15\nspread: [\n"},
           error=r"\[malformed-yaml\]")  # fmt: skip
    word_ind = ind.replace("101,", "tbd,", 1)
    _write("non_numeric_indicator", {"prices.csv": text, "indicators.csv": word_ind,
           "indicators.yaml": yaml.safe_dump(lags)},
           error=r"\[non-numeric-indicator\] value 'tbd'.*column 'cpi'")  # fmt: skip
    sectors = "asset,sector,market\nAAA,tech,all\nBBB,energy,all\n"
    _write("sectors_missing_asset", {"prices.csv": text, "sectors.csv": sectors},
           error=r"\[sector-missing-assets\].*\['CCC'\]")  # fmt: skip
    _write("sectors_unknown_asset", {"prices.csv": text,
           "sectors.csv": sectors + "CCC,fin,all\nZZZ,fin,all\n"},
           error=r"\[unknown-assets\].*ZZZ")  # fmt: skip
    _write("actions_bad_value", {"prices.csv": text,
           "actions.csv": "date,asset,type,value\n2021-03-15,AAA,split,two\n"},
           error=r"\[non-numeric-action-value\]")  # fmt: skip
    _write("actions_bad_date", {"prices.csv": text,
           "actions.csv": "date,asset,type,value\n2021-02-30,AAA,split,2\n"},
           error=r"\[unparseable-date\]")  # fmt: skip
    _write("actions_unknown_asset", {"prices.csv": text,
           "actions.csv": "date,asset,type,value\n2021-03-15,ZZZ,split,2\n"},
           error=r"\[unknown-assets\]")  # fmt: skip


if __name__ == "__main__":
    build()
    print(len([p for p in HERE.iterdir() if p.is_dir()]), "cases written to", HERE)
