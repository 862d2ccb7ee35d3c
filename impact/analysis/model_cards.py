"""One card per model and study for the Overview, the CLI and the report: the verdict in one
plain sentence built from the numbers, its evidence strength and the checks behind it, the
money, and one line of technical health.

A card is one line of the portfolio (impact.analysis.portfolio_value): a study of the model,
or the model valued through its decisions; a model with neither gets a card with its health
alone. Filters (business unit, model) choose cards; the total of the chosen cards is the
portfolio rule applied to their lines (sure lines only, √Σse²). A date range restricts only
the realised money: the yearly projections use each study's whole evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd

from impact.analysis.health import weekly_health
from impact.analysis.health_line import HealthLine, health_line
from impact.analysis.portfolio_value import PortfolioLine, PortfolioTotal, portfolio_total, totals
from impact.analysis.value import StudyValue, decision_value_series
from impact.analysis.verdict import Headline, interval_name
from impact.errors import ImpactError
from impact.formats import amount, money, money_about
from impact.stats.estimate import Estimate
from impact.stats.evidence import MEANING
from impact.store import Store

NO_UNIT = "(no business unit)"


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool | None  # None: not run
    effect: str  # what a failure does: blocks, harms, weakens, note
    why: str

    @property
    def status(self) -> str:
        if self.effect == "note":
            return "note"
        return {True: "passed", False: "failed", None: "not run"}[self.passed]


@dataclass(frozen=True)
class ModelCard:
    model: str
    version: str  # the model's latest version
    business_unit: str
    name: str  # the study, or the model valued through its decisions
    source: str  # "A/B test", "rollout", "decisions", "" (no study or value yet)
    sentence: str
    strength: str
    checks: tuple[Check, ...]
    line: PortfolioLine | None  # the money, None when not valued
    health: HealthLine
    realised: pd.DataFrame = field(repr=False)  # day (UTC), cumulative money
    value: StudyValue | None = field(default=None, repr=False)  # ROI, assumptions (studies)

    @property
    def meaning(self) -> str:
        return MEANING[self.strength]

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the verdict is below where the estimate put it (the failed checks' words)."""
        return tuple(c.why for c in self.checks if c.status == "failed")

    @property
    def counted(self) -> bool:
        return self.line is not None and self.line.sure

    def realised_between(self, start: date | None, end: date | None) -> float | None:
        """Money delivered from `start` to `end` (inclusive days; None: open)."""
        if self.line is None or self.line.realised is None:
            return None
        if self.realised.empty:
            return self.line.realised if start is None and end is None else None
        days, cum = self.realised["day"], self.realised["cumulative"]
        upto = cum[days < _utc(end + timedelta(days=1))] if end else cum
        before = cum[days < _utc(start)] if start else cum.iloc[:0]
        return float(
            (upto.iloc[-1] if len(upto) else 0.0) - (before.iloc[-1] if len(before) else 0.0)
        )


@dataclass(frozen=True)
class Portfolio:
    cards: list[ModelCard]
    total: PortfolioTotal

    @property
    def currency(self) -> str:
        return self.total.currency

    @property
    def business_units(self) -> list[str]:
        return sorted({c.business_unit for c in self.cards})

    @property
    def models(self) -> list[str]:
        return sorted({c.model for c in self.cards})

    def select(
        self, units: list[str] | None = None, models: list[str] | None = None
    ) -> list[ModelCard]:
        """The cards in any of `units` and any of `models` (None or empty: all)."""
        return [
            c
            for c in self.cards
            if (not units or c.business_unit in units) and (not models or c.model in models)
        ]


@dataclass(frozen=True)
class Selection:
    """The portfolio figures of some cards, as the Overview's tiles show them."""

    total: Estimate | None
    by_kind: dict[str, Estimate]
    hours: Estimate | None
    realised: float  # in the date range, sure lines only


def selection(
    cards: list[ModelCard], start: date | None = None, end: date | None = None
) -> Selection:
    lines = [c.line for c in cards if c.line is not None]
    total, by_kind, hours, _ = totals(lines)
    realised = sum(c.realised_between(start, end) or 0.0 for c in cards if c.counted)
    return Selection(total, by_kind, hours, realised)


