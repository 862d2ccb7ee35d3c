"""`impact.serve`: the server the browser tests, the page benchmark and scripts share answers
on its port, is gone afterwards, and quotes its own output when it cannot start."""

from __future__ import annotations

import urllib.request

import pytest

from impact.serve import serve


def test_the_server_answers_while_open_and_stops_afterwards(tmp_path):
    with serve(tmp_path, {"IMPACT_DATA_DIR": str(tmp_path / "data")}) as base:
        assert urllib.request.urlopen(f"{base}/_stcore/health", timeout=5).status == 200
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{base}/_stcore/health", timeout=1)
    assert "You can now view your Streamlit app" in (tmp_path / "server.log").read_text()


def test_a_server_that_cannot_start_is_reported_with_its_log(tmp_path):
    log = tmp_path / "elsewhere.log"
    # No standard library there: Python itself exits at once, saying so on stderr.
    with (
        pytest.raises(RuntimeError, match="^streamlit did not start: ") as failed,
        serve(tmp_path, {"PYTHONHOME": str(tmp_path / "none")}, log),
    ):
        pass
    assert "No module named 'encodings'" in log.read_text()
    assert log.read_text() in str(failed.value)
