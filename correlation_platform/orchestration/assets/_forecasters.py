"""Which data a family's fit needs from the graph."""

import pandas as pd

from correlation_platform.forecasters import USES_FEATURES


def features_for(family: str, feature_panel: pd.DataFrame) -> pd.DataFrame | None:
    """The feature panel for the families that learn from it, None for the others."""
    return feature_panel if family in USES_FEATURES else None
