"""Chart builders say what their intervals are."""

from __future__ import annotations

import pandas as pd
import pytest

from impact.charts import forest


@pytest.mark.parametrize(
    ("levels", "title"),
    [
        ([0.95, 0.95], "effect with 95% interval"),
        ([0.9, 0.9], "effect with 90% interval"),
        ([0.975, 0.9875], "effect with its corrected interval (level per row)"),
    ],
)
def test_the_forest_axis_states_the_interval_level(levels, title):
    frame = pd.DataFrame(
        {
            "metric": ["m", "m"],
            "comparison": ["a vs c", "b vs c"],
            "effect": [1.0, 2.0],
            "ci_low": [0.0, 1.0],
            "ci_high": [2.0, 3.0],
            "significant": [True, True],
            "p_value": [0.01, 0.02],
            "method": ["Welch t-test"] * 2,
            "interval_level": levels,
        }
    )
    assert forest(frame).to_dict()["layer"][0]["encoding"]["x"]["title"] == title
