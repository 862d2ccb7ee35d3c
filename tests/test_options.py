"""Study settings: typed, with their defaults in one place, stored flat as JSON."""

from __future__ import annotations

import pytest

from impact.errors import InvalidInput
from impact.options import ReadoutOptions, RolloutOptions, StudySettings


def test_empty_settings_are_the_defaults():
    settings = StudySettings.parse({})
    assert settings.readout == ReadoutOptions() and settings.rollout == RolloutOptions()
    assert settings.to_json() == {}


def test_settings_round_trip_and_share_alpha():
    raw = {
        "alpha": 0.1,
        "cluster": "region",
        "cap": [0.01, 0.99],
        "target_effect": {"revenue": 1.5},
        "guardrail_tolerance": {"retention": 0.01},
    }
    settings = StudySettings.parse(raw)
    assert settings.readout.alpha == settings.rollout.alpha == 0.1
    assert settings.readout.cap == (0.01, 0.99) and settings.rollout.cluster == "region"
    assert StudySettings.parse(settings.to_json()) == settings
    assert settings.to_json() == raw


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"corection": "bh"}, "Unknown study setting"),
        ({"correction": "bonferroni"}, "correction must be one of"),
        ({"estimator": "ols"}, "estimator must be one of"),
        ({"alpha": 5}, "alpha must be a number between 0 and 1"),
        ({"cap": [0.9, 0.1]}, "cap takes two percentiles"),
    ],
)
def test_bad_settings_say_what_is_wrong(raw, message):
    with pytest.raises(InvalidInput, match=message):
        StudySettings.parse(raw, strict=True)


def test_a_stored_key_impact_does_not_use_is_ignored_on_reading():
    """A catalog written earlier (or with a note of its own) keeps working; only defining
    a study refuses unknown keys (found by comparing the CLI before and after issue 10)."""
    assert StudySettings.parse({"owner": "team-x", "alpha": 0.1}).readout.alpha == 0.1
