"""All analytic SQL: reductions from facts to the small summaries the rest of Impact uses.

One module per domain. Values are bound parameters; the few identifiers that come from
users go through impact.sql.quote_identifier. The SQL is DuckDB's dialect, mostly the
standard's (CTEs, window functions, CASE, percentile_cont … WITHIN GROUP) but not portable
as it stands: DuckDB-only shortcuts remain (arg_max, date_diff, GROUP BY ALL, `::` casts),
and health and portfolio name theirs and why in their docstrings.
"""
