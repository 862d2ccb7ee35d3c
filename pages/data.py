"""Data: upload files (validated, stored whole or not at all) and list what is stored."""

from math import ceil
from pathlib import Path

import pandas as pd
import streamlit as st

from impact import charts, forms, ui
from impact.access import can
from impact.analysis.definition_edits import choices as form_choices
from impact.analysis.portfolio import audit_table, dataset_table, upload_dependents
from impact.analysis.readiness import readiness, readiness_table
from impact.analysis.spark import on_spark, source_table
from impact.config import settings
from impact.contract import FACTS
from impact.errors import ImpactError, RowsAlreadyStored, ValidationFailed
from impact.ingest import delete_upload, ingest_file
from impact.ingest.columns import mapping_from_rows
from impact.scratch import scratch_dir

ui.require_sign_in()  # before anything else, however this page is reached


@st.cache_data(show_spinner=False)
def load(generation: str):
    return dataset_table(ui.store())


@st.cache_data(show_spinner=False, ttl=3600)  # ages change with the clock, not only uploads
def load_readiness(generation: str):
    return readiness_table(readiness(ui.store()))


EXISTING = {
    "refuse": "Refuse the upload (nothing changes)",
    "append_new": "Add only the rows not yet stored",
    "replace": "Replace the dataset's stored rows with this file",
}


REPORT = "data_report"  # the last refused upload's report: it survives every rerun
PENDING_DELETE = "data_delete_pending"  # the upload whose deletion awaits confirmation
FLASH = "data_flash"  # a message to show once, after the rerun a change causes
DECLARED = "data_declared"  # studies this session's uploads declared: finish them here
NEW_OUTCOMES = "data_new_outcomes"  # the outcomes dataset last uploaded: define a metric on it


@st.cache_data(show_spinner=False)
def load_choices(generation: str):
    return form_choices(ui.store())


def upload(file, kind: str, dataset: str, sheet: str, mapping: dict[str, str], **choices) -> None:
    st.session_state.pop(REPORT, None)
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
                where="app",
                **choices,
            )
        except RowsAlreadyStored as exc:
            bar.empty()
            st.error(
                f"{exc.stored:,} of the file's {exc.rows:,} rows are already stored in dataset "
                f"{ui.escape(exc.dataset)}, so nothing was stored. Under 'If rows are already "
                f"stored', choose '{EXISTING['append_new']}' or '{EXISTING['replace']}' and "
                "click 'Validate and store' again (or give the upload another dataset name)."
            )
            return
        except ValidationFailed as exc:
            bar.empty()
            st.session_state[REPORT] = (file.name, exc.report)
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
    declared = st.session_state.setdefault(DECLARED, [])
    declared += [n for n in result.declared if n not in declared]
    if kind == "outcomes":
        st.session_state[NEW_OUTCOMES] = result.dataset.name


def next_steps() -> None:
    """After an upload: define a metric on new outcomes, and finish each study the upload
    declared (its control arm, window, primary metric), so no upload ends in a dead end."""
    declared = st.session_state.get(DECLARED, [])
    outcomes = st.session_state.get(NEW_OUTCOMES)
    if not declared and not outcomes:
        return
    found = load_choices(ui.generation())
    st.subheader("Next: finish the definitions")
    forms.flash()
    if outcomes and outcomes not in found.metric_datasets.values():
        st.markdown(f"**Define a metric on {ui.escape(outcomes)}**")
        forms.metric_editor(found, dataset=outcomes, key="data_metric")
    for name in declared:
        kind = found.unfinished.get(name)
        if kind is None:
            continue  # finished, or deleted since
        title = "experiment" if kind == "ab" else "rollout"
        with st.expander(f"Finish the {title} {ui.escape(name)}", expanded=True):
            if kind == "ab":
                forms.experiment_editor(name, found.metrics, key="data_study")
            else:
                forms.rollout_editor(name, found.metrics, found.segments, key="data_rollout")
    for name in declared:
        kind = found.study_kinds.get(name)
        if kind and name not in found.unfinished:
            page = "experiments" if kind == "ab" else "rollouts"
            st.page_link(f"pages/{page}.py", label=f"See the readout of {ui.escape(name)}")


def show_report(file_name: str, report) -> None:
    """The refused upload's report, drawn from the session so a download keeps it."""
    st.error(
        f"**{ui.escape(file_name)} was not stored.** Nothing changed. Fix the rows below "
        "and upload again."
    )
    rules = report.rules_frame()
    order = {"failed": 0, "warning": 1, "passed": 2}
    ui.table(
        rules.sort_values("status", key=lambda s: s.map(order), kind="stable"),
        hide_index=True,
        column_order=["check", "status", "failed", "fix"],
        column_config={
            "failed": st.column_config.TextColumn("what failed", width="medium"),
            "fix": st.column_config.TextColumn(width="large"),
        },
    )
    failures = report.failures_frame()
    ui.table(failures.head(200), hide_index=True)
    ui.download_csv(
        "Download the failing rows (CSV)", failures, f"{Path(file_name).stem}-validation.csv"
    )


