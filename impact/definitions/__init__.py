"""Definitions as code: metrics, studies and value assumptions kept in a YAML file.

schema (the file's format) → validate (against what is stored) → apply (plan the changes,
write them in one transaction) ; export writes the catalog back out as such a file.
Called through `impact.analysis.definitions`.
"""
