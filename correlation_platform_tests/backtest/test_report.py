import re

import pytest

from correlation_platform.backtest import build_report, run_backtest
from correlation_platform.backtest.report import mark


@pytest.fixture(scope="module")
def report(regime_returns, tmp_path_factory):
    kwargs = dict(rebalance_every=21, train_size=300, objective="target_volatility")
    res = run_backtest(regime_returns, "ewma", **kwargs)
    other = run_backtest(regime_returns, "ledoit_wolf", benchmark=res.benchmark, **kwargs)
    path = tmp_path_factory.mktemp("report") / "r.html"
    return build_report([res, other], list(regime_returns.columns), path, "demo", n_trials=9)


def test_report_is_one_offline_page_with_the_verdict_first(report):
    page = report.html_path.read_text()
    body = page[page.index("<body>") :]
    assert body.index('class="verdict"') < body.index("<h2>Summary</h2>")
    assert report.verdict.startswith("ewma vs historical: realised volatility")
    assert re.search(r"DM p = \d\.\d{3}.*Ledoit-Wolf p = \d\.\d{3} HAC", report.verdict)
    assert re.search(r"in \d of \d market conditions", report.verdict)
    # plotly.js embedded once in the head; the figures load nothing from outside.
    head = page[: page.index("<body>")]
    assert head.count("<script>") == 1 and "plotly.js v" in head
    assert "<script src" not in body and "cdn.plot.ly" not in body
    assert body.count("Plotly.newPlot") >= 9
    for heading in ("Every family vs historical", "tests vs historical", "market conditions"):
        assert heading in page
    assert "Rolling 1-year realised volatility" in page and "target 10%" in page


def test_report_tables_and_markdown(report):
    assert {"ewma", "historical", "ledoit_wolf", "equal_weight"} <= set(
        report.metrics_table.columns
    )
    assert "calmar" in report.metrics_table.index
    assert report.verdict_table.attrs["n_trials"] == 9
    assert set(report.verdict_table.index) == {"ewma", "ledoit_wolf"}
    assert {"lw_hac_pvalue", "lw_hac_holm", "deflated_sharpe_ratio", "conditions_won"} <= set(
        report.verdict_table.columns
    )
    assert (report.verdict_table["lw_hac_holm"] >= report.verdict_table["lw_hac_pvalue"]).all()
    assert report.markdown.startswith("### demo") and "**Verdict.**" in report.markdown
    for png in report.images.values():
        assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_significance_marks():
    assert [mark(p) for p in (0.001, 0.02, 0.07, 0.5, float("nan"))] == ["***", "**", "*", "", ""]


def test_report_shows_what_drives_the_feature_learning_families(regime_returns, tmp_path):
    import pandas as pd

    from correlation_platform.forecasters.explain import Explanation

    res = run_backtest(regime_returns, "ewma", rebalance_every=21, train_size=300)
    explanation = Explanation(
        family="gbm",
        as_of=pd.Timestamp("2020-01-31"),
        importances=pd.Series({"vix": 0.03, "credit_spread": 0.01}, name="importance"),
        dependence={"vix": pd.Series([0.2, 0.3, 0.45], index=pd.Index([10.0, 20.0, 40.0]))},
    )
    out = build_report(
        [res], list(regime_returns.columns), tmp_path / "r.html", "demo",
        explanations={"gbm": explanation},
    )  # fmt: skip
    page = out.html_path.read_text()
    section = page[page.index("What drives the forecasts of the feature-learning families") :]
    assert "<h3>gbm</h3>" in section and "credit_spread" in section
    assert "gbm: what drives the forecast (as of 2020-01-31)" in section
    assert "**gbm: what drives it**" in out.markdown and "0.03000" in out.markdown
    plain = build_report([res], list(regime_returns.columns), tmp_path / "p.html", "demo")
    assert "What drives the forecasts" not in plain.html_path.read_text()
