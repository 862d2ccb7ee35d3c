"""Load the demo into a store: catalog records first, then every file through ingest.

Order matters: studies are declared before assignments (ingest checks arms against them),
metric definitions before outcomes (they decide which columns are metrics and durations),
and every unit-bearing fact before the outcomes that refer to its units.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from impact.catalog import MetricDefinitionBase, StudyBase
from impact.demo import truth as T
from impact.demo.generate import DEFAULT_PREDICTIONS, DEFAULT_SEED, DemoFiles, generate
from impact.demo.resume import registered, stored_files
from impact.ingest import IngestResult, ingest_file
from impact.ingest.reconcile import reconcile
from impact.options import StudySettings
from impact.scratch import scratch_dir
from impact.store import Store

Progress = Callable[[float, str], None]

MODELS = {
    T.CHURN_MODEL: dict(
        versions=["v1", "v2"],
        description="Scores churn risk; customers above the threshold get a retention offer.",
        owner="growth-ds",
        business_unit="Growth",
        decision_threshold=T.CHURN_THRESHOLD,
    ),
    T.TRIAGE_MODEL: dict(
        versions=["v1"],
        description="Scores support-ticket urgency to route tickets to the right queue.",
        owner="support-ml",
        business_unit="Customer support",
        decision_threshold=0.5,
    ),
    T.FRAUD_MODEL: dict(
        versions=["v3", "v4"],
        description="Scores card transactions; those above the threshold are blocked.",
        owner="risk-ml",
        business_unit="Risk",
        decision_threshold=T.FRAUD_THRESHOLD,
    ),
    T.RECS_MODEL: dict(
        versions=["v1"],
        description="Picks the products a shopper sees on the home page, instead of bestsellers.",
        owner="shop-ml",
        business_unit="Growth",
        decision_threshold=T.RECS_THRESHOLD,
    ),
}
# Yearly prediction volume and yearly running cost (USD) per model, for annualised value.
YEARLY_VOLUME = {
    T.CHURN_MODEL: 240_000,
    T.TRIAGE_MODEL: 180_000,
    T.FRAUD_MODEL: 3_000_000,
    T.RECS_MODEL: 400_000,
}
RUNNING_COST = {
    T.CHURN_MODEL: 60_000,
    T.TRIAGE_MODEL: 45_000,
    T.FRAUD_MODEL: 150_000,
    T.RECS_MODEL: 80_000,
}
LOADED_HOURLY_RATE = 48.0
# Money per fraud decision relative to no model: a blocked fraud saves the expected
# chargeback (mean fraud amount 180·e^0.32 ≈ 248, plus the 15 fee); a blocked legitimate
# transaction costs friction; letting a transaction through changes nothing.
FRAUD_DECISION_VALUES = {"tp": 263.0, "fp": -5.0, "fn": 0.0, "tn": 0.0}

METRICS = (
    MetricDefinitionBase(
        name="revenue_28d",
        dataset=T.REVENUE_DATASET,
        column="revenue",
        aggregation="sum",
        direction="higher",
        value_kind="revenue",
        unit="currency",
        description="Revenue per customer in the 28 days after assignment.",
    ),
    MetricDefinitionBase(
        name="retention",
        dataset=T.REVENUE_DATASET,
        column="retained",
        aggregation="proportion",
        direction="higher",
        value_kind="count",
        unit="customers",
        description="Share of customers still active at the end of the 28-day window.",
    ),
    MetricDefinitionBase(
        name="handling_minutes",
        dataset=T.TICKETS_DATASET,
        column="handling_minutes",
        aggregation="mean",
        direction="lower",
        value_kind="time",
        unit="minutes",
        value_per_unit=1 / 60,
        rate_assumption="loaded_hourly_rate",
        description="Agent minutes to handle one support ticket.",
    ),
    MetricDefinitionBase(
        name="chargeback_cost",
        dataset=T.CHARGEBACKS_DATASET,
        column="chargeback_cost",
        aggregation="sum",
        direction="lower",
        value_kind="cost",
        unit="currency",
        description="Amount plus fee lost on each fraudulent transaction that was not blocked.",
    ),
    MetricDefinitionBase(
        name="order_value_28d",
        dataset=T.ORDERS_DATASET,
        column="order_value",
        aggregation="sum",
        direction="higher",
        value_kind="revenue",
        unit="currency",
        description="Order value per shopper in the 28 days after assignment.",
    ),
    MetricDefinitionBase(
        name="returns",
        dataset=T.ORDERS_DATASET,
        column="returned",
        aggregation="proportion",
        direction="lower",
        value_kind="count",
        unit="shoppers",
        description="Share of shoppers who sent an order back within the 28-day window.",
    ),
)


def studies() -> list[StudyBase]:
    window = timedelta(days=T.WINDOW_DAYS)
    assign_end = T.ASSIGN_START + timedelta(days=T.ASSIGN_DAYS)
    recs_end = T.RECS_START + timedelta(days=T.RECS_ASSIGN_DAYS)
    return [
        StudyBase(
            name=T.EXPERIMENT,
            kind="ab",
            model=T.CHURN_MODEL,
            description="Retention offers targeted by churn-model v1 or v2 against no offer.",
            unit="customer",
            start=T.ASSIGN_START,
            end=assign_end + window,
            analysis_window_days=T.WINDOW_DAYS,
            arms=list(T.ARMS),
            control_arm=T.CONTROL,
            planned_split={arm: 1 / len(T.ARMS) for arm in T.ARMS},
            primary_metric="revenue_28d",
            guardrail_metrics=["retention"],
        ),
        StudyBase(
            name=T.RECS_EXPERIMENT,
            kind="ab",
            model=T.RECS_MODEL,
            description="Home-page picks by recs-model v1 against the bestsellers list.",
            unit="shopper",
            start=T.RECS_START,
            end=recs_end + timedelta(days=T.RECS_WINDOW_DAYS),
            analysis_window_days=T.RECS_WINDOW_DAYS,
            arms=list(T.RECS_ARMS),
            control_arm="control",
            planned_split={arm: 1 / len(T.RECS_ARMS) for arm in T.RECS_ARMS},
            primary_metric="order_value_28d",
            guardrail_metrics=["returns"],
            settings=StudySettings(guardrail_tolerance={"returns": T.RETURN_TOLERANCE}).to_json(),
        ),
        StudyBase(
            name=T.ROLLOUT_STUDY,
            kind="did",
            model=T.TRIAGE_MODEL,
            description=(
                f"Ticket triage switched on at {len(T.SITES)} support sites in waves of whole "
                f"regions ({len(T.TRIAGE_REGIONS)} regions, standard errors clustered by region)."
            ),
            unit="site",
            start=T.WEEK0,
            end=T.WEEK0 + timedelta(weeks=T.WEEKS),
            primary_metric="handling_minutes",
            period="week",
            settings=StudySettings().with_rollout(cluster="region").to_json(),
        ),
    ]


# What loading the demo does: declares studies and models, defines metrics, sets value
# assumptions and uploads files. All are checked before the first write.
CATALOG_ACTIONS = ("manage_study", "define_metric", "edit_assumption")
DEMO_ACTIONS = (*CATALOG_ACTIONS, "upload")


def assumptions() -> list[dict]:
    """The demo's value assumptions, as keyword arguments of `Catalog.set_assumption`."""
    rows: list[dict] = [
        dict(name="currency", text="USD"),
        dict(name="loaded_hourly_rate", value=LOADED_HOURLY_RATE, unit="USD/hour"),
    ]
    for model in MODELS:
        rows.append(
            dict(
                name="yearly_volume",
                value=YEARLY_VOLUME[model],
                scope=model,
                unit="predictions/year",
            )
        )
        rows.append(
            dict(name="running_cost", value=RUNNING_COST[model], scope=model, unit="USD/year")
        )
    for cell, value in FRAUD_DECISION_VALUES.items():
        rows.append(
            dict(name=f"value_{cell}", value=value, scope=T.FRAUD_MODEL, unit="USD/decision")
        )
    return rows