def model_cards(store: Store) -> Portfolio:
    """Every portfolio line, then every graded study without money (its verdict and why it
    is not valued), then every model with neither (its health alone), by model."""
    total = portfolio_total(store)
    verdicts = {h.study: h for h in total.verdicts if h.study}
    values = {v.study: v.value for v in total.values if v.value is not None}
    problems = {p.study: p.problem for p in total.problems}
    studies = {s.name: s for s in store.catalog.studies()}
    models = {m.name: m for m in store.catalog.models()}
    healths: dict[str, tuple] = {}

    def health_of(model: str):
        if model not in healths:
            found = _health(store, model) if model in models else None
            line = (
                health_line(store, model, found)
                if found
                else HealthLine(model, "", _no_health(model, models), "unknown")
            )
            healths[model] = (found, line)
        return healths[model]

    def unit_of(study_name: str, model: str) -> str:
        study = studies.get(study_name)
        own = study.business_unit if study else None
        record = models.get(model)
        return own or (record.business_unit if record else None) or NO_UNIT

    cards = []
    for line in total.lines:
        health, hline = health_of(line.model)
        headline, value = verdicts.get(line.name), values.get(line.name)
        cards.append(
            ModelCard(
                line.model,
                hline.version,
                unit_of(line.name, line.model),
                line.name,
                line.source,
                _sentence(store, line, value, headline, total.currency),
                line.strength,
                _checks(headline, line),
                line,
                hline,
                _realised_series(store, line, value, health),
                value,
            )
        )
    named = {c.name for c in cards}
    for name, headline in verdicts.items():
        if name in named:
            continue
        model = studies[name].model if name in studies else ""
        why = problems.get(name)
        said = f"{headline.text} Not valued yet: {why}" if why else headline.text
        cards.append(
            ModelCard(
                model,
                health_of(model)[1].version,
                unit_of(name, model),
                name,
                "A/B test" if studies.get(name) and studies[name].kind == "ab" else "rollout",
                said,
                headline.strength,
                _checks(headline, None),
                None,
                health_of(model)[1],
                _EMPTY.copy(),
            )
        )
    shown = {c.model for c in cards}
    for name in sorted(set(models) - shown):
        sentence = f"{name}: no study or value matrix gives it a money value yet."
        hline = health_of(name)[1]
        cards.append(
            ModelCard(
                name,
                hline.version,
                unit_of("", name),
                name,
                "",
                sentence,
                "inconclusive",
                (),
                None,
                hline,
                _EMPTY.copy(),
            )
        )
    cards.sort(key=lambda c: (c.model, c.name))
    return Portfolio(cards, total)


_EMPTY = pd.DataFrame(columns=["day", "cumulative"])


def _no_health(model: str, models: dict) -> str:
    if not model:
        return "No model is named for this study, so there is no model health to show."
    if model not in models:
        return f"Model {model} is not in the catalog yet: upload its predictions."
    return f"Model {model} has no stored predictions yet."


def _health(store: Store, model: str):
    try:
        return weekly_health(store, model)
    except ImpactError:
        return None


def _sentence(
    store: Store, line: PortfolioLine, value: StudyValue | None, headline, currency: str
) -> str:
    """ "churn-offer-test: model-v2 raised revenue_28d by USD 3.08 per customer (95% CI
    USD 2.33 to USD 3.83, p < 0.001): about USD 739,000 a year." The effect is the
    study's estimate (the one its verdict grades), with the metric's unit."""
    year = money_about(line.annual.effect, currency)
    if value is None:  # valued through its decisions
        a = line.annual
        return (
            f"{line.name}: its labelled decisions are worth about {year} a year against no "
            f"model (95% CI {money(a.ci_low, currency)} to {money(a.ci_high, currency)}; "
            "value matrix × confusion matrix, not an experiment)."
        )
    e = value.effect
    metric = store.catalog.metric(value.metric)
    unit = "proportion" if metric.aggregation == "proportion" else metric.unit
    study = store.catalog.study(line.name)
    who = value.arm if line.source == "A/B test" else (study.model or "the model")
    per = f" per {study.unit}" if line.source == "A/B test" and study.unit else ""
    since = " since adoption" if line.source == "rollout" else ""
    size = amount(abs(e.effect), unit, currency)
    interval = (
        f"{interval_name(e)} {amount(e.ci_low, unit, currency, signed=True)} to "
        f"{amount(e.ci_high, unit, currency, signed=True)}"
    )
    if e.significant:
        verb = "raised" if e.effect > 0 else "lowered"
        said = f"{who} {verb} {value.metric} by {size}{per}{since} ({interval})"
    else:
        said = (
            f"no clear effect of {who} on {value.metric}{since} yet "
            f"({amount(e.effect, unit, currency, signed=True)}{per}, {interval})"
        )
    worth = f"about {year} a year" if line.sure else f"{year} a year, not counted"
    return f"{line.name}: {said}: {worth}."


def _checks(headline: Headline | None, line: PortfolioLine | None) -> tuple[Check, ...]:
    if headline is None or headline.evidence is None:
        if line is not None and line.source == "decisions":
            return (
                Check(
                    "interval",
                    line.annual.ci_low > 0,
                    "weakens",
                    "the yearly value's 95% interval lies above zero"
                    if line.annual.ci_low > 0
                    else "the yearly value's 95% interval includes zero",
                ),
            )
        return ()
    return tuple(Check(f.check, f.passed, f.effect, f.message) for f in headline.evidence.findings)


def _realised_series(store, line: PortfolioLine, value: StudyValue | None, health) -> pd.DataFrame:
    """Cumulative realised money by day: the study's series, or the latest version's
    labelled decisions per week (the same sum as the line's realised figure)."""
    if value is not None:
        frame = value.realised
        return pd.DataFrame(
            {"day": pd.to_datetime(frame["day"], utc=True), "cumulative": frame["value"]}
        )
    if health is None or line.source != "decisions":
        return pd.DataFrame(columns=["day", "cumulative"])
    series = decision_value_series(store, line.model, health.performance)
    mine = series[series["version"] == line.version].sort_values("period")
    return pd.DataFrame(
        {"day": pd.to_datetime(mine["period"], utc=True), "cumulative": mine["value"].cumsum()}
    )


def _utc(day: date) -> pd.Timestamp:
    return pd.Timestamp(day).tz_localize("UTC")
