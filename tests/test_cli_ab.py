"""`impact ab` from summaries and from unit rows."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from typer.testing import CliRunner

from impact.cli import app

runner = CliRunner()


def test_summary_file_reproduces_the_published_case(tmp_path):
    path = tmp_path / "arms.csv"
    path.write_text(
        "arm,n,sum,sum_squares\ncontrol,3407,1396.87,52377.9767\ntreatment,3461,2422.7,134698.29\n"
    )
    result = runner.invoke(app, ["ab", "--summary", str(path), "--json"])
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.stdout)
    assert round(row["effect"], 5) == 0.29
    assert (round(row["ci_low"], 5), round(row["ci_high"], 5)) == (0.04538, 0.53462)
    assert round(row["p_value"], 5) == 0.02016
    assert row["n"] == {"control": 3407, "treatment": 3461}
    assert row["method"] == "Welch t-test" and row["warnings"] == []


def test_rows_file_with_cuped_matches_ols(tmp_path):
    rng = np.random.default_rng(1)
    n = 3000
    frame = pd.DataFrame(
        {"variant": rng.choice(["control", "a", "b"], n), "pre": rng.normal(100, 20, n)}
    )
    frame["post"] = (
        0.7 * frame.pre + frame.variant.map({"control": 0, "a": 1, "b": 3}) + (rng.normal(0, 5, n))
    )
    path = tmp_path / "units.parquet"
    frame.to_parquet(path)
    result = runner.invoke(
        app,
        [
            "ab",
            "--rows",
            str(path),
            "--arm",
            "variant",
            "--metric",
            "post",
            "--covariate",
            "pre",
            "--cuped",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = {r["comparison"]: r for r in json.loads(result.stdout)}
    frame["pre_c"] = frame.pre - frame.pre.mean()
    fit = smf.ols("post ~ C(variant, Treatment('control')) + pre_c", frame).fit()
    for arm in ("a", "b"):
        assert rows[f"{arm} vs control"]["effect"] == pytest.approx(
            fit.params[f"C(variant, Treatment('control'))[T.{arm}]"], abs=1e-8
        )
        assert "Holm" in rows[f"{arm} vs control"]["correction"]


def test_table_output_and_errors(tmp_path):
    path = tmp_path / "arms.csv"
    path.write_text("arm,n,sum\ncontrol,10,5\n")
    missing = runner.invoke(app, ["ab", "--summary", str(path)])
    assert missing.exit_code == 1 and "lacks column(s) sum_squares" in missing.stderr
    both = runner.invoke(app, ["ab", "exp", "--summary", str(path)])
    assert both.exit_code == 1 and "exactly one of" in both.stderr
    good = tmp_path / "good.csv"
    good.write_text("arm,n,sum,sum_squares\ncontrol,100,50,50\nv1,100,60,60\nv2,1,1,1\n")
    table = runner.invoke(app, ["ab", "--summary", str(good), "--aggregation", "proportion"])
    assert table.exit_code == 0, table.output
    assert "v1 vs control" in table.stdout and "difference in proportions" in table.stdout
    assert "not estimable: The treatment arm has only 1 unit" in table.stdout


def test_pairwise_comparisons_on_request(tmp_path):
    path = tmp_path / "arms.csv"
    path.write_text("arm,n,sum,sum_squares\ncontrol,100,500,3000\na,100,550,3400\nb,100,600,3900\n")
    result = runner.invoke(app, ["ab", "--summary", str(path), "--pairwise", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["comparison"] for r in rows] == ["a vs control", "b vs control", "b vs a"]
    assert rows[2]["effect"] == pytest.approx(0.5)
    assert "3 comparison(s)" in rows[0]["correction"]


def test_an_unknown_rows_column_is_named_as_such(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("arm,revenue\ncontrol,1\ntreatment,2\ncontrol,3\ntreatment,5\n")
    result = runner.invoke(app, ["ab", "--rows", str(path), "--metric", "nope"])
    assert result.exit_code == 1
    assert result.stderr.strip() == ("Unknown column 'nope'; expected one of: arm, revenue.")
