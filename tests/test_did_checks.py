"""Every rollout readout shows its checks, passed or failed, in the CLI and its JSON:
R `did`'s aggregations and pre-test on mpdta through `impact did --rows`, a reduced event
window said aloud, and the few-clusters bootstrap's p with its resolution."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from test_did_cs_pretest import MPDTA
from typer.testing import CliRunner

from impact.cli import app

runner = CliRunner()
MPDTA_ARGS = ["--unit", "countyreal", "--time", "year", "--outcome", "lemp"]
# R did, aggte(att_gt(..., control_group="nevertreated", bstrap=FALSE), type=..., bstrap=FALSE)
# on mpdta: (overall_att, overall_se), as the did vignette prints them.
R_AGGTE = {
    "simple": (-0.0399512751551763, 0.0120340127701854),
    "dynamic": (-0.0772398214573151, 0.0199649890618494),
    "group": (-0.0310182822287484, 0.0124460593209979),
    "calendar": (-0.0417004321312822, 0.01597185188456),
}


def _mpdta_file(tmp_path, drift=0.0):
    frame = pd.read_csv(MPDTA)
    frame["adopt"] = frame["first.treat"].where(frame["first.treat"] > 0).astype("Int64")
    # A pre-adoption drift for the 2007 cohort: parallel trends fail.
    frame["lemp"] += drift * np.where(frame["first.treat"] == 2007, frame.year - 2003, 0)
    path = tmp_path / "mpdta.csv"
    frame.to_csv(path, index=False)
    return path


def _did(*args):
    result = runner.invoke(app, ["did", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_mpdta_readout_reproduces_r_did_and_shows_every_check(tmp_path):
    path = _mpdta_file(tmp_path)
    args = ["--rows", str(path), *MPDTA_ARGS, "--treated-at", "adopt", "--control", "never"]
    out = json.loads(_did(*args, "--aggregate", "dynamic", "--json"))
    assert out["effect"] == pytest.approx(R_AGGTE["dynamic"][0], rel=1e-9)
    assert out["se"] == pytest.approx(R_AGGTE["dynamic"][1], rel=1e-6)
    assert set(out["aggregations"]) == set(R_AGGTE)
    for how, (att, se) in R_AGGTE.items():
        assert out["aggregations"][how]["effect"] == pytest.approx(att, rel=1e-9)
        assert out["aggregations"][how]["se"] == pytest.approx(se, rel=1e-6)
        assert len(out["aggregations"][how]["table"]) > 0
    checks = {c["name"]: c for c in out["checks"]}
    pre = checks["pre-test of parallel trends (Callaway–Sant'Anna)"]
    # R did: W = 7.79123662720035, Wpval = 0.16812 (see test_did_cs_pretest.py).
    assert pre["statistic"] == pytest.approx(7.79123662720035, rel=1e-9)
    assert round(pre["p_value"], 5) == 0.16812 and pre["outcome"] == "passed"
    # 4 leads and 4 lags cannot be estimated on 5 years: before, the pre-trend test was
    # skipped without a word; now the window is reduced, said, and the test shown.
    lead = checks["pre-trends (event-study leads)"]
    assert lead["outcome"] == "passed" and lead["df"] == [3, 499] and lead["p_value"] > 0.05
    assert "event_window" in out["warning_kinds"]
    assert checks["placebo adoption"]["outcome"] == "passed"
    text = _did(*args)
    assert "pre-test of parallel trends (Callaway–Sant'Anna): passed" in text
    assert "W(5) = 7.79, p = 0.168" in text
    assert "placebo adoption: passed" in text
    assert "it uses 4 leads and 3 lags" in text
    assert "calendar -0.0417" in text


def test_a_failed_pre_test_is_shown_and_warned(tmp_path):
    path = _mpdta_file(tmp_path, drift=0.05)
    args = ["--rows", str(path), *MPDTA_ARGS, "--treated-at", "adopt", "--json"]
    out = json.loads(_did(*args))
    pre = next(c for c in out["checks"] if c["name"].startswith("pre-test"))
    assert pre["outcome"] == "failed" and pre["passed"] is False and pre["p_value"] < 0.001
    assert any(w.startswith("Pre-test of parallel trends failed") for w in out["warnings"])


def test_aggregate_takes_callaway_santanna_only(tmp_path):
    path = _mpdta_file(tmp_path)
    result = runner.invoke(
        app,
        ["did", "--rows", str(path), *MPDTA_ARGS, "--treated-at", "adopt"]
        + ["--estimator", "twfe", "--aggregate", "group"],
    )
    assert result.exit_code != 0 and "--aggregate group takes --estimator cs" in result.output


def _few_clusters_file(tmp_path, effect):
    rng = np.random.default_rng(71)
    rows = []
    for u in range(8):
        level = rng.normal(0, 2)
        for t in range(6):
            d = u < 4 and t >= 3
            rows.append((u, t, level + 0.2 * t + effect * d + rng.normal(), 3 if u < 4 else ""))
    path = tmp_path / "few.csv"
    pd.DataFrame(rows, columns=["unit", "t", "y", "start"]).to_csv(path, index=False)
    return ["--rows", str(path), "--unit", "unit", "--time", "t", "--outcome", "y"] + [
        "--treated-at",
        "start",
    ]


def test_few_clusters_bootstrap_says_it_was_chosen_and_never_prints_p_zero(tmp_path):
    args = _few_clusters_file(tmp_path, effect=20.0)
    out = json.loads(_did(*args, "--json"))
    # Before: Rademacher over 2^8 = 256 patterns, every one inside |t|: p = 0.
    assert out["bootstrap_weights"] == "webb" and out["bootstrap_enumerated"] is False
    assert out["p_resolution"] == pytest.approx(1 / 9999)
    assert out["p_at_resolution"] is True and out["p_value"] == pytest.approx(1 / 9999)
    assert (
        "with only 8 clusters (units) the p-value and interval are the more cautious"
        in (out["method"])
    )
    assert out["p_value"] == max(out["bootstrap_p_value"], out["analytic_p_value"])
    assert any("chosen by the data" in w for w in out["warnings"])
    assert not any("read the wild cluster bootstrap instead" in w for w in out["warnings"])
    text = _did(*args, "--alpha", "0.1")
    assert "90% CI" in text and "p ≤ 1/9,999" in text and "p = 0 " not in text
