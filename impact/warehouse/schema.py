"""Warehouse tables: the four facts of the data contract, plus the load ledger.

Every fact row carries the `dataset_id` of the upload that brought it, so an upload can be
listed, checked against the catalog, or removed as a whole. Outcome metrics and prediction
features are stored long (one row per value) so any upload's own column names fit without
schema changes. Rows are inserted sorted by the columns the joins use (DuckDB prunes by
min/max zone maps). Keys: assignments and rollouts carry primary keys; prediction_id is
kept unique by the ingest rules (file and stored rows) instead of an index, because an
ART index over tens of millions of ids costs more memory than the column itself.
"""

TABLES = {
    "loads": """
        CREATE TABLE IF NOT EXISTS loads (
            dataset_id VARCHAR PRIMARY KEY,
            name VARCHAR NOT NULL,
            kind VARCHAR NOT NULL,
            file_name VARCHAR NOT NULL,
            checksum VARCHAR NOT NULL,
            row_count BIGINT NOT NULL,
            mapping VARCHAR NOT NULL,
            uploaded_by VARCHAR NOT NULL,
            loaded_at TIMESTAMPTZ NOT NULL
        )""",
    "predictions": """
        CREATE TABLE IF NOT EXISTS predictions (
            dataset_id VARCHAR NOT NULL,
            prediction_id VARCHAR NOT NULL,
            model VARCHAR NOT NULL,
            model_version VARCHAR NOT NULL,
            unit_id VARCHAR NOT NULL,
            predicted_at TIMESTAMPTZ NOT NULL,
            score DOUBLE NOT NULL,
            prediction DOUBLE,
            actual DOUBLE,
            labeled_at TIMESTAMPTZ,
            latency_ms DOUBLE CHECK (latency_ms >= 0),
            served BOOLEAN
        )""",
    "prediction_features": """
        CREATE TABLE IF NOT EXISTS prediction_features (
            dataset_id VARCHAR NOT NULL,
            prediction_id VARCHAR NOT NULL,
            feature VARCHAR NOT NULL,
            number_value DOUBLE,
            text_value VARCHAR
        )""",
    "outcomes": """
        CREATE TABLE IF NOT EXISTS outcomes (
            dataset_id VARCHAR NOT NULL,
            unit_id VARCHAR NOT NULL,
            observed_at TIMESTAMPTZ NOT NULL,
            metric VARCHAR NOT NULL,
            value DOUBLE NOT NULL
        )""",
    "unit_segments": """
        CREATE TABLE IF NOT EXISTS unit_segments (
            dataset_id VARCHAR NOT NULL,
            unit_id VARCHAR NOT NULL,
            segment VARCHAR NOT NULL,
            value VARCHAR NOT NULL
        )""",
    "assignments": """
        CREATE TABLE IF NOT EXISTS assignments (
            dataset_id VARCHAR NOT NULL,
            experiment VARCHAR NOT NULL,
            unit_id VARCHAR NOT NULL,
            arm VARCHAR NOT NULL,
            assigned_at TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (experiment, unit_id)
        )""",
    "rollouts": """
        CREATE TABLE IF NOT EXISTS rollouts (
            dataset_id VARCHAR NOT NULL,
            study VARCHAR NOT NULL,
            unit_id VARCHAR NOT NULL,
            treated_at TIMESTAMPTZ,
            PRIMARY KEY (study, unit_id)
        )""",
}

# Tables that hold rows of an upload (everything but the ledger).
FACT_TABLES = (
    "predictions",
    "prediction_features",
    "outcomes",
    "unit_segments",
    "assignments",
    "rollouts",
)