def register_catalog(store: Store) -> None:
    """Models, studies, metric definitions and value assumptions of the demo portfolio
    (admins only: it declares studies and resets assumptions), each change audited."""
    store.authorize(*CATALOG_ACTIONS)
    catalog = store.catalog
    for name, fields in MODELS.items():
        fields = dict(fields)
        catalog.ensure_model(name, fields.pop("versions"), action="manage_study", **fields)
        store.audit("register_model", name, source="demo", **fields)
    for study in studies():
        catalog.save_study(study)
        store.audit("manage_study", study.name, source="demo")
    for metric in METRICS:
        catalog.save_metric(metric)
        store.audit("define_metric", metric.name, source="demo")
    for row in assumptions():
        saved = catalog.set_assumption(**row, note="demo assumption", changed_by=store.user)
        store.audit(
            "edit_assumption",
            saved.name,
            scope=saved.scope,
            value=saved.value,
            text=saved.text,
            unit=saved.unit,
            version=saved.version,
            note="demo assumption",
        )


def ingest_demo(
    store: Store, files: DemoFiles, progress: Progress | None = None
) -> list[IngestResult]:
    """Ingest every demo file in FILE_ORDER (studies' units before outcomes), skipping
    those already stored as they are (a run that was killed part way is completed);
    returns the new uploads."""
    store.authorize("upload")
    step = progress or (lambda fraction, message: None)
    results: list[IngestResult] = []
    done = stored_files(store, files)
    for i, file in enumerate(files.files):
        if file in done:
            continue
        step(0.1 + 0.9 * i / len(files.files), f"Loading {file.kind} {file.dataset}")
        # At millions of tickets the generator draws some identical ones (same site, minute
        # and handling time): separate events, which the duplicate-row check would refuse.
        repeats = file.kind == "outcomes"
        results.append(
            ingest_file(
                store, file.path, file.kind, dataset=file.dataset, allow_duplicate_rows=repeats
            )
        )
    return results


