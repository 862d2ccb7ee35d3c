"""All analytic SQL: reductions from facts to the small summaries the rest of Impact uses.

One module per domain. Values are bound parameters; the few identifiers that come from
users go through impact.sql.quote_identifier. Only portable SQL (CTEs, window functions,
CASE, percentile_cont … WITHIN GROUP, date_trunc) is used.
"""
