"""Feature and score drift per model version × period against a reference window: PSI,
Jensen–Shannon and KS for numbers (reference deciles), χ² for categories."""

from __future__ import annotations

import numpy as np
import pandas as pd

from impact.monitor import drift as dr
from impact.queries import health as q

KEYS = ["version", "period"]


def by_version_period(frame: pd.DataFrame):
    # "all" periods are NULL, which groupby would drop.
    return frame.groupby(KEYS, sort=True, dropna=False)


DRIFT_COLUMNS = KEYS + [
    "column",
    "kind",
    "n",
    "n_reference",
    "psi",
    "psi_label",
    "js_distance",
    "ks_d",
    "chi_square",
    "dof",
    "p_value",
]


def feature_drift(db, model: str, period: str, reference, monitored_from) -> pd.DataFrame:
    """One row per version × period × column (the score and every stored feature), for the
    rows predicted from `monitored_from` on, each compared with the `reference` window."""
    monitored = (monitored_from, None)
    rows: list[dict] = []
    columns = [(None, "number")] + [(r.feature, r.kind) for r in q.features(db, model).itertuples()]
    for feature, kind in columns:
        name = feature or "score"
        if kind == "number":
            rows += _numeric_drift(db, model, feature, name, period, reference, monitored)
        else:
            rows += _categorical_drift(db, model, feature, period, reference, monitored)
    return pd.DataFrame(rows, columns=DRIFT_COLUMNS)


def _numeric_drift(db, model, feature, name, period, reference, monitored) -> list[dict]:
    edges = q.decile_edges(db, model, feature, reference)
    if not edges:
        return []  # nothing in the reference window to compare with
    k = len(edges) + 1
    ref = q.bin_counts(db, model, feature, edges, "all", reference)
    ref_counts = np.bincount(ref["bin"], ref["n"], k)
    cur = q.bin_counts(db, model, feature, edges, period, monitored)
    ks = q.ks_statistics(db, model, feature, reference, period, monitored[0])
    ks = {
        (v, _key(p)): (d, n_ref)
        for v, p, d, n_ref in zip(
            ks["version"], ks["period"], ks["ks_d"], ks["n_reference"], strict=True
        )
    }
    rows = []
    for (version, when), c in by_version_period(cur):
        counts = np.bincount(c["bin"], c["n"], k)
        d, n_ref = ks[(version, _key(when))]
        n = int(counts.sum())
        value = dr.psi(ref_counts, counts)
        rows.append(
            {
                "version": version,
                "period": when,
                "column": name,
                "kind": "number",
                "n": n,
                "n_reference": int(n_ref),
                "psi": value,
                "psi_label": dr.psi_label(value),
                "js_distance": dr.js_distance(ref_counts, counts),
                "ks_d": float(d),
                "chi_square": np.nan,
                "dof": np.nan,
                "p_value": dr.ks_p_value(d, n, int(n_ref)),
            }
        )
    return rows


def _categorical_drift(db, model, feature, period, reference, monitored) -> list[dict]:
    ref = q.category_counts(db, model, feature, "all", reference)
    ref = ref.groupby("category")["n"].sum()
    if ref.empty:
        return []
    cur = q.category_counts(db, model, feature, period, monitored)
    categories = sorted(set(ref.index) | set(cur["category"]))
    ref_counts = ref.reindex(categories, fill_value=0).to_numpy()
    rows = []
    for (version, when), c in by_version_period(cur):
        counts = c.set_index("category")["n"].reindex(categories, fill_value=0).to_numpy()
        statistic, dof, p = dr.chi_square(ref_counts, counts)
        value = dr.psi(ref_counts, counts)
        rows.append(
            {
                "version": version,
                "period": when,
                "column": feature,
                "kind": "text",
                "n": int(counts.sum()),
                "n_reference": int(ref_counts.sum()),
                "psi": value,
                "psi_label": dr.psi_label(value),
                "js_distance": dr.js_distance(ref_counts, counts),
                "ks_d": np.nan,
                "chi_square": statistic,
                "dof": dof,
                "p_value": p,
            }
        )
    return rows


def _key(when):
    return None if pd.isna(when) else when
