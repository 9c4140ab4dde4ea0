"""Issue 16's before/after table: gbm and lstm learning the level vs a correction to a base.

The bundled data (20 stocks, 1999-2018) and the ``trained_forecasters`` protocol: tune on
the validation block (two walk-forward folds, the family's grid with ``base`` fixed),
refit on train + validation, score once on the test block every 5 days (21-day horizon).
Rows: the benchmark and the filters as model selection tunes them, each base as a stacked
model fits it (default hyper-parameters), and gbm / lstm with each ``base`` (``none`` is
the "before": the level learned from scratch), then each family as ``trained_forecasters``
tunes it, ``base`` in its grid ("selected"). Columns: mean test
Frobenius distance and QLIKE, mean realised GMV variance (annualised, %^2), Diebold-Mariano
on the Frobenius losses against historical and against the model's base (lag = the label
overlap; negative statistic = this model better) and membership of the 10% Model
Confidence Set over every row (Frobenius).

Usage: ``.venv/bin/python bench/stacking.py`` (about ten minutes on two cores).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).parent))
from _common import bundled_zoo, machine

from correlation_platform.evaluation import GRIDS, train_validation_test, tune_and_test
from correlation_platform.evaluation.comparison import diebold_mariano, model_confidence_set
from correlation_platform.evaluation.selection import overlap_lags
from correlation_platform.forecasters import get_forecaster
from correlation_platform.forecasters.pair_dataset import BASE_FAMILIES

HORIZON = 21
FOLDS = 2  # PlatformSettings.tuning_folds
BASES = tuple(b for b in BASE_FAMILIES if b != "none")
#: The row whose base model selection chooses (the family's whole grid, as trained).
SELECTED = "selected"


def base_row(base: str) -> str | None:
    """The row a model stacked on ``base`` is compared with (None: learns the level)."""
    if base == "none":
        return None
    return f"{base} (defaults: the base)" if GRIDS[base] else base


def main() -> None:
    torch.set_num_threads(1)
    data, returns, features, _ = bundled_zoo()
    split = train_validation_test(len(returns), HORIZON)
    losses, bases, chosen = {}, {}, {}
    started = time.perf_counter()
    # The benchmark and the filters as model selection tunes them, then each base as the
    # stacked models fit it (its default hyper-parameters): "DM vs base" is against that.
    runs = [(b, b, None) for b in ("historical", "ewma", "dcc")]
    runs += [(f"{b} (defaults: the base)", b, "defaults") for b in BASES if GRIDS[b]]
    for family in ("gbm", "lstm"):
        runs += [(f"{family} base={b}", family, b) for b in BASE_FAMILIES]
        runs.append((f"{family} (selected)", family, SELECTED))
    for label, family, base in runs:
        grid = {k: v for k, v in GRIDS[family].items() if k != "base"}
        if base == "defaults":
            grid = {}
        if base == SELECTED:
            grid = GRIDS[family]
        stacked = base not in (None, "defaults")
        fixed = {"base": base} if stacked and base != SELECTED else {}
        model = get_forecaster(family, **fixed)
        t0 = time.perf_counter()
        result = tune_and_test(
            model,
            returns,
            features if stacked else None,
            grid=grid,
            tree=data.sectors,
            horizon=HORIZON,
            split=split,
            folds=FOLDS,
            time_budget=1e9,
        )
        losses[label] = result.test_losses
        if base == SELECTED:
            base = result.params["base"]
        bases[label] = base_row(base) if stacked else None
        chosen[label] = result.params
        print(f"{label}: {result.params} {time.perf_counter() - t0:.0f}s", flush=True)
    frob = pd.DataFrame({k: v["frobenius"] for k, v in losses.items()}).dropna()
    mcs = model_confidence_set(frob)
    lag = overlap_lags(HORIZON)
    rows = []
    for label, frame in losses.items():
        row = {
            "model": label,
            "frobenius": frame["frobenius"].mean(),
            "qlike": frame["qlike"].mean(),
            "gmv_variance": frame["gmv_variance"].mean(),
        }
        for name, against in (("historical", "historical"), ("base", bases[label])):
            if against is None or against == label:
                row[f"dm_vs_{name}"], row[f"p_vs_{name}"] = float("nan"), float("nan")
                continue
            dm = diebold_mariano(frob[label].to_numpy(), frob[against].to_numpy(), horizon=lag)
            row[f"dm_vs_{name}"], row[f"p_vs_{name}"] = dm.statistic, dm.pvalue
        row["in_mcs"] = bool(mcs.loc[label, "in_mcs"])
        row["mcs_p"] = mcs.loc[label, "mcs_pvalue"]
        rows.append(row)
    table = pd.DataFrame(rows).set_index("model")
    print(f"\nMachine: {machine()}; {time.perf_counter() - started:.0f}s; "
          f"test block {returns.index[split.test[0]].date()}..{returns.index[split.test[-1]].date()}, "
          f"{len(frob)} forecasts\n")  # fmt: skip
    print(table.to_markdown(floatfmt=".4f"))


if __name__ == "__main__":
    main()
