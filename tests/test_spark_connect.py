"""Through Spark Connect: a server started here (PySpark's own Connect plugin, no cluster),
reached at sc://localhost:<port> as a Databricks or Spark 4 cluster would be."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest

from tests.spark_support import assert_same, skip_without_spark

pytestmark = pytest.mark.spark

SERVER = """
import sys, time
from pyspark.sql import SparkSession
spark = (SparkSession.builder.master("local[1]")
         .config("spark.plugins", "org.apache.spark.sql.connect.SparkConnectPlugin")
         .config("spark.connect.grpc.binding.port", sys.argv[1])
         .config("spark.sql.session.timeZone", "UTC")
         .config("spark.sql.shuffle.partitions", "2")
         .config("spark.ui.enabled", "false").getOrCreate())
print("ready", flush=True)
while True:
    time.sleep(1)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def connect_url():
    skip_without_spark()
    pytest.importorskip("grpc", reason="Spark Connect needs grpcio (pip install 'impact[spark]')")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout.readline().strip() == "ready", "the Connect server did not start"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.5)
        yield f"sc://localhost:{port}"
    finally:
        server.kill()
        server.wait(timeout=30)


def test_ab_statistics_through_spark_connect(connect_url, demo_store, tmp_path):
    from impact.demo import truth as T
    from impact.queries.ab import MetricSource, arm_stats
    from impact.queries.did.panel import Panel
    from impact.queries.did.stored import PanelSource
    from impact.warehouse.parquet import export_parquet
    from impact.warehouse.spark import SparkWarehouse

    sources = export_parquet(demo_store.warehouse, tmp_path / "parquet")
    remote = SparkWarehouse(connect_url, sources)
    revenue = MetricSource("customer-revenue", "revenue", "sum")
    source = PanelSource(T.ROLLOUT_STUDY, T.TICKETS_DATASET, "handling_minutes", "week", "mean")

    def compute(db):
        with Panel.open(db, source) as panel:
            within = panel.within()
        return arm_stats(db, T.EXPERIMENT, revenue, window_days=28, cap=(0.01, 0.99)), within

    expected, got = compute(demo_store.warehouse), compute(remote)
    assert_same(expected, got)
    assert expected[0]["control"].y.n > 1000
