"""Definitions edited in the app's forms: checked by the file's rules and worded with the
form's labels, old → new shown with the Overview figures a change alters (and only those
change), each save a version with its history, roles enforced; driven in AppTest too."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from impact.analysis import definition_edits as edits
from impact.analysis.ab import experiment_readout
from impact.analysis.portfolio_value import portfolio_total
from impact.demo import truth as T
from impact.errors import InvalidInput, PermissionDenied

APP = str(Path(__file__).parents[1] / "app.py")


@pytest.fixture
def demo(small_demo):
    return small_demo


def primary(store) -> str:
    return store.catalog.study(T.EXPERIMENT).primary_metric


def money(store) -> tuple[dict[str, float], float, dict[str, str]]:
    total = portfolio_total(store)
    lines = {line.name: line.annual.effect for line in total.lines}
    return lines, total.total.effect, {v.study: v.said for v in total.verdicts}


def test_a_change_names_the_overview_figures_it_alters_and_only_those_change(demo):
    name = primary(demo)
    spec = edits.current_metric(demo, name)
    lines, total, verdicts = money(demo)

    quiet = edits.propose_metric(demo, name, edits.edited(spec, description="Edited in a form"))
    assert quiet.figures == [] and quiet.effect() == "Changes no figure on the Overview."
    edits.save(demo, quiet)
    again, again_total, again_verdicts = money(demo)
    # equal up to the order DuckDB sums in (the last digit of a float may differ)
    assert again == pytest.approx(lines, rel=1e-12) and again_total == pytest.approx(total)
    assert again_verdicts == verdicts

    spec = edits.current_metric(demo, name)
    doubled = edits.propose_metric(
        demo, name, edits.edited(spec, value_per_unit=2 * spec.value_per_unit)
    )
    assert f"{T.EXPERIMENT}'s value per year" in doubled.figures
    in_total = T.EXPERIMENT in edits.counted_lines(demo)
    assert ("the portfolio's value per year" in doubled.figures) == in_total
    # the verdict too: the effect that would pay the running cost halves (its power check)
    assert f"{T.EXPERIMENT}'s verdict" in doubled.figures
    n = len(doubled.figures)
    assert doubled.effect().startswith(f"Changes {n} figure{'s' if n > 1 else ''} on the Overview")
    assert doubled.rows() == [
        {"field": "Money per unit", "now": f"{spec.value_per_unit}", "after saving": "2.0"}
    ]
    saved = edits.save(demo, doubled)
    after, after_total, after_verdicts = money(demo)
    assert after[T.EXPERIMENT] == pytest.approx(2 * lines[T.EXPERIMENT], rel=1e-9)
    assert (after_total != pytest.approx(total)) == in_total  # as the proposal said
    assert {k: v for k, v in after_verdicts.items() if k != T.EXPERIMENT} == {
        k: v for k, v in verdicts.items() if k != T.EXPERIMENT
    }
    assert {k: v for k, v in after.items() if k != T.EXPERIMENT} == pytest.approx(
        {k: v for k, v in lines.items() if k != T.EXPERIMENT}, rel=1e-12
    )

    assert saved.version == 3 == demo.catalog.metric(name).version
    [newest, middle, first] = edits.history(demo, "metric", name)
    assert (newest["version"], first["what changed"]) == (3, "created")
    assert newest["what changed"] == "value_per_unit: 1.0 → 2.0"
    assert middle["what changed"].startswith("description: ")
    assert newest["changed by"] == demo.user


def test_problems_use_the_form_labels_block_the_save_and_keep_everything(demo):
    name = primary(demo)
    before = demo.catalog.metric(name).model_dump()
    ratio = edits.propose_metric(
        demo, name, edits.edited(edits.current_metric(demo, name), aggregation="ratio")
    )
    assert ratio.problems == [
        "Denominator: a ratio metric needs a denominator column (Σcolumn / Σdenominator)."
    ]
    with pytest.raises(InvalidInput, match="Fix these first: Denominator"):
        edits.save(demo, ratio)
    assert demo.catalog.metric(name).model_dump() == before

    study = edits.current_study(demo, T.EXPERIMENT)
    split = {arm: 0.4 for arm in study.arms}
    bad = edits.propose_study(
        demo, T.EXPERIMENT, edits.edited(study, control_arm="nobody", planned_split=split)
    )
    assert [p.split(":")[0] for p in bad.problems] == ["Control arm", "Planned split"]
    assert "'nobody' is not one of the arms" in bad.problems[0]
    assert not edits.propose_metric(demo, " ", edits.current_metric(demo, name)).ok


def test_an_unchanged_form_saves_nothing_and_a_viewer_is_refused(demo):
    study = edits.current_study(demo, T.EXPERIMENT)
    same = edits.propose_study(demo, T.EXPERIMENT, study)
    assert same.unchanged and same.effect().startswith("Nothing would change")
    log = len(demo.catalog.audit_log(10_000))
    edits.save(demo, same)
    assert len(demo.catalog.audit_log(10_000)) == log
    viewer = replace(demo, user="exec@corp", role="viewer")
    stricter = edits.propose_study(viewer, T.EXPERIMENT, edits.edited(study, alpha=0.01))
    with pytest.raises(PermissionDenied, match="cannot define or edit studies"):
        edits.save(viewer, stricter)
    assert demo.catalog.study(T.EXPERIMENT).options.readout.alpha == study.alpha


def test_a_saved_study_setting_is_what_the_readout_uses(demo):
    study = edits.current_study(demo, T.EXPERIMENT)
    proposal = edits.propose_study(demo, T.EXPERIMENT, edits.edited(study, alpha=0.01))
    assert f"{T.EXPERIMENT}'s verdict" in proposal.figures
    analyst = replace(demo, user="ana@corp", role="analyst")
    edits.save(analyst, proposal)
    result = experiment_readout(demo, demo.catalog.study(T.EXPERIMENT))
    assert result.study_version == 2
    assert {e.details.get("alpha", 0.01) for e in result.readout.estimates} == {0.01}
    [event] = [e for e in demo.catalog.audit_log() if e.target == T.EXPERIMENT][:1]
    assert (event.user, event.action) == ("ana@corp", "define_study")
    assert event.detail["changes"]["settings"][1]["alpha"] == 0.01


def _app(monkeypatch, role: str = "analyst") -> AppTest:
    monkeypatch.setenv("IMPACT_ROLE", role)
    st.cache_resource.clear()
    st.cache_data.clear()
    return AppTest.from_file(APP, default_timeout=120).run()


def test_the_metrics_page_edits_saves_and_lists_versions(demo, monkeypatch):
    at = _app(monkeypatch)
    at.switch_page("pages/metrics.py").run()
    name = primary(demo)
    at.selectbox(key="metric_edit_pick").set_value(name).run()
    at.radio(key=f"metric_edit_{name}_direction").set_value("lower").run()
    assert not at.exception
    [said] = [i.value for i in at.info if "figure" in i.value]
    assert f"{T.EXPERIMENT}'s verdict" in said.replace("\\", "")
    at.button(key=f"metric_edit_{name}_save").click().run()
    assert [s.value for s in at.success] == [f"Saved metric {name} as version 2."]
    assert demo.catalog.metric(name).direction == "lower"
    at.checkbox(key="metric_history_versions").check().run()
    history = next(d.value for d in at.dataframe if "what changed" in d.value.columns)
    assert list(history["what changed"]) == ["direction: higher → lower", "created"]


def test_the_experiments_page_saves_the_study_and_a_viewer_cannot(demo, monkeypatch):
    at = _app(monkeypatch)
    at.switch_page("pages/experiments.py").run()
    key = f"study_edit_{T.EXPERIMENT}"
    at.number_input(key=f"{key}_window").set_value(14).run()
    at.button(key=f"{key}_save").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == [f"Saved study {T.EXPERIMENT} as version 2."]
    assert demo.catalog.study(T.EXPERIMENT).analysis_window_days == 14
    assert any(f"study {T.EXPERIMENT} v2" in c.value for c in at.caption)

    viewer = _app(monkeypatch, "viewer")
    viewer.switch_page("pages/experiments.py").run()
    viewer.number_input(key=f"{key}_window").set_value(7).run()
    assert viewer.button(key=f"{key}_save").disabled
    refused = "viewer role: you can read but not define or edit studies"
    assert any(refused in c.value for c in viewer.caption)


def test_the_rollouts_page_saves_the_rollout_and_its_readout_follows(demo, monkeypatch):
    from impact.analysis.did import rollout_options

    at = _app(monkeypatch)
    at.switch_page("pages/rollouts.py").run()
    key = f"rollout_edit_{T.ROLLOUT_STUDY}"
    stored = demo.catalog.study(T.ROLLOUT_STUDY).options.rollout
    other = "twfe" if stored.estimator != "twfe" else "cs"
    at.selectbox(key=f"{key}_estimator").set_value(other).run()
    [said] = [i.value for i in at.info if "figure" in i.value]
    assert f"{T.ROLLOUT_STUDY}'s verdict" in said.replace("\\", "")
    at.button(key=f"{key}_save").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == [f"Saved study {T.ROLLOUT_STUDY} as version 2."]
    assert rollout_options(demo, T.ROLLOUT_STUDY).estimator == other
