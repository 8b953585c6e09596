"""Dataset metadata for column types that need care: integers beyond 2**53, nanosecond
timestamps and times, durations. What `artifact show --json` prints for them."""

from __future__ import annotations

import json

import pytest

from .cli import run


@pytest.fixture(autouse=True)
def _root(tmp_path, monkeypatch):
    monkeypatch.setenv("DSCTL_ARTIFACT_ROOT", str(tmp_path / "root"))
    monkeypatch.setenv("DSCTL_CONFIG_DIR", str(tmp_path / "config"))


def _log_and_show(path, uri: str) -> dict:
    r = run("-q", "artifact", "log", path, uri)
    assert r.code == 0, r
    r = run("artifact", "show", "--json", uri)
    assert r.code == 0, r
    return json.loads(r.text)["dataset"]


BIG = 1234567890123456789   # beyond 2**53: no float holds it exactly


def test_int64_beyond_float_precision(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pf = tmp_path / "big.parquet"
    pq.write_table(pa.table({"big": pa.array([BIG, 1], pa.int64())}), pf)
    ds = _log_and_show(pf, "store://datasets/p/bigq")
    assert ds["schema"][0]["type"] == "int64" and ds["preview"]["rows"] == [[BIG], [1]]
    st = ds["stats"]["big"]
    assert (st["min"], st["max"], st["count"]) == (1, BIG, 2)
    assert st["mean"] == pytest.approx((BIG + 1) / 2)

    f = tmp_path / "big.csv"
    f.write_text(f"id,big,name\n1,{BIG},x\n2,3,y\n")
    ds = _log_and_show(f, "store://datasets/p/big")
    assert [c["type"] for c in ds["schema"]] == ["int64", "int64", "string"] and "note" not in ds
    assert ds["preview"]["rows"] == [[1, BIG, "x"], [2, 3, "y"]]
    assert ds["stats"]["id"] == {"count": 2, "nulls": 0, "min": 1, "max": 2, "mean": 1.5}
    assert ds["stats"]["big"]["max"] == BIG and ds["stats"]["big"]["mean"] == pytest.approx((BIG + 3) / 2)


def test_csv_nanosecond_timestamps(tmp_path):
    f = tmp_path / "ts.csv"
    f.write_text("ts\n2020-01-01 00:00:00.123456789\n1969-12-31 23:59:59.999999999\n"
                 "2020-01-01 00:00:00.5\n")
    ds = _log_and_show(f, "store://datasets/p/ts")
    assert ds["schema"][0]["type"] == "timestamp[ns]"
    # 9 digits where there are nanoseconds; a whole microsecond reads as at "us" resolution
    assert ds["preview"]["rows"] == [["2020-01-01T00:00:00.123456789"], ["1969-12-31T23:59:59.999999999"],
                                     ["2020-01-01T00:00:00.500000"]]
    assert ds["stats"]["ts"] == {"count": 3, "nulls": 0, "min": "1969-12-31T23:59:59.999999999",
                                 "max": "2020-01-01T00:00:00.500000"}


def test_parquet_nanosecond_and_duration_columns(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pf = tmp_path / "t.parquet"
    pq.write_table(pa.table({
        "dns": pa.array([1, 1_500_000_000, None], pa.duration("ns")),
        "ds": pa.array([5, -3, 10**15], pa.duration("s")),   # 10**15 s is beyond a timedelta
        "tz": pa.array([1577836800123456789, 0, None], pa.timestamp("ns", "Asia/Kolkata")),
        "tod": pa.array([1001, 3600 * 10**9, None], pa.time64("ns")),
        "d": pa.array([1, None, 2], pa.date32()),
    }), pf)
    ds = _log_and_show(pf, "store://datasets/p/t")
    assert [c["type"] for c in ds["schema"]] == [
        "duration[ns]", "duration[s]", "timestamp[ns, tz=Asia/Kolkata]", "time64[ns]", "date32[day]"]
    assert ds["preview"]["rows"] == [
        [1e-9, 5.0, "2020-01-01T05:30:00.123456789+05:30", "00:00:00.000001001", "1970-01-02"],
        [1.5, -3.0, "1970-01-01T05:30:00+05:30", "01:00:00", None],
        [None, 1e15, None, None, "1970-01-03"]]
    st = ds["stats"]   # durations in seconds, like the preview
    assert st["dns"] == {"count": 2, "nulls": 1, "min": 1e-9, "max": 1.5}
    assert st["ds"] == {"count": 3, "nulls": 0, "min": -3.0, "max": 1e15}
    assert st["tz"] == {"count": 2, "nulls": 1, "min": "1970-01-01T05:30:00+05:30",
                        "max": "2020-01-01T05:30:00.123456789+05:30"}
    assert st["tod"] == {"count": 2, "nulls": 1, "min": "00:00:00.000001001", "max": "01:00:00"}
    assert st["d"] == {"count": 2, "nulls": 1, "min": "1970-01-02", "max": "1970-01-03"}
