"""Technical health of a model from small summaries: pure functions, no I/O.

classification, regression and calibration metrics, drift statistics and alerts. Inputs
are the per-group counts and sums that impact.queries.health computes in SQL.
"""
