"""The champion/challenger rule: promotion needs a margin and statistical evidence."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from correlation_platform.evaluation.comparison import diebold_mariano


@dataclass(frozen=True)
class PromotionDecision:
    promote: bool
    champion: str  # the champion after the decision
    challenger: str | None
    reason: str
    evidence: dict = field(default_factory=dict)


def decide_promotion(
    champion: str,
    champion_losses: np.ndarray,
    challenger: str,
    challenger_losses: np.ndarray,
    horizon: int,
    margin: float = 0.01,
    alpha: float = 0.10,
) -> PromotionDecision:
    """Promote ``challenger`` only if its mean test loss is lower by at least ``margin``
    (relative) and Diebold-Mariano rejects equal loss at level ``alpha`` in its favour."""
    champ_mean = float(np.mean(champion_losses))
    chall_mean = float(np.mean(challenger_losses))
    improvement = (champ_mean - chall_mean) / abs(champ_mean) if champ_mean else 0.0
    dm = diebold_mariano(challenger_losses, champion_losses, horizon)
    evidence = {
        "champion_loss": champ_mean,
        "challenger_loss": chall_mean,
        "relative_improvement": improvement,
        "dm_stat": dm.statistic,
        "dm_pvalue": dm.pvalue,
        "margin": margin,
        "alpha": alpha,
    }
    if improvement < margin:
        return PromotionDecision(
            False,
            champion,
            challenger,
            f"{challenger} improves test loss by {improvement:.2%} < margin {margin:.2%}; "
            f"{champion} stays",
            evidence,
        )
    if not (dm.pvalue < alpha and dm.statistic < 0):
        return PromotionDecision(
            False,
            champion,
            challenger,
            f"{challenger} is {improvement:.2%} better but DM p = {dm.pvalue:.3f} >= {alpha}; "
            f"{champion} stays",
            evidence,
        )
    return PromotionDecision(
        True,
        challenger,
        champion,
        f"{challenger} beats {champion} by {improvement:.2%} (>= {margin:.2%}) with "
        f"DM p = {dm.pvalue:.3f} < {alpha}: promoted",
        evidence,
    )
