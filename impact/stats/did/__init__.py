"""Difference-in-differences on the moments impact.queries.did computes in the warehouse.

- twfe: two-way fixed effects and the 2×2, cluster-robust (CR1);
- event: the event study (leads and lags) and its pre-trend test;
- cs: Callaway & Sant'Anna's group-time effects and their aggregations;
- boot: the wild cluster bootstrap for TWFE with few clusters;
- inference: what they share, CR1's small-sample factor and the critical value.
Every estimate ends in `Estimate.from_se`, the one place intervals and p-values are made.
"""
