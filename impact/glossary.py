"""One line for each term a reader meets on the pages (issue 13), shown as help text beside
the widget or check that uses it, so every page explains a term the same way."""

from __future__ import annotations

TERMS = {
    "cuped": "CUPED: subtracts what each unit's pre-period value predicts, which narrows the "
    "interval without moving the effect (the arms were randomised).",
    "always_valid": "Always-valid intervals (confidence sequences) stay correct however often "
    "you look, so you may stop the test the day it is clear; they are wider than fixed ones.",
    "correction": "Holm keeps the chance of any false win across the arms at alpha; "
    "Benjamini–Hochberg keeps the share of false wins among the wins at alpha (less strict).",
    "srm": "Sample ratio mismatch (SRM): the arms got a different share of units than "
    "planned, which means assignment or logging broke and the readout cannot be trusted.",
    "guardrail": "A guardrail is a metric the model must not worsen beyond its tolerance "
    "(e.g. retention); a degraded guardrail makes the verdict harmful.",
    "placebo": "Placebo: the same estimate with adoption moved earlier, when nothing had "
    "changed yet; an effect there means the comparison is biased.",
    "clusters": "Clusters: units that share shocks (stores in one region) are not "
    "independent; intervals clustered by them are honest, and few clusters make them unsure.",
    "power": "Power: whether the sample could detect the effect that would pay the model's "
    "running cost; an underpowered study can miss it.",
    "pre-trend": "Pre-trends: before adoption, treated and untreated units should move "
    "alike; a difference then means the comparison is biased.",
}

# Which term explains a check named on a verdict's card.
CHECKS = {
    "sample ratio": "srm",
    "power": "power",
    "placebo adoption": "placebo",
    "few clusters": "clusters",
    "multiple testing": "correction",
}


def explain_check(name: str) -> str | None:
    """The one-line explanation of a check behind a verdict, if there is one."""
    if name.startswith("guardrail"):
        return TERMS["guardrail"]
    if name.startswith("pre-trend") or name.startswith("pre-test"):
        return TERMS["pre-trend"]
    key = CHECKS.get(name)
    return TERMS[key] if key else None
