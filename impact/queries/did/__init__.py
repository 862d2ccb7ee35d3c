"""SQL for rollout (difference-in-differences) readouts: `panel.Panel` owns a study's or a
file's unit × period panel and computes from it what each estimator needs.

- panel: the Panel object, its facts and its cluster checks;
- stored: the panel of a stored study (and the segments it can be clustered by);
- file: the panel of a file of unit-period rows, in a staging database;
- within: TWFE's within moments, the 2×2 sums, the wild bootstrap's cross-products;
- cohorts: Callaway–Sant'Anna's per-cohort moments;
- event: the event study's moments and the placebo's cells.
"""
