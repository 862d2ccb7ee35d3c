"""Through Spark Connect: a server started here (PySpark's own Connect plugin, no cluster),
reached at sc://localhost:<port> as a Databricks or Spark 4 cluster would be."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest

from tests.spark_support import SPARK_TEST_CONF, assert_same, skip_without_spark

pytestmark = pytest.mark.spark

SERVER = """
import json, sys, time
from pyspark.sql import SparkSession
builder = (SparkSession.builder.master("local[1]")
           .config("spark.plugins", "org.apache.spark.sql.connect.SparkConnectPlugin")
           .config("spark.connect.grpc.binding.port", sys.argv[1])
           .config("spark.sql.session.timeZone", "UTC"))
for key, value in json.loads(sys.argv[2]).items():  # the other Spark tests' settings
    builder = builder.config(key, value)
spark = builder.getOrCreate()
print("ready", flush=True)
while True:
    time.sleep(1)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def connect(request, tmp_path_factory):
    """(sc:// URL of a Connect server started here, the small demo's tables as Parquet):
    the demo is exported while the server's JVM starts."""
    skip_without_spark()
    pytest.importorskip("grpc", reason="Spark Connect needs grpcio (pip install 'impact[spark]')")
    from impact.warehouse.parquet import export_parquet

    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port), json.dumps(SPARK_TEST_CONF)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        folder = tmp_path_factory.mktemp("parquet")
        export_parquet(request.getfixturevalue("small_demo_store").warehouse, folder)
        assert server.stdout.readline().strip() == "ready", "the Connect server did not start"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.5)
        yield f"sc://localhost:{port}", folder
    finally:
        server.kill()
        server.wait(timeout=30)


CLIENT = """
import json, sys
from impact.demo import truth as T
from impact.queries.ab import MetricSource, arm_stats
from impact.queries.did.panel import Panel
from impact.queries.did.stored import PanelSource
from impact.warehouse.schema import TABLES
from impact.warehouse.sources import Location, Sources
from impact.warehouse.spark import SparkWarehouse

url, folder = sys.argv[1], sys.argv[2]
remote = SparkWarehouse(url, Sources({t: Location(path=f"{folder}/{t}.parquet") for t in TABLES}))
stats = arm_stats(remote, T.EXPERIMENT, MetricSource("customer-revenue", "revenue", "sum"),
                  window_days=28, cap=(0.01, 0.99))
source = PanelSource(T.ROLLOUT_STUDY, T.TICKETS_DATASET, "handling_minutes", "week", "mean")
with Panel.open(remote, source) as panel:
    within = panel.within()
numbers = {a: [s.y.n, s.y.sum, s.y.sum_squares, s.x.sum, s.cross] for a, s in stats.items()}
print(json.dumps({"stats": numbers, "within": [within.sxy, within.sxx, within.score_aa]}))
"""


def _numbers(stats, within) -> dict:
    return {
        "stats": {a: [s.y.n, s.y.sum, s.y.sum_squares, s.x.sum, s.cross] for a, s in stats.items()},
        "within": [within.sxy, within.sxx, within.score_aa],
    }


def test_ab_statistics_through_spark_connect(connect, small_demo_store):
    """The client runs in its own process: PySpark allows no remote session beside the
    local one the other Spark tests keep in this process."""
    from pathlib import Path

    from impact.demo import truth as T
    from impact.queries.ab import MetricSource, arm_stats
    from impact.queries.did.panel import Panel
    from impact.queries.did.stored import PanelSource

    url, folder = connect
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", CLIENT, url, str(folder)],
        capture_output=True,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        timeout=600,
    )
    errors = [line for line in done.stderr.splitlines() if "Error" in line or "Exception" in line]
    assert done.returncode == 0, "\n".join(errors[:5]) or done.stderr[-2000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    revenue = MetricSource("customer-revenue", "revenue", "sum")
    db = small_demo_store.warehouse
    stats = arm_stats(db, T.EXPERIMENT, revenue, window_days=28, cap=(0.01, 0.99))
    source = PanelSource(T.ROLLOUT_STUDY, T.TICKETS_DATASET, "handling_minutes", "week", "mean")
    with Panel.open(db, source) as panel:
        within = panel.within()
    expected = _numbers(stats, within)
    assert_same(expected, got)
    assert expected["stats"]["control"][0] > 100  # 161 customers in the small demo
