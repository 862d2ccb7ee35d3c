"""Roles are enforced by the library functions that change data; every change is audited."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from impact.access import can, role_for
from impact.analysis.assumptions import change_assumption, define_metric
from impact.catalog import MetricDefinitionBase
from impact.errors import InUse, PermissionDenied
from impact.ingest import delete_upload, ingest_file

APP = str(Path(__file__).parents[1] / "app.py")
ROLLOUTS = "study,unit_id,treated_at\ns,r1,2026-03-01\ns,r2,\n"


def as_role(store, user, role):
    return replace(store, user=user, role=role)


def test_viewers_change_nothing_analysts_upload_admins_delete(store, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(ROLLOUTS)
    viewer = as_role(store, "exec@corp", "viewer")
    before = store.warehouse.table_checksums()
    with pytest.raises(
        PermissionDenied,
        match="exec@corp has the viewer role and cannot upload data; that needs the analyst role",
    ):
        ingest_file(viewer, path, "rollouts")
    with pytest.raises(PermissionDenied, match="cannot edit value assumptions"):
        change_assumption(viewer, "loaded_hourly_rate", 50.0)
    with pytest.raises(PermissionDenied, match="cannot define metrics"):
        define_metric(viewer, MetricDefinitionBase(name="m", dataset="d", column="c"))
    assert store.warehouse.table_checksums() == before
    assert store.catalog.assumptions() == [] and store.catalog.metrics() == []

    analyst = as_role(store, "ana@corp", "analyst")
    result = ingest_file(analyst, path, "rollouts")
    change_assumption(analyst, "loaded_hourly_rate", 50.0, unit="USD/hour")
    define_metric(analyst, MetricDefinitionBase(name="m", dataset="d", column="c"))
    with pytest.raises(PermissionDenied, match="cannot delete uploads; that needs the admin"):
        delete_upload(analyst, result.dataset.id)

    admin = as_role(store, "root@corp", "admin")
    with pytest.raises(InUse, match="rollout study 's'"):  # the upload created study s
        delete_upload(admin, result.dataset.id)
    delete_upload(admin, result.dataset.id, force=True)
    assert store.warehouse.scalar("SELECT count(*) FROM rollouts") == 0
    assert store.catalog.datasets() == []
    log = [(e.user, e.role, e.action, e.target) for e in store.catalog.audit_log()]
    assert log == [
        ("root@corp", "admin", "delete_upload", "r"),
        ("ana@corp", "analyst", "define_metric", "m"),
        ("ana@corp", "analyst", "edit_assumption", "loaded_hourly_rate"),
        ("ana@corp", "analyst", "upload", "r"),
    ]


def test_role_mapping_takes_the_highest_of_email_and_groups():
    roles = {"ana@corp": "analyst"}
    groups = {"impact-admins": "admin"}
    assert role_for("ANA@corp".lower(), [], roles=roles, group_roles=groups) == "analyst"
    assert role_for("bob@corp", ["impact-admins"], roles=roles, group_roles=groups) == "admin"
    assert role_for("eve@corp", ["other"], roles=roles, group_roles=groups) == "viewer"
    assert not can("viewer", "upload") and can("admin", "delete_upload")


def test_a_viewer_gets_no_upload_widget_and_sees_the_change_log(store, tmp_path, monkeypatch):
    path = tmp_path / "r.csv"
    path.write_text(ROLLOUTS)
    ingest_file(store, path, "rollouts")  # local admin, recorded in the log
    monkeypatch.setenv("IMPACT_ROLE", "viewer")
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=60).run()
    captions = [c.value for c in at.sidebar.caption]
    assert any("Local single-user mode" in c and "(viewer)" in c for c in captions), captions
    at.switch_page("pages/data.py").run()
    assert not at.exception
    # No file widget (a disabled button under one still let a viewer send 1 GB files).
    assert not at.get("file_uploader")
    assert not [b for b in at.button if b.label == "Validate and store"]
    assert any("read-only" in i.value and "analyst role" in i.value for i in at.info)
    log = next(d.value for d in at.dataframe if "action" in d.value.columns)
    assert log[["action", "target"]].values.tolist() == [["upload", "r"]]


def test_with_sign_in_configured_nothing_shows_before_login(store):
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "x",
        "client_id": "id",
        "client_secret": "s",
        "server_metadata_url": "https://idp.example/.well-known/openid-configuration",
    }
    at.run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.dataframe and not at.metric


def test_analysts_define_studies_viewers_cannot_and_it_is_audited(store):
    from impact.analysis.assumptions import define_study
    from impact.catalog import StudyBase
    from impact.errors import InvalidInput

    study = StudyBase(name="s", kind="ab", arms=["control", "v1"], control_arm="control")
    with pytest.raises(PermissionDenied, match="cannot define or edit studies"):
        define_study(as_role(store, "exec@corp", "viewer"), study)
    assert store.catalog.find_study("s") is None
    admin = as_role(store, "root@corp", "analyst")
    with pytest.raises(InvalidInput, match="control arm 'ctl'"):
        define_study(admin, StudyBase(name="s", kind="ab", arms=["a"], control_arm="ctl"))
    with pytest.raises(InvalidInput, match="Define the metric"):
        define_study(admin, StudyBase(name="s", kind="did", primary_metric="nope"))
    define_study(admin, study)
    assert store.catalog.study("s").arms == ["control", "v1"]
    [event] = store.catalog.audit_log()
    assert (event.user, event.action, event.target) == ("root@corp", "define_study", "s")
