"""The Model health page's money caption states the interval level the study uses."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from impact.analysis import model_view as mv
from impact.demo import truth as T
from impact.stats.estimate import Estimate


@pytest.mark.parametrize(("alpha", "level"), [(0.05, "95%"), (0.10, "90%"), (0.01, "99%")])
def test_realised_value_caption_follows_the_study_alpha(demo_store, monkeypatch, alpha, level):
    per_unit = Estimate.from_se(2.0, 0.5, alpha=alpha, n={"model-v2": 10}, method="test")
    value = SimpleNamespace(
        per_unit=per_unit,
        rate=SimpleNamespace(currency="USD"),
        arm="model-v2",
        realised=pd.DataFrame({"day": [], "value": []}),
    )
    monkeypatch.setattr(mv, "study_value", lambda store, name: value)
    health = SimpleNamespace(task="classification", performance=pd.DataFrame())
    _, caption = mv._money(demo_store, T.CHURN_MODEL, health)
    assert f"with its {level} interval" in caption
    assert "95%" not in caption or level == "95%"
