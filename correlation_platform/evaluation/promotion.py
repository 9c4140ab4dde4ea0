"""The champion/challenger rule: who holds the title, who challenges, and when it moves.

Two steps. :func:`decide_promotion` is the test between two models: promotion needs a
margin and Diebold-Mariano evidence. :func:`select_champion` applies it to one training
round: the holder (the current champion if it was trained this round, else the
benchmark) against the best other family by mean test loss; a partial round (a family
missing) never moves the title. The Diebold-Mariano lag order is the overlap of the
scored forecasts' label windows, derived from the step the selection scored them at.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from correlation_platform.evaluation.comparison import comparison_table, diebold_mariano
from correlation_platform.evaluation.selection import SCORE_STEP, overlap_lags

#: Relative improvement in mean test loss a challenger needs (1%).
PROMOTION_MARGIN = 0.01
#: Diebold-Mariano level at which the challenger's lower loss counts as evidence.
PROMOTION_ALPHA = 0.10


@dataclass(frozen=True)
class PromotionDecision:
    """The outcome of a champion/challenger comparison.

    Attributes
    ----------
    promote : bool
        Whether the challenger took the title.
    champion : str
        The champion after the decision.
    challenger : str or None
        The challenger after the decision (the former champion on a promotion); None when
        no comparison was made.
    reason : str
        One sentence a person can read.
    evidence : dict
        Mean losses, relative improvement, DM statistic and p-value, margin and level.
    """

    promote: bool
    champion: str
    challenger: str | None
    reason: str
    evidence: dict = field(default_factory=dict)


def decide_promotion(
    champion: str,
    champion_losses: np.ndarray,
    challenger: str,
    challenger_losses: np.ndarray,
    *,
    horizon: int,
    margin: float = PROMOTION_MARGIN,
    alpha: float = PROMOTION_ALPHA,
) -> PromotionDecision:
    """Promote the challenger only with a margin and Diebold-Mariano evidence.

    Parameters
    ----------
    champion : str
        The current holder's name.
    champion_losses : numpy.ndarray
        Its test losses, one per scored forecast.
    challenger : str
        The challenger's name.
    challenger_losses : numpy.ndarray
        Its test losses on the same dates.
    horizon : int
        Lag order of the DM test (the overlap of the label windows, see
        :func:`~correlation_platform.evaluation.selection.overlap_lags`).
    margin : float, default PROMOTION_MARGIN
        Relative improvement in mean loss required.
    alpha : float, default PROMOTION_ALPHA
        DM level; the statistic must also favour the challenger.

    Returns
    -------
    PromotionDecision
        Who holds the title after the comparison, and why.

    References
    ----------
    F. Diebold and R. Mariano (1995), "Comparing predictive accuracy", JBES 13(3).
    """
    champ_mean = float(np.mean(champion_losses))
    chall_mean = float(np.mean(challenger_losses))
    improvement = (champ_mean - chall_mean) / abs(champ_mean) if champ_mean else 0.0
    dm = diebold_mariano(challenger_losses, champion_losses, horizon=horizon)
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
            promote=False,
            champion=champion,
            challenger=challenger,
            reason=f"{challenger} improves test loss by {improvement:.2%} < margin "
            f"{margin:.2%}; {champion} stays",
            evidence=evidence,
        )
    if not (dm.pvalue < alpha and dm.statistic < 0):
        return PromotionDecision(
            promote=False,
            champion=champion,
            challenger=challenger,
            reason=f"{challenger} is {improvement:.2%} better but DM p = {dm.pvalue:.3f} >= "
            f"{alpha}; {champion} stays",
            evidence=evidence,
        )
    return PromotionDecision(
        promote=True,
        champion=challenger,
        challenger=champion,
        reason=f"{challenger} beats {champion} by {improvement:.2%} (>= {margin:.2%}) with "
        f"DM p = {dm.pvalue:.3f} < {alpha}: promoted",
        evidence=evidence,
    )


@dataclass(frozen=True)
class ChampionSelection:
    """One training round's champion decision and the table it rests on.

    Attributes
    ----------
    decision : PromotionDecision
        Who holds the title after the round.
    table : pandas.DataFrame
        Mean test loss, DM vs the benchmark and MCS membership per family, best first.
    missing : list of str
        Families expected but not trained this round (non-empty: partial, no alias moves).
    lags : int
        The DM lag order used (overlap of the scored forecasts' label windows).
    """

    decision: PromotionDecision
    table: pd.DataFrame
    missing: list[str]
    lags: int

    @property
    def partial(self) -> bool:
        """Whether the round missed a family (then no alias may move)."""
        return bool(self.missing)


def round_losses(records: Mapping[str, Mapping], *, loss: str = "frobenius") -> pd.DataFrame:
    """Date x family test losses from training records, on the dates every family scored.

    Parameters
    ----------
    records : mapping
        Family -> training record with ``test_losses`` (loss -> list) and ``test_dates``.
    loss : str, default "frobenius"
        Which loss.

    Returns
    -------
    pandas.DataFrame
        One column per family, rows where all are finite.
    """
    frames = {
        fam: pd.Series(rec["test_losses"][loss], index=pd.DatetimeIndex(rec["test_dates"]))
        for fam, rec in records.items()
    }
    return pd.DataFrame(frames).dropna()


def select_champion(
    records: Mapping[str, Mapping],
    *,
    current: str | None,
    families: Collection[str],
    benchmark: str,
    horizon: int,
    margin: float = PROMOTION_MARGIN,
    alpha: float = PROMOTION_ALPHA,
    loss: str = "frobenius",
) -> ChampionSelection:
    """Decide one training round's champion.

    The holder is ``current`` if it was trained this round, else ``benchmark``; the
    challenger is the best other family by mean test loss; :func:`decide_promotion`
    decides. A round missing any of ``families`` decides nothing: the holder stays
    (``current``, else the benchmark) and the caller must not move an alias.

    Parameters
    ----------
    records : mapping
        Family -> training record (``test_losses``, ``test_dates`` and optionally
        ``test_step``, the rows between scored forecasts).
    current : str or None
        The family holding the champion alias before the round.
    families : collection of str
        Every family a full round trains.
    benchmark : str
        The family that holds the title by default and anchors the DM column.
    horizon : int
        Days each forecast averages over.
    margin, alpha : float
        Passed to :func:`decide_promotion`.
    loss : str, default "frobenius"
        The test loss compared.

    Returns
    -------
    ChampionSelection
        The decision, the comparison table, the missing families and the lag order.
    """
    losses = round_losses(records, loss=loss)
    steps = {int(rec.get("test_step", SCORE_STEP)) for rec in records.values()}
    if len(steps) > 1:
        raise ValueError(
            f"training records were scored at different steps {sorted(steps)}: their test "
            "losses are not comparable; retrain every family"
        )
    lags = overlap_lags(horizon, step=steps.pop() if steps else SCORE_STEP)
    table = comparison_table(losses, benchmark if benchmark in losses else losses.columns[0], lags)
    missing = sorted(set(families) - set(records))
    if missing:
        holder = current or benchmark
        decision = PromotionDecision(
            promote=False,
            champion=holder,
            challenger=None,
            reason=f"partial training (missing {missing}): aliases unchanged",
        )
        return ChampionSelection(decision=decision, table=table, missing=missing, lags=lags)
    holder = current if current in records else benchmark
    challenger = str(table.index[table.index != holder][0])
    decision = decide_promotion(
        holder,
        losses[holder].to_numpy(),
        challenger,
        losses[challenger].to_numpy(),
        horizon=lags,
        margin=margin,
        alpha=alpha,
    )
    return ChampionSelection(decision=decision, table=table, missing=missing, lags=lags)
