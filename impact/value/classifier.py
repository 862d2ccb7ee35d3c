"""Business value of a classifier's decisions from its confusion matrix
(tests/reference/REFERENCES.md): BV = Σ V_ij · CM_ij with V = [[v_TN, v_FP], [v_FN, v_TP]]
(rows = true label, columns = prediction); per prediction = BV / n. Values are relative to
not using the model. The labelled decisions are a sample of the model's decisions, so the
value per prediction v = Σ V_c p_c has the multinomial standard error
√((Σ V_c² p_c − v²) / n)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from impact.errors import NotEstimable

CELLS = ("tn", "fp", "fn", "tp")
ASSUMPTION_NAMES = {c: f"value_{c}" for c in CELLS}  # e.g. value_tp scoped to a model


@dataclass(frozen=True)
class DecisionValue:
    total: float
    per_prediction: float
    n: int
    by_cell: dict[str, float]  # value contributed by TN, FP, FN and TP
    per_prediction_se: float = 0.0


def decision_value(confusion: dict[str, int], values: dict[str, float]) -> DecisionValue:
    missing = [c for c in CELLS if c not in values]
    if missing:
        names = ", ".join(ASSUMPTION_NAMES[c] for c in missing)
        raise NotEstimable(
            f"The value matrix needs {names} (money per decision of each "
            "kind; 0 where a decision changes nothing)."
        )
    n = sum(int(confusion.get(c, 0)) for c in CELLS)
    if n == 0:
        raise NotEstimable("No labelled predictions yet, so no confusion matrix.")
    by_cell = {c: values[c] * int(confusion.get(c, 0)) for c in CELLS}
    total = sum(by_cell.values())
    mean = total / n
    second = sum(values[c] ** 2 * int(confusion.get(c, 0)) for c in CELLS) / n
    se = math.sqrt(max(second - mean**2, 0.0) / n)
    return DecisionValue(total, mean, n, by_cell, se)
