"""Corrections for many comparisons (arms × metrics) through statsmodels."""

from __future__ import annotations

from dataclasses import replace

from statsmodels.stats.multitest import multipletests

from impact.stats.estimate import Estimate
from impact.vocabulary import Correction, check_choice

_METHODS = {"holm": "holm", "bh": "fdr_bh"}
NAMES = {"holm": "Holm (family-wise error)", "bh": "Benjamini–Hochberg (false discovery rate)"}


def correct(estimates: list[Estimate], method: Correction, family: str) -> list[Estimate]:
    """Adjust p-values over the family; the raw p-value stays in `raw_p_value`."""
    check_choice("correction", method, Correction)
    if method == "none" or len(estimates) < 2:
        return estimates
    _, adjusted, _, _ = multipletests(
        [e.p_value for e in estimates], alpha=estimates[0].alpha, method=_METHODS[method]
    )
    note = f"{NAMES[method]} over {len(estimates)} comparisons ({family})"
    return [
        replace(e, p_value=float(p), raw_p_value=e.p_value, correction=note)
        for e, p in zip(estimates, adjusted, strict=True)
    ]
