"""L4: losses and model selection."""

from correlation_platform.evaluation.losses import cmd_losses, frobenius_losses
from correlation_platform.evaluation.selection import HoldoutScore, choose_champion, score_holdout

__all__ = ["HoldoutScore", "choose_champion", "cmd_losses", "frobenius_losses", "score_holdout"]