def delete_section(datasets: pd.DataFrame) -> None:
    """Admins delete an upload in two steps: choose it, then confirm naming it and its rows
    (and, when studies or metrics depend on it, confirm deleting it anyway)."""
    st.subheader("Delete an upload")
    labels = {
        r.id: f"{r.dataset} · {r.kind} · {r.rows:,} rows · {r.file}" for r in datasets.itertuples()
    }
    chosen = st.selectbox("Upload to delete", list(labels), format_func=labels.get)
    if st.button("Delete this upload …"):
        st.session_state[PENDING_DELETE] = chosen
    pending = st.session_state.get(PENDING_DELETE)
    if pending not in labels:
        return
    row = datasets.set_index("id").loc[pending]
    using = upload_dependents(ui.store(), pending)
    st.warning(
        f"Delete dataset {ui.escape(row['dataset'])} ({row['kind']}, {int(row['rows']):,} "
        f"rows, from {ui.escape(row['file'])})? Its rows leave the warehouse; the change log "
        "keeps a record of who deleted it."
    )
    if using:
        st.error(
            "Studies or metrics depend on this upload, and would lose its data:\n\n"
            + "\n".join(f"- {ui.escape(u)}" for u in using)
            + "\n\nCancel, or delete it anyway if that is what you mean."
        )
    c1, c2 = st.columns(2)
    confirm = c1.button("Delete anyway" if using else "Delete", type="primary")
    if c2.button("Cancel"):
        st.session_state.pop(PENDING_DELETE, None)
        st.rerun()
    if confirm:
        try:
            deleted = delete_upload(ui.session_store(), pending, force=bool(using))
        except ImpactError as exc:
            st.error(ui.escape(exc))
            return
        st.session_state.pop(PENDING_DELETE, None)
        ui.data_changed()
        st.session_state[FLASH] = (
            f"Deleted dataset {ui.escape(deleted.name)} ({deleted.rows:,} rows)."
        )
        st.rerun()


def readiness_section() -> None:
    st.subheader("Data readiness")
    st.caption(
        "Per dataset: the latest event against its cadence (the median gap between event "
        "days, or 1 day), rows per period (a period below 50% of the median of the 4 before "
        "it is flagged), empty cells per column (a period 20 points above the usual share), "
        "segment values new in the last period or gone from it, label coverage (at least "
        "50%) and delay, and outcome units no study knows. A failed dataset's findings are "
        "shown on every readout that uses it."
    )
    ui.table(
        load_readiness(ui.generation()),
        hide_index=True,
        column_config={
            "latest event": ui.when("latest event"),
            "label coverage": st.column_config.NumberColumn(format="percent"),
            "findings": st.column_config.TextColumn(width="large"),
        },
    )


def upload_section() -> None:
    """The upload form (DuckDB only: on Spark the facts are the user's tables)."""
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
            "What the file holds",
            list(FACTS),
            format_func=lambda k: f"{k} — {FACTS[k].description}",
        )
        required = ", ".join(c.name for c in FACTS[kind].required)
        st.caption(f"Required columns: {required}. CSV, Parquet or Excel (.xlsx).")
        file = st.file_uploader(
            "File",
            type=["csv", "parquet", "xlsx"],
            max_upload_size=ceil(settings().upload_limit_mb),
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
        choices = {"on_existing": on_existing}
        if kind == "outcomes":
            c1, c2 = st.columns(2)
            choices["allow_unknown_units"] = c1.checkbox(
                "Store rows for units no study knows yet",
                help="Outcome rows for units in no assignment, rollout or prediction are refused "
                "unless you tick this (e.g. when those files come later).",
            )
            choices["allow_duplicate_rows"] = c2.checkbox(
                "Store repeated rows as they are",
                help="Rows that repeat another row exactly would count twice, so they are "
                "refused unless you tick this (for separate events that look the same).",
            )
        if st.button("Validate and store", type="primary", disabled=file is None):
            try:
                mapping = mapping_from_rows(
                    list(zip(edited["file column"], edited["contract column"], strict=True))
                )
            except ImpactError as exc:
                st.error(ui.escape(exc))
            else:
                upload(file, kind, dataset, sheet, mapping, **choices)
        if REPORT in st.session_state:
            show_report(*st.session_state[REPORT])
        next_steps()


def stored_section() -> None:
    st.subheader("Stored datasets")
    if FLASH in st.session_state:
        st.success(st.session_state.pop(FLASH))
    datasets = load(ui.generation())
    if datasets.empty:
        ui.empty_warehouse_notice()
    else:
        ui.table(
            datasets,
            hide_index=True,
            column_config={
                "rows": ui.number(),
                "uploaded_at": ui.when("uploaded"),
                "uploaded_by": "uploaded by",
            },
        )
        st.altair_chart(charts.rows_per_dataset(datasets))
        readiness_section()
        if can(ui.session_store().role, "delete_upload"):
            delete_section(datasets)


@st.cache_data(show_spinner=False)
def load_sources(generation: str):
    return source_table(ui.store())


def spark_section() -> None:
    """On Spark nothing is uploaded or deleted: say so, and list the sources' datasets."""
    st.subheader("Datasets on Spark")
    st.info(
        "The facts are read on Spark from the tables named in the sources file "
        f"({ui.escape(settings().spark_sources)}). Impact only reads them, so there is no "
        "upload or delete here. To add data, add rows to those tables, or name another table "
        "in the sources file and check it with `impact --engine spark sources`. To upload "
        "files instead, run the app without IMPACT_ENGINE=spark."
    )
    sources = load_sources(ui.generation())
    if sources.empty:
        st.warning(
            "The sources file names no tables yet. Add your tables to it (see the README's "
            "Running on Spark), or write the demo's with `impact demo --engine spark`."
        )
        return
    ui.table(
        sources,
        hide_index=True,
        column_config={"rows": ui.number(), "registered_at": ui.when("registered")},
    )
    readiness_section()


st.title("Data")
if on_spark(ui.store()):
    spark_section()
else:
    upload_section()
    stored_section()

st.subheader("Change log")
st.caption("Every upload, deletion, metric definition and assumption change, with who and when.")
log = audit_table(ui.store())
if log.empty:
    st.caption("No changes recorded yet.")
else:
    ui.table(log, hide_index=True, column_config={"when": ui.when()})
