from correlation_platform.backtest import build_report, run_backtest


def test_report_embeds_the_plots_and_metrics(regime_returns, tmp_path):
    res = run_backtest(regime_returns, "ewma", rebalance_every=21, train_size=300)
    report = build_report([res], list(regime_returns.columns), tmp_path / "r.html", "demo")
    html = report.html_path.read_text()
    for name in ("cumulative_returns", "drawdown", "forecast_loss", "correlation_heatmap"):
        assert f'alt="{name}" src="data:image/png;base64,' in html
        assert report.images[name][:8] == b"\x89PNG\r\n\x1a\n"
    assert list(report.metrics_table.columns) == ["ewma", "historical"]
    assert "Sharpe" in report.markdown and "Information ratio vs historical" in report.markdown
