"""The bad-input corpus (bad_inputs/<case>/): every case gives a clear error naming the file,
or, where the input is legitimately readable, the right data and a cleaning-report entry."""

import re
from pathlib import Path

import pytest
import yaml

from correlation_platform.data import load_market_data
from correlation_platform.data.validation import DataValidationError
from correlation_platform.features import clean_prices, simple_returns
from correlation_platform.features.outliers import winsorize_returns

CORPUS = Path(__file__).parent / "bad_inputs"
CASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 40


def _cleaning_report(folder: Path) -> tuple[str, list[str]]:
    data = load_market_data("files", path=folder)
    cleaned = clean_prices(data.prices)
    lines = [f"{r.action} {r.asset}: {r.detail}" for r in cleaned.report.itertuples()]
    winsorised = winsorize_returns(simple_returns(cleaned.prices).dropna(), z=15)
    lines += [f"{r.asset} {r.date.date()}: {r.suspicion}" for r in winsorised.report.itertuples()]
    return "\n".join(lines), list(cleaned.prices.columns)


@pytest.mark.parametrize("case", CASES)
def test_bad_input_case(case):
    folder = CORPUS / case
    expect = yaml.safe_load((folder / "expect.yaml").read_text())
    if "error" in expect:
        with pytest.raises(DataValidationError) as err:
            load_market_data("files", path=folder)
        message = str(err.value)
        assert re.search(expect["error"], message), message
        assert str(folder) in message, f"the error must name the file: {message}"
        return
    report, assets = _cleaning_report(folder)
    pattern = expect["report"]
    if pattern == "^$":
        assert "bad tick" not in report and "split" not in report, report
    else:
        assert re.search(pattern, report, re.M), report
    if "assets" in expect:
        assert assets == expect["assets"]


def test_no_asset_is_materialised_from_a_bad_file():
    from dagster import AssetSelection, DagsterInstance, materialize

    from correlation_platform.definitions import build_definitions
    from correlation_platform.orchestration.resources import MarketDataResource

    source = MarketDataResource(source="files", options={"path": str(CORPUS / "inf_price")})
    defs = build_definitions({"market_data": source})
    instance = DagsterInstance.ephemeral()
    result = materialize(
        list(defs.assets),
        instance=instance,
        resources=dict(defs.resources),
        selection=AssetSelection.groups("ingestion", "features"),
        raise_on_error=False,
    )
    assert not result.success
    assert not result.get_asset_materialization_events()
    failure = next(e for e in result.all_events if e.is_step_failure)
    error = failure.event_specific_data.error
    assert error.cause is not None and "[non-finite-price]" in error.cause.message
    # Bad data is not retried (the ingestion retry policy is for transient errors).
    assert not any(e.event_type_value == "STEP_UP_FOR_RETRY" for e in result.all_events)
