import numpy as np
import pandas as pd
import pytest

from correlation_platform.data import DataValidationError, load_market_data


def _wide(n=80) -> pd.DataFrame:
    idx = pd.bdate_range("2020-01-01", periods=n, name="date")
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        100 * np.exp(np.cumsum(rng.normal(0, 0.01, (n, 3)), axis=0)),
        index=idx,
        columns=["AAA", "BBB", "CCC"],
    )


def test_wide_csv_and_long_parquet_agree(tmp_path):
    wide = _wide()
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    wide.reset_index().to_csv(a / "prices.csv", index=False)
    long = wide.stack().rename("price").reset_index().rename(columns={"level_1": "asset"})
    long["volume"] = 1000.0
    long.to_parquet(b / "prices.parquet")
    from_csv = load_market_data("files", path=a)
    from_parquet = load_market_data("files", path=b)
    pd.testing.assert_frame_equal(
        from_csv.prices, from_parquet.prices, check_freq=False, check_names=False
    )
    assert from_parquet.volumes is not None and (from_parquet.volumes == 1000.0).all().all()


def test_indicators_are_stamped_on_release_day(tmp_path):
    _wide().reset_index().to_csv(tmp_path / "prices.csv", index=False)
    pd.DataFrame(
        {"date": ["2020-01-01", "2020-02-01"], "cpi": [1.0, 2.0], "spread": [0.5, 0.6]}
    ).to_csv(tmp_path / "indicators.csv", index=False)
    (tmp_path / "indicators.yaml").write_text(
        "cpi: {lag_days: 15, after: period_end, frequency: monthly}\n"
        "spread: {lag_business_days: 1, after: period_end, frequency: monthly}\n"
    )
    data = load_market_data("files", path=tmp_path)
    cpi = data.indicators["cpi"].dropna()
    spread = data.indicators["spread"].dropna()
    assert list(cpi.index) == [
        pd.Timestamp("2020-02-17"),
        pd.Timestamp("2020-03-16"),
    ]  # Jan 31+15 = Sun
    assert list(spread.index) == [pd.Timestamp("2020-02-03"), pd.Timestamp("2020-03-02")]
    assert set(data.release_lags) == {"cpi", "spread"}


def test_indicator_without_release_lag_names_the_file_and_column(tmp_path):
    _wide().reset_index().to_csv(tmp_path / "prices.csv", index=False)
    pd.DataFrame({"date": ["2020-01-01"], "mystery": [1.0]}).to_csv(
        tmp_path / "indicators.csv", index=False
    )
    (tmp_path / "indicators.yaml").write_text("other: {lag_days: 0}\n")
    with pytest.raises(
        DataValidationError, match=r"indicator-without-release-lag.*indicators.yaml.*'mystery'"
    ):
        load_market_data("files", path=tmp_path)


def test_bad_rows_are_named(tmp_path):
    frame = _wide().reset_index()
    frame["date"] = frame["date"].astype(str)
    frame.loc[5, "date"] = "not-a-date"
    frame.to_csv(tmp_path / "prices.csv", index=False)
    with pytest.raises(DataValidationError, match=r"unparseable-date.*row 7.*prices.csv"):
        load_market_data("files", path=tmp_path)
    (tmp_path / "prices.csv").unlink()
    with pytest.raises(DataValidationError, match="missing-file"):
        load_market_data("files", path=tmp_path)


def test_long_format_duplicate_is_named(tmp_path):
    long = _wide().stack().rename("price").reset_index().rename(columns={"level_1": "asset"})
    long = pd.concat([long, long.iloc[[4]]])
    long.to_csv(tmp_path / "prices.csv", index=False)
    with pytest.raises(DataValidationError, match=r"duplicate-dates.*'BBB'.*2020-01-02"):
        load_market_data("files", path=tmp_path)


def test_sectors_and_corporate_actions(tmp_path):
    wide = _wide()
    raw = wide.copy()
    split_day, div_day = wide.index[40], wide.index[60]
    raw.loc[raw.index >= split_day, "AAA"] /= 2.0  # 2-for-1 split: raw prices halve
    raw.reset_index().to_csv(tmp_path / "prices.csv", index=False)
    pd.DataFrame(
        {
            "date": [split_day, div_day],
            "asset": ["AAA", "BBB"],
            "type": ["split", "dividend"],
            "value": [2.0, 1.0],
        }
    ).to_csv(tmp_path / "actions.csv", index=False)
    pd.DataFrame({"asset": ["AAA", "BBB", "CCC"], "sector": ["x", "x", "y"]}).to_csv(
        tmp_path / "sectors.csv", index=False
    )
    data = load_market_data("files", path=tmp_path)
    adj = data.prices
    # The split leaves no jump in adjusted prices: returns equal those of the unsplit series.
    np.testing.assert_allclose(adj["AAA"].pct_change().iloc[1:], wide["AAA"].pct_change().iloc[1:])
    # Dividend (CRSP/Yahoo convention): earlier prices scaled by 1 - D / P_{ex-1}, so the
    # ex-date return is P_ex / (P_{ex-1} - D) - 1, within O(D^2) of the exact total return.
    prev, ex = raw["BBB"].iloc[59], raw["BBB"].iloc[60]
    assert adj["BBB"].iloc[60] / adj["BBB"].iloc[59] - 1 == pytest.approx(ex / (prev - 1.0) - 1)
    assert adj["BBB"].iloc[59] / adj["BBB"].iloc[58] == pytest.approx(
        raw["BBB"].iloc[59] / raw["BBB"].iloc[58]
    )
    assert adj["BBB"].iloc[60:].equals(raw["BBB"].iloc[60:])
    assert any("split AAA" in n for n in data.notes)
    assert data.sectors.loc["CCC", "sector"] == "y"


def test_action_for_unknown_asset(tmp_path):
    _wide().reset_index().to_csv(tmp_path / "prices.csv", index=False)
    pd.DataFrame(
        {"date": ["2020-02-03"], "asset": ["ZZZ"], "type": ["split"], "value": [2]}
    ).to_csv(tmp_path / "actions.csv", index=False)
    with pytest.raises(
        DataValidationError, match=r"unknown-assets.*actions.csv.*'ZZZ'.*2020-02-03"
    ):
        load_market_data("files", path=tmp_path)