def load_demo(
    store: Store,
    predictions: int = DEFAULT_PREDICTIONS,
    seed: int = DEFAULT_SEED,
    progress: Progress | None = None,
    customers: int | None = None,
) -> list[IngestResult]:
    """Generate the demo and store it: catalog records, then one upload per file.

    Run again after a partial load (a killed `impact demo`), it loads only the files not
    yet stored, and registers the catalog records only if some are missing; it returns the
    uploads it made (none when the demo was complete). Every role it needs is checked
    first, so a refused demo writes nothing."""
    store.authorize(*DEMO_ACTIONS)
    step = progress or (lambda fraction, message: None)
    reconcile(store)  # an upload a killed run left unrecorded counts as stored
    with scratch_dir("demo") as directory:
        step(0.0, f"Generating {predictions:,} demo predictions")
        files = generate(directory, predictions=predictions, seed=seed, customers=customers)
        if len(stored_files(store, files)) == len(files.files):
            step(1.0, "Every demo dataset was already loaded")
            return []
        if not registered(store, MODELS, studies(), METRICS, assumption_keys()):
            step(0.08, "Registering models, studies, metrics and assumptions")
            register_catalog(store)
        results = ingest_demo(store, files, progress)
    step(1.0, "Demo loaded")
    return results


def assumption_keys() -> set[tuple[str, str]]:
    """(name, scope) of every value assumption register_catalog sets."""
    keys = {("currency", ""), ("loaded_hourly_rate", "")}
    keys |= {(name, model) for model in MODELS for name in ("yearly_volume", "running_cost")}
    return keys | {(f"value_{cell}", T.FRAUD_MODEL) for cell in FRAUD_DECISION_VALUES}


def is_empty(store: Store) -> bool:
    """True when nothing was ever loaded into the warehouse."""
    return not store.warehouse.scalar("SELECT count(*) FROM loads")
