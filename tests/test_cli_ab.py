"""`impact ab` from summaries and from unit rows."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats as sps
from typer.testing import CliRunner

from impact.cli import app

runner = CliRunner()


def test_summary_file_reproduces_the_published_case(tmp_path):
    path = tmp_path / "arms.csv"
    path.write_text(
        "arm,n,sum,sum_squares\ncontrol,3407,1396.87,52377.9767\ntreatment,3461,2422.7,134698.29\n"
    )
    # The planned split is given (issue 11): without it the readout notes an assumed one.
    args = ["ab", "--summary", str(path), "--planned", "control=1,treatment=1", "--json"]
    result = runner.invoke(app, args)
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


def _with_blanks(tmp_path, rng, n=18_000, blanks=3_000):
    frame = pd.DataFrame({"arm": rng.choice(["control", "a", "b"], n), "pre": rng.normal(10, 2, n)})
    effects = frame.arm.map({"control": 0.0, "a": -0.75, "b": 0.3})
    frame["y"] = frame.pre + effects + 10 + rng.normal(0, 1, n)
    frame.loc[rng.choice(n, blanks, replace=False), "y"] = np.nan
    path = tmp_path / "units.csv"
    frame.to_csv(path, index=False)  # NaN is written as an empty cell
    return frame, path


def test_blank_metric_cells_are_left_out_and_said_not_read_as_zero(tmp_path):
    """The issue's case: blanks read as 0 gave n 6000/5900/6100 and effect −0.529."""
    frame, path = _with_blanks(tmp_path, np.random.default_rng(2))
    result = runner.invoke(app, ["ab", "--rows", str(path), "--metric", "y", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["comparison"]: r for r in json.loads(result.stdout)}
    complete = frame.dropna(subset=["y"])
    for arm in ("a", "b"):
        ref = sps.ttest_ind(
            complete.y[complete.arm == arm], complete.y[complete.arm == "control"], equal_var=False
        )
        row = rows[f"{arm} vs control"]
        assert row["n"] == {
            "control": (complete.arm == "control").sum(),
            arm: (complete.arm == arm).sum(),
        }
        assert row["effect"] == pytest.approx(
            complete.y[complete.arm == arm].mean() - complete.y[complete.arm == "control"].mean()
        )
        assert row["raw_p_value"] == pytest.approx(ref.pvalue)
        [dropped] = [w for w in row["warnings"] if "Left out" in w]
        assert "3,000 row(s) with a blank y" in dropped
    table = runner.invoke(app, ["ab", "--rows", str(path), "--metric", "y"])
    assert "WARNING: " in table.stdout and "3,000 row(s) with a blank y" in table.stdout


def test_blank_covariate_cells_are_left_out_and_the_column_named(tmp_path):
    rng = np.random.default_rng(6)
    frame, path = _with_blanks(tmp_path, rng, blanks=0)
    frame.loc[rng.choice(len(frame), 500, replace=False), "pre"] = np.nan
    frame.to_csv(path, index=False)
    args = ["ab", "--rows", str(path), "--metric", "y", "--covariate", "pre", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = {r["comparison"]: r for r in json.loads(result.stdout)}
    complete = frame.dropna()
    complete = complete.assign(pre_c=complete.pre - complete.pre.mean())
    fit = smf.ols("y ~ C(arm, Treatment('control')) + pre_c", complete).fit()
    assert rows["a vs control"]["effect"] == pytest.approx(
        fit.params["C(arm, Treatment('control'))[T.a]"], abs=1e-8
    )
    assert sum(rows["a vs control"]["n"].values()) == complete.arm.isin(["a", "control"]).sum()
    assert rows["a vs control"]["warning_kinds"].count("dropped_units") == 1
    assert any(
        "500 row(s) with a blank covariate pre" in w for w in rows["a vs control"]["warnings"]
    )


def test_planned_split_guardrail_power_and_tuning_from_the_command_line(tmp_path):
    rng = np.random.default_rng(12)
    frame = pd.DataFrame({"arm": np.repeat(["control", "treatment"], [3000, 1000])})
    frame["y"] = rng.normal(5, 1, len(frame))
    path = tmp_path / "units.parquet"
    frame.to_parquet(path)
    base = ["ab", "--rows", str(path), "--metric", "y", "--json"]
    assumed = json.loads(runner.invoke(app, base).stdout)[0]
    assert assumed["srm_mismatch"] and "assumption" in assumed["warning_kinds"]
    planned = runner.invoke(app, [*base, "--planned", "control=0.75,treatment=0.25"])
    [row] = json.loads(planned.stdout)
    assert not row["srm_mismatch"] and "assumption" not in row["warning_kinds"]
    assert row["power"] == 0.8 and row["mde"] == pytest.approx(2.8 * row["se"], rel=0.01)
    args = [*base, "--power", "0.9", "--target", "0.05", "--sequential", "--tuning", "800"]
    [seq] = json.loads(runner.invoke(app, args).stdout)
    assert seq["power"] == 0.9 and seq["mde_sequential"] and "ρ tuned at 800" in seq["method"]
    assert seq["units_needed"] > 0 and seq["mde"] > row["mde"]
    guard = json.loads(runner.invoke(app, [*base, "--guardrail", "0.2"]).stdout)[0]
    assert guard["kind"] == "guardrail" and guard["guardrail_passed"] and "mde" not in guard
    table = runner.invoke(app, ["ab", "--rows", str(path), "--metric", "y"])
    assert "detectable at 80% power" in table.stdout and "assumes equal arms" in table.stdout


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--planned", "control=half"], "--planned takes ARM=SHARE"),
        (["--planned", "control=1"], "give every arm a share (--planned treatment="),
        (["--tuning", "0"], "--tuning takes a positive number"),
        (["--power", "80"], "--power takes a level between 0 and 1"),
        (["--direction", "up"], "--direction must be one of"),
    ],
)
def test_bad_flags_are_named(tmp_path, flags, message):
    path = tmp_path / "arms.csv"
    path.write_text("arm,n,sum,sum_squares\ncontrol,100,500,3000\ntreatment,100,550,3400\n")
    result = runner.invoke(app, ["ab", "--summary", str(path), *flags])
    assert result.exit_code == 1 and message in result.stderr, result.output


