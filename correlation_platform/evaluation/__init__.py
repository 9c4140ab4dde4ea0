"""L4: splits, losses, tuning, model comparison and the promotion rule."""

from correlation_platform.evaluation.comparison import (
    DMResult,
    comparison_table,
    diebold_mariano,
    model_confidence_set,
)
from correlation_platform.evaluation.losses import (
    LOSSES,
    cmd_losses,
    frobenius_losses,
    gmv_variance_losses,
    qlike_losses,
)
from correlation_platform.evaluation.promotion import (
    ChampionSelection,
    PromotionDecision,
    decide_promotion,
    select_champion,
)
from correlation_platform.evaluation.selection import (
    GRIDS,
    SCORE_STEP,
    SelectionResult,
    forecast_losses,
    overlap_lags,
    tune_and_test,
)
from correlation_platform.evaluation.significance import (
    SharpeDifferenceTest,
    SharpeRatioTest,
    deflated_sharpe_ratio,
    holm_adjust,
    jobson_korkie_memmel,
    probabilistic_sharpe_ratio,
    sharpe_difference_test,
)
from correlation_platform.evaluation.splits import TimeSplit, train_validation_test, walk_forward

__all__ = [
    "GRIDS",
    "LOSSES",
    "SCORE_STEP",
    "ChampionSelection",
    "DMResult",
    "PromotionDecision",
    "SelectionResult",
    "SharpeDifferenceTest",
    "SharpeRatioTest",
    "TimeSplit",
    "cmd_losses",
    "comparison_table",
    "decide_promotion",
    "deflated_sharpe_ratio",
    "diebold_mariano",
    "forecast_losses",
    "frobenius_losses",
    "gmv_variance_losses",
    "holm_adjust",
    "jobson_korkie_memmel",
    "model_confidence_set",
    "overlap_lags",
    "probabilistic_sharpe_ratio",
    "qlike_losses",
    "select_champion",
    "sharpe_difference_test",
    "train_validation_test",
    "tune_and_test",
    "walk_forward",
]
