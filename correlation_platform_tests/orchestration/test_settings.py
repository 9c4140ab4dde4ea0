"""Bad settings fail before any step runs, naming the field and what it accepts."""

import pytest
from dagster import asset, materialize
from pydantic import ValidationError

from correlation_platform.orchestration.resources import PlatformSettings


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("objective", "min_var", "Input should be 'min_variance', 'mean_variance'"),
        ("volatility_model", "har", "Input should be 'garch' or 'ewma'"),
        ("horizon", 0, "greater than 0"),
        ("max_weight", 1.5, "less than or equal to 1"),
        ("cost_bps", -500.0, "greater than or equal to 0"),
        ("nav", 0.0, "greater than 0"),
        ("sector_cap", -0.1, "greater than or equal to 0"),
    ],
)
def test_settings_refuse_out_of_range_values(field, value, message):
    with pytest.raises(ValidationError, match=message) as err:
        PlatformSettings(**{field: value})
    assert field in str(err.value)


def test_a_bad_launchpad_value_fails_before_any_step_starts():
    started = []

    @asset
    def probe(settings: PlatformSettings) -> int:
        started.append(True)
        return settings.horizon

    result = materialize(
        [probe],
        resources={"settings": PlatformSettings()},
        run_config={"resources": {"settings": {"config": {"horizon": -3}}}},
        raise_on_error=False,
    )
    assert not result.success and not started
    assert not [e for e in result.all_events if e.event_type_value == "STEP_START"]