def test_the_negative_flags_keep_their_names(tmp_path):
    path = tmp_path / "arms.csv"
    path.write_text("arm,n,sum,sum_squares\ncontrol,100,500,3000\na,100,550,3400\n")
    flags = ["--no-relative", "--no-sequential", "--no-pairwise", "--planned", "control=1,a=1"]
    result = runner.invoke(app, ["ab", "--summary", str(path), *flags, "--json"])
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.stdout)
    assert row["effect"] == pytest.approx(0.5) and not row["relative"]


def test_table_output_names_each_intervals_level_and_correction(tmp_path):
    """A corrected interval is wider than 95%: the text says at which level and why, as the
    pages do (it printed bare brackets before), and an always-valid one says so."""
    path = tmp_path / "arms.csv"
    path.write_text("arm,n,sum,sum_squares\ncontrol,100,500,3000\na,100,550,3400\nb,100,600,3900\n")
    rows = json.loads(runner.invoke(app, ["ab", "--summary", str(path), "--json"]).stdout)
    text = runner.invoke(app, ["ab", "--summary", str(path)]).stdout
    for r in rows:
        level = f"{r['interval_level'] * 100:.3g}% CI (Holm-adjusted)"
        assert f"{level} [{r['ci_low']:+.4g}, {r['ci_high']:+.4g}]" in text
    assert {r["interval_level"] for r in rows} == {1 - 0.05 / 2, 1 - 0.05}
    single = tmp_path / "two.csv"
    single.write_text("arm,n,sum,sum_squares\ncontrol,100,500,3000\na,100,550,3400\n")
    plain = runner.invoke(app, ["ab", "--summary", str(single), "--alpha", "0.1"]).stdout
    assert "90% CI [" in plain and "adjusted" not in plain
    seq = runner.invoke(app, ["ab", "--summary", str(single), "--sequential"]).stdout
    assert "95% always-valid CI [" in seq
