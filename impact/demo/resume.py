"""Which demo files a store already holds, so that a killed `impact demo` can be finished.

A demo file is stored when an upload of its kind and dataset name has its checksum: the
generator is deterministic, so the same --seed and --predictions give the same bytes. A
dataset of a demo name holding other bytes (another seed or size, or someone's own data) is
refused with what to do, rather than mixed with this demo's rows.
"""

from __future__ import annotations

from collections.abc import Iterable

from impact.catalog import MetricDefinitionBase, StudyBase
from impact.demo.generate import FILE_ORDER, DemoFile, DemoFiles
from impact.errors import InvalidInput
from impact.ingest.read import checksum
from impact.store import Store


def stored_files(store: Store, files: DemoFiles) -> set[DemoFile]:
    """The demo files already stored, byte for byte, under their dataset names."""
    uploads = store.catalog.datasets()
    done = set()
    for file in files.files:
        same_name = [d for d in uploads if (d.kind, d.name) == (file.kind, file.dataset)]
        if not same_name:
            continue
        digest = checksum(file.path)
        if any(d.checksum == digest for d in same_name):
            done.add(file)
            continue
        raise InvalidInput(
            f"The warehouse already holds a {file.kind} dataset named {file.dataset!r} that "
            "is not this demo's file (another --seed or --predictions, or other data), so the "
            "demo was not completed and nothing more was stored. Run `impact demo` with the "
            "options of the first run, or remove that dataset (`impact delete "
            f"{file.dataset}`) and run it again."
        )
    return done


def is_partial(store: Store) -> bool:
    """Some demo datasets are stored, not all: a demo load was interrupted."""
    names = {(d.kind, d.name) for d in store.catalog.datasets()}
    held = sum(key in names for key in FILE_ORDER)
    return 0 < held < len(FILE_ORDER)


def registered(
    store: Store,
    models: Iterable[str],
    studies: Iterable[StudyBase],
    metrics: Iterable[MetricDefinitionBase],
    assumptions: set[tuple[str, str]],
) -> bool:
    """Every catalog record the demo declares exists (whatever its values now are)."""
    catalog = store.catalog
    return (
        set(models) <= {m.name for m in catalog.models()}
        and {s.name for s in studies} <= {s.name for s in catalog.studies()}
        and {m.name for m in metrics} <= {m.name for m in catalog.metrics()}
        and assumptions <= {(a.name, a.scope) for a in catalog.assumptions()}
    )
