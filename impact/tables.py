"""Tables for people (issue 13): headers in words, not snake_case; p-values as "< 0.001" or
three decimals, never "0.0000"; "–" in empty cells, which Streamlit shows as "None".

Pure: `readable` returns the frame and a column configuration in Streamlit's own format
(plain dicts), so `ui.table` only hands both to st.dataframe.
"""

from __future__ import annotations

import pandas as pd

from impact.formats import p_cell

LABELS = {
    "p_value": "p-value",
    "score_p_value": "score drift p-value",
    "calibration_p": "calibration p-value",
    "ci_low": "interval low",
    "ci_high": "interval high",
    "roc_auc": "ROC AUC",
    "roc_auc_se": "ROC AUC std. error",
    "pr_auc": "PR AUC",
    "log_loss": "log loss",
    "ece": "ECE",
    "f1": "F1",
    "mae": "MAE",
    "rmse": "RMSE",
    "mape": "MAPE",
    "psi": "PSI",
    "score_psi": "score PSI",
    "psi_label": "PSI reading",
    "js_distance": "JS distance",
    "score_js_distance": "score JS distance",
    "ks_d": "KS statistic",
    "score_ks_d": "score KS statistic",
    "chi_square": "chi-square",
    "dof": "degrees of freedom",
    "n": "rows",
    "tp": "true positives",
    "fp": "false positives",
    "tn": "true negatives",
    "fn": "false negatives",
    "latency_p50": "latency p50 (ms)",
    "latency_p95": "latency p95 (ms)",
    "latency_p99": "latency p99 (ms)",
    "fallback_share": "fell back",
    "label_coverage": "labels arrived",
    "label_delay_days": "label delay (days)",
    "event_time": "periods since adoption",
    "n_treated": "treated units",
    "n_control": "control units",
    "guardrail_passed": "guardrail held",
    "value_per_prediction": "value per prediction",
}
PERCENT = {"fallback_share", "label_coverage"}
EMPTY = "–"
_KEEP = ("datetime", "date", "progress", "time", "link", "checkbox")


def is_p_value(column: str) -> bool:
    return column in ("p_value", "calibration_p") or column.endswith("_p_value")


def label(column: object) -> str:
    name = str(column)
    return LABELS.get(name, name.replace("_", " "))


def cell(value: object, fmt: str | None = None, column: str = "") -> str:
    """One cell as text, in its column's format ("%.4f", "percent", "localized")."""
    if value is None or (not isinstance(value, list | tuple | dict) and pd.isna(value)):
        return EMPTY  # None, NaN, NaT and pandas' NA
    if isinstance(value, bool):
        return "yes" if value else "no"
    if not isinstance(value, int | float):
        return str(value)
    if is_p_value(column):
        return p_cell(value)
    if fmt == "percent" or column in PERCENT:
        return f"{value:.1%}"
    if fmt and "%" in fmt and fmt != "percent":
        return fmt % value
    if fmt == "localized" or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.4g}"


def _text(name: str) -> dict:
    return {"label": name, "type_config": {"type": "text"}}


def readable(frame: pd.DataFrame, config: dict | None = None) -> tuple[pd.DataFrame, dict]:
    """The frame and column configuration st.dataframe shows: every header in words (a
    given label wins); a column with empty cells, or text, is rendered as text; p-values
    without a format of the page's as "< 0.001" or three decimals; a column whose header is
    longer than its cells is widened so the header is not cut ("target e…")."""
    frame = pd.DataFrame(frame).copy()
    out = dict(config or {})
    for column in frame.columns:
        given = out.get(column)
        given = {"label": given} if isinstance(given, str) else dict(given or {})
        name = given.get("label") or label(column)
        kind = (given.get("type_config") or {}).get("type")
        fmt = (given.get("type_config") or {}).get("format")
        values = frame[column]
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        p_plain = is_p_value(str(column)) and not fmt
        if kind in _KEEP or pd.api.types.is_datetime64_any_dtype(values):
            shown = {**given, "label": name}
        elif not numeric or values.isna().any() or p_plain:
            frame[column] = pd.Series(
                [cell(v, fmt, str(column)) for v in values], index=frame.index, dtype=object
            )
            shown = {**_text(name), **({"help": given["help"]} if "help" in given else {})}
        elif str(column) in PERCENT and not kind:
            shown = {"label": name, "type_config": {"type": "number", "format": "percent"}}
        else:
            shown = {**given, "label": name}
        widest = max((len(str(v)) for v in frame[column]), default=0)
        if "width" not in given and len(name) > max(widest, 6):
            shown["width"] = 8 * len(name) + 32  # px: the header's text and sort icon
        out[column] = shown
    return frame, out
