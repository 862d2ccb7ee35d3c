"""Which studies and metrics depend on an upload, so deleting it is refused unless forced."""

from __future__ import annotations

from impact.catalog import Dataset
from impact.queries.uploads import studies_in_upload
from impact.store import Store


def dependents(store: Store, dataset: Dataset) -> list[str]:
    """One sentence per thing that would lose data: a study whose assignments or rollouts
    are in the upload, a metric defined on its dataset name (and the studies using it)."""
    found = []
    stored = studies_in_upload(store.warehouse, dataset.id)
    studies = {s.name: s for s in store.catalog.studies()}
    for name in stored["ab"]:
        if name in studies:
            found.append(f"experiment {name!r}: its assignments are in this upload")
    for name in stored["did"]:
        if name in studies:
            found.append(f"rollout study {name!r}: its rollout dates are in this upload")
    if dataset.kind == "outcomes":
        for metric in store.catalog.metrics():
            if metric.dataset != dataset.name:
                continue
            users = [
                s.name
                for s in studies.values()
                if metric.name in (s.primary_metric, *s.secondary_metrics, *s.guardrail_metrics)
            ]
            used = f", used by {', '.join(map(repr, users))}" if users else ""
            found.append(f"metric {metric.name!r}: defined on dataset {dataset.name!r}{used}")
    return found
