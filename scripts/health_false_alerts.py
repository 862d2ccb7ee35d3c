"""How often the model-health alerts fire on demo models whose quality does not change:
the demo is generated with many seeds and the alerts that no injected change explains are
counted (issue 11, item 8; figures for the closing note).
Usage: python scripts/health_false_alerts.py [seeds]"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from pathlib import Path

from impact.analysis.health import model_health
from impact.catalog import Catalog
from impact.demo import load_demo
from impact.demo import truth as T
from impact.store import Store
from impact.warehouse import Warehouse

# What the demo has on purpose (impact.demo.truth): churn v1's fallbacks, fraud v4's score
# drift, fraud scores that are not probabilities (Beta by class at a 2% fraud rate, so
# miscalibrated), churn scores with noise added to the true logit (over-confident, so
# mildly miscalibrated: found in some seeds' weeks), and triage tickets from more regions
# as the rollout spreads (region drift). Triage scores are calibrated (urgent with
# probability = score) and no model's ranking changes over time: any other alert is a
# false alarm.
EXPECTED = {
    ("operations", T.CHURN_MODEL, "fallback_share"),
    ("drift", T.FRAUD_MODEL, "score"),
    ("calibration", T.FRAUD_MODEL, "ece"),
    ("calibration", T.CHURN_MODEL, "ece"),
    ("drift", T.TRIAGE_MODEL, "region"),
}


def alerts_for(seed: int) -> Counter:
    with tempfile.TemporaryDirectory() as root:
        store = Store(Warehouse(Path(root) / "w.duckdb"), Catalog(f"sqlite:///{root}/c.sqlite"))
        load_demo(store, seed=seed)
        found = Counter()
        for model in (T.CHURN_MODEL, T.TRIAGE_MODEL, T.FRAUD_MODEL):
            alerts = model_health(store, model, "week").alerts
            kinds = {(a.kind, model, a.subject) for a in alerts}
            found.update(k for k in kinds if k not in EXPECTED)
        return found


if __name__ == "__main__":
    seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    total = Counter()
    for seed in range(seeds):
        total.update(alerts_for(seed))
    print(f"unexplained alerts over {seeds} demo seeds (seeds with at least one):")
    for (kind, model, subject), count in sorted(total.items()):
        print(f"  {model:<14} {kind:<12} {subject:<16} {count}/{seeds}")
    if not total:
        print("  none")
