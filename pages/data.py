"""Data: upload files (validated, stored whole or not at all) and list what is stored."""

from math import ceil
from pathlib import Path

import pandas as pd
import streamlit as st

from impact import charts, ui
from impact.access import can
from impact.analysis.portfolio import audit_table, dataset_table
from impact.config import settings
from impact.contract import FACTS
from impact.errors import ImpactError, RowsAlreadyStored, ValidationFailed
from impact.ingest import ingest_file
from impact.scratch import scratch_dir

ui.require_sign_in()  # before anything else, however this page is reached


@st.cache_data(show_spinner=False)
def load(generation: str):
    return dataset_table(ui.store())


EXISTING = {
    "refuse": "Refuse the upload (nothing changes)",
    "append_new": "Add only the rows not yet stored",
    "replace": "Replace the dataset's stored rows with this file",
}


def upload(
    file, kind: str, dataset: str, sheet: str, mapping: dict[str, str], on_existing: str
) -> None:
    bar = st.progress(0.0, text="Starting …")
    with scratch_dir("upload") as folder:  # removed by the next start if the app is killed
        path = Path(folder) / Path(file.name).name
        path.write_bytes(file.getbuffer())
        try:
            result = ingest_file(
                ui.session_store(),
                path,
                kind,
                dataset=dataset or None,
                mapping=mapping,
                sheet=sheet or None,
                file_name=file.name,
                progress=lambda f, m: bar.progress(f, text=m),
                on_existing=on_existing,
            )
        except RowsAlreadyStored as exc:
            bar.empty()
            st.error(
                f"{exc.stored:,} of the file's {exc.rows:,} rows are already stored in dataset "
                f"{exc.dataset!r}, so nothing was stored. Under 'If rows are already stored', "
                f"choose '{EXISTING['append_new']}' or '{EXISTING['replace']}' and click "
                "'Validate and store' again (or give the upload another dataset name)."
            )
            return
        except ValidationFailed as exc:
            bar.empty()
            st.error(
                f"**{ui.escape(file.name)} was not stored.** Nothing changed. Fix the rows below "
                "and upload again."
            )
            rules = exc.report.rules_frame()
            order = {"failed": 0, "warning": 1, "passed": 2}
            st.dataframe(
                rules.sort_values("status", key=lambda s: s.map(order), kind="stable"),
                hide_index=True,
                column_order=["check", "status", "failed_rows", "fix"],
                column_config={
                    "failed_rows": st.column_config.NumberColumn("failed rows", width="small"),
                    "fix": st.column_config.TextColumn(width="large"),
                },
            )
            st.dataframe(exc.report.failures_frame().head(200), hide_index=True)
            ui.download_csv(
                "Download the failing rows (CSV)",
                exc.report.failures_frame(),
                f"{Path(file.name).stem}-validation.csv",
            )
            return
        except ImpactError as exc:
            bar.empty()
            st.error(ui.escape(exc))
            return
    bar.empty()
    ui.data_changed()
    st.success(
        f"Stored {result.dataset.rows:,} rows as dataset **{ui.escape(result.dataset.name)}**."
    )
    for note in result.notes:
        st.caption(ui.escape(note))


st.title("Data")
st.subheader("Upload")
# A viewer gets no upload widget at all: a disabled button below it would still let the
# browser send up to the server's limit for every file chosen.
may_upload = can(ui.session_store().role, "upload")
if not may_upload:
    st.info(
        "Your role is read-only, so there is no upload here: storing data needs the analyst "
        "role. Ask an admin to change your role."
    )
else:
    kind = st.selectbox(
        "What the file holds", list(FACTS), format_func=lambda k: f"{k} — {FACTS[k].description}"
    )
    required = ", ".join(c.name for c in FACTS[kind].required)
    st.caption(f"Required columns: {required}. CSV, Parquet or Excel (.xlsx).")
    file = st.file_uploader(
        "File", type=["csv", "parquet", "xlsx"], max_upload_size=ceil(settings().upload_limit_mb)
    )
    c1, c2 = st.columns(2)
    dataset = c1.text_input("Dataset name (default: the file name)")
    sheet = c2.text_input("Excel sheet (if the workbook has several)")
    on_existing = st.radio(
        "If rows are already stored",
        list(EXISTING),
        format_func=EXISTING.get,
        horizontal=True,
        help="A cumulative export repeats rows stored before; they are never stored twice.",
    )
    st.caption("Column mapping: only where your file's names differ from the contract's.")
    edited = st.data_editor(
        pd.DataFrame({"file column": [""], "contract column": [""]}),
        num_rows="dynamic",
        hide_index=True,
        key="mapping",
    )
    mapping = {
        str(r["file column"]).strip(): str(r["contract column"]).strip()
        for _, r in edited.iterrows()
        if str(r["file column"]).strip() and str(r["contract column"]).strip()
    }
    if st.button("Validate and store", type="primary", disabled=file is None):
        upload(file, kind, dataset, sheet, mapping, on_existing)

st.subheader("Stored datasets")
datasets = load(ui.generation())
if datasets.empty:
    ui.empty_warehouse_notice()
else:
    st.dataframe(
        datasets,
        hide_index=True,
        column_config={
            "rows": ui.number(),
            "uploaded_at": ui.when("uploaded"),
            "uploaded_by": "uploaded by",
        },
    )
    st.altair_chart(charts.rows_per_dataset(datasets))

st.subheader("Change log")
st.caption("Every upload, deletion, metric definition and assumption change, with who and when.")
log = audit_table(ui.store())
if log.empty:
    st.caption("No changes recorded yet.")
else:
    st.dataframe(log, hide_index=True, column_config={"when": ui.when()})
