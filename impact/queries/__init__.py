"""All analytic SQL: reductions from facts to the small summaries the rest of Impact uses.

One module per domain. Values are bound parameters; the few identifiers that come from
users go through impact.sql.quote_identifier. The SQL is DuckDB's dialect, mostly the
standard's (CTEs, window functions, CASE, percentile_cont … WITHIN GROUP) but not portable
as it stands: DuckDB-only spellings remain where the standard one costs a pass or changes a
number (arg_max, date_diff, `::` casts, TRY_CAST), and health and portfolio name theirs
and why in their docstrings. Results come back typed or as small frames, never raw rows.
"""
