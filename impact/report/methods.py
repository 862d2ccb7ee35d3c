"""The methods behind the report's figures, in short plain sentences: only those used."""

from __future__ import annotations

from impact.analysis.portfolio_value import PortfolioTotal

# (what must appear in a line's method, correction or warnings, the sentence)
SENTENCES = (
    (
        "A/B test",
        "A/B tests: units were assigned to the model or to control at random, so the "
        "difference between the groups is the model's effect.",
    ),
    (
        "CUPED",
        "CUPED: each unit's value before the test removes noise that has nothing to do with "
        "the model, which narrows the interval without moving the estimate.",
    ),
    (
        "corrected",
        "Corrections: when several arms or metrics are compared, p-values and intervals are "
        "corrected (Holm or Benjamini–Hochberg), so a win by chance is not counted as one.",
    ),
    (
        "always-valid",
        "Always-valid intervals: a test read while it runs keeps its error rate however "
        "often it is looked at.",
    ),
    (
        "rollout",
        "Rollouts (difference-in-differences): units that adopted the model are compared "
        "with units that had not yet, before and after adoption.",
    ),
    (
        "TWFE",
        "TWFE: one regression with a fixed effect per unit and per period; right when every "
        "unit adopted at the same time.",
    ),
    (
        "Callaway–Sant'Anna",
        "Callaway–Sant'Anna: when units adopted at different dates, each adoption group is "
        "compared only with units not yet treated, which avoids the bias of TWFE there.",
    ),
    (
        "bootstrap",
        "Wild cluster bootstrap: with few units the usual intervals are too narrow; "
        "resampling whole units gives honest ones.",
    ),
    (
        "decisions",
        "Decision value: a classifier's labelled decisions (true and false positives and "
        "negatives) times what each kind of decision is worth.",
    ),
)
MONEY = (
    "Money: the effect times its conversion rate and the yearly volume. When an assumption "
    "is uncertain, its uncertainty is carried into the interval by the delta method, or by "
    "simulation when it is large."
)
TOTAL = (
    "Portfolio total: the sum of independent lines; its 95% interval combines their "
    "standard errors. Money of harmful or unreliable verdicts is not added."
)


def methods_used(total: PortfolioTotal) -> list[str]:
    said = " ".join(
        " ".join(
            [line.source, line.annual.method, line.annual.correction or "", *line.annual.warnings]
        )
        for line in total.lines
    )
    if any(line.annual.correction for line in total.lines):
        said += " corrected"
    out = [sentence for key, sentence in SENTENCES if key in said]
    return [*out, MONEY, TOTAL] if total.lines else out
