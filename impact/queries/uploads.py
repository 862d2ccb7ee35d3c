"""What one upload's rows feed: the experiments and rollout studies its rows belong to."""

from __future__ import annotations

from impact.warehouse import Warehouse


def studies_in_upload(warehouse: Warehouse, dataset_id: str) -> dict[str, list[str]]:
    """Experiment names of the upload's assignments, study names of its rollouts."""
    experiments = warehouse.execute(
        "SELECT DISTINCT experiment FROM assignments WHERE dataset_id = ? ORDER BY 1",
        [dataset_id],
    ).rows
    rollouts = warehouse.execute(
        "SELECT DISTINCT study FROM rollouts WHERE dataset_id = ? ORDER BY 1", [dataset_id]
    ).rows
    return {"ab": [r[0] for r in experiments], "did": [r[0] for r in rollouts]}
