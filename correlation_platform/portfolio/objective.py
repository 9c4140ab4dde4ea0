"""The optimiser's objectives, as an enumeration (strings compare equal to its members)."""

from __future__ import annotations

from enum import StrEnum


class Objective(StrEnum):
    """What the optimiser maximises or minimises.

    Members compare equal to their string values, so ``objective="min_variance"`` and
    ``objective=Objective.MIN_VARIANCE`` are the same request.
    """

    MIN_VARIANCE = "min_variance"
    MEAN_VARIANCE = "mean_variance"
    TARGET_VOLATILITY = "target_volatility"
    MAX_SHARPE = "max_sharpe"
    RISK_PARITY = "risk_parity"

    @classmethod
    def parse(cls, value: str) -> Objective:
        """The member for ``value``, or a refusal naming the accepted values.

        Parameters
        ----------
        value : str
            An objective name or member.

        Returns
        -------
        Objective
            The member.
        """
        try:
            return cls(value)
        except ValueError:
            raise ValueError(f"unknown objective {value!r}; available: {OBJECTIVES}") from None


#: The objective names, in the order reports list them.
OBJECTIVES = tuple(o.value for o in Objective)
#: Objectives that need expected returns.
USES_EXPECTED_RETURNS = (
    Objective.MEAN_VARIANCE.value,
    Objective.TARGET_VOLATILITY.value,
    Objective.MAX_SHARPE.value,
)
