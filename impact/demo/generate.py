"""Seeded demo portfolio: one parquet file per (kind, dataset), columns as in the contract.

`predictions` is the total number of prediction rows over the four models; customers,
tickets, transactions and shoppers scale with it. Each model draws from its own child
seed, so one model's size does not change another's data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from impact.demo import churn, fraud, recs, triage
from impact.demo import truth as T
from impact.errors import InvalidInput

DEFAULT_PREDICTIONS = 48_000
DEFAULT_SEED = 7
MIN_PREDICTIONS = 1_000
# Of predictions: churn a sixth (unless `customers` is given); of the rest, 3/5 triage
# (enough tickets for every region to have some each day), 1/5 recommendations and 1/5
# fraud: 8,000 · 24,000 · 8,000 · 8,000 by default.
CHURN_SHARE = 1 / 6
# Fewer transactions may hold no missed fraud, and so no chargeback to upload.
MIN_TRANSACTIONS = 400


@dataclass(frozen=True)
class Sizes:
    customers: int  # = churn predictions
    tickets_scored: int  # = triage predictions
    transactions: int  # = fraud predictions
    shoppers_scored: int  # = recs predictions; as many shoppers again form the control arm

    @property
    def predictions(self) -> int:
        return self.customers + self.tickets_scored + self.transactions + self.shoppers_scored


@dataclass(frozen=True)
class DemoFile:
    kind: str
    dataset: str  # the logical dataset name it is ingested as
    path: Path
    rows: int


@dataclass(frozen=True)
class DemoFiles:
    directory: Path
    sizes: Sizes
    files: tuple[DemoFile, ...]

    def path(self, kind: str, dataset: str) -> Path:
        return self.file(kind, dataset).path

    def file(self, kind: str, dataset: str) -> DemoFile:
        for f in self.files:
            if (f.kind, f.dataset) == (kind, dataset):
                return f
        known = ", ".join(f"{f.kind}/{f.dataset}" for f in self.files)
        raise KeyError(f"No demo file {kind}/{dataset}; there are: {known}")


# (kind, dataset) in the order they must be ingested: studies' units before outcomes.
FILE_ORDER = (
    ("assignments", T.EXPERIMENT),
    ("assignments", T.RECS_EXPERIMENT),
    ("rollouts", T.ROLLOUT_STUDY),
    ("predictions", T.CHURN_MODEL),
    ("predictions", T.TRIAGE_MODEL),
    ("predictions", T.FRAUD_MODEL),
    ("predictions", T.RECS_MODEL),
    ("outcomes", T.REVENUE_DATASET),
    ("outcomes", T.TICKETS_DATASET),
    ("outcomes", T.CHARGEBACKS_DATASET),
    ("outcomes", T.ORDERS_DATASET),
)


def sizes(predictions: int = DEFAULT_PREDICTIONS, customers: int | None = None) -> Sizes:
    if predictions < MIN_PREDICTIONS:
        raise InvalidInput(
            f"The demo needs at least {MIN_PREDICTIONS:,} predictions; got {predictions:,}."
        )
    churned = round(CHURN_SHARE * predictions) if customers is None else customers
    rest = predictions - churned
    if churned < 30 or rest < MIN_PREDICTIONS // 2:
        raise InvalidInput(
            f"{churned:,} customers leave too few of the {predictions:,} predictions for the "
            "triage, fraud and recommendation models; use between 30 and "
            f"{predictions - MIN_PREDICTIONS // 2:,}."
        )
    triage, recs = rest * 3 // 5, rest // 5
    fraud = rest - triage - recs
    if fraud < MIN_TRANSACTIONS:  # a small demo: fraud takes its floor from triage
        triage, fraud = triage - (MIN_TRANSACTIONS - fraud), MIN_TRANSACTIONS
    return Sizes(churned, triage, fraud, recs)


def build(
    predictions: int = DEFAULT_PREDICTIONS,
    seed: int = DEFAULT_SEED,
    customers: int | None = None,
) -> dict[tuple[str, str], pa.Table]:
    """Every demo table in memory, keyed by (kind, dataset)."""
    size = sizes(predictions, customers)
    # spawn(n)'s first children do not depend on n: adding a model left the others' data.
    churn_rng, triage_rng, fraud_rng, recs_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)
    )
    c = churn.build(churn_rng, size.customers)
    t = triage.build(triage_rng, size.tickets_scored)
    f = fraud.build(fraud_rng, size.transactions)
    r = recs.build(recs_rng, size.shoppers_scored)
    tables = {
        ("assignments", T.EXPERIMENT): c["assignments"],
        ("assignments", T.RECS_EXPERIMENT): r["assignments"],
        ("rollouts", T.ROLLOUT_STUDY): t["rollouts"],
        ("predictions", T.CHURN_MODEL): c["predictions"],
        ("predictions", T.TRIAGE_MODEL): t["predictions"],
        ("predictions", T.FRAUD_MODEL): f["predictions"],
        ("predictions", T.RECS_MODEL): r["predictions"],
        ("outcomes", T.REVENUE_DATASET): c["outcomes"],
        ("outcomes", T.TICKETS_DATASET): t["outcomes"],
        ("outcomes", T.CHARGEBACKS_DATASET): f["outcomes"],
        ("outcomes", T.ORDERS_DATASET): r["outcomes"],
    }
    return {key: tables[key] for key in FILE_ORDER}


def generate(
    directory: Path | str,
    predictions: int = DEFAULT_PREDICTIONS,
    seed: int = DEFAULT_SEED,
    customers: int | None = None,
) -> DemoFiles:
    """Write the demo as parquet files under `directory` (created if missing)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    files = []
    for (kind, dataset), table in build(predictions, seed, customers).items():
        path = directory / f"{kind}-{dataset}.parquet"
        pq.write_table(table, path, compression="zstd")
        files.append(DemoFile(kind, dataset, path, table.num_rows))
    return DemoFiles(directory, sizes(predictions, customers), tuple(files))
