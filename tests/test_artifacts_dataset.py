"""Dataset metadata (schema, rows, preview, stats) for CSV and Parquet artifacts."""

from __future__ import annotations

import json
import sys

import pytest

from .cli import run


@pytest.fixture(autouse=True)
def _root(tmp_path, monkeypatch):
    monkeypatch.setenv("DSCTL_ARTIFACT_ROOT", str(tmp_path / "root"))
    monkeypatch.setenv("DSCTL_CONFIG_DIR", str(tmp_path / "config"))


def _log_dataset(path, uri):
    r = run("--json", "artifact", "log", path, uri)
    assert r.code == 0, r
    return json.loads(r.lines[-1])["record"]


def test_csv_dataset_metadata(tmp_path):
    lines = ["id,name,score,when"]
    for i in range(50):
        score = "" if i % 10 == 0 else f"{i / 2}"
        lines.append(f"{i},{['ann', 'bob', 'cy'][i % 3]},{score},2024-01-{i % 28 + 1:02d}")
    f = tmp_path / "people.csv"
    f.write_text("\n".join(lines) + "\n")
    rec = _log_dataset(f, "store://datasets/demo/people")
    assert rec["kind"] == "dataset" and rec["format"] == "csv"
    ds = rec["dataset"]
    assert ds["rows"] == 50
    assert [(c["name"], c["type"]) for c in ds["schema"]] == [
        ("id", "int64"), ("name", "string"), ("score", "double"), ("when", "date32[day]")]
    assert ds["preview"]["columns"] == ["id", "name", "score", "when"]
    assert len(ds["preview"]["rows"]) == 20 and ds["preview"]["rows"][1] == [1, "bob", 0.5, "2024-01-02"]
    st = ds["stats"]
    assert st["id"] == {"count": 50, "nulls": 0, "min": 0, "max": 49, "mean": 24.5}
    assert st["score"]["nulls"] == 5 and st["score"]["count"] == 45 and st["score"]["max"] == 24.5
    assert st["name"] == {"count": 50, "nulls": 0, "distinct": 3}
    assert st["when"]["min"] == "2024-01-01" and st["when"]["max"] == "2024-01-28"
    r = run("artifact", "get", "store://datasets/demo/people", tmp_path / "back.csv")
    assert r.code == 0 and (tmp_path / "back.csv").read_bytes() == f.read_bytes()


def test_parquet_dataset_metadata_streams_batches(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = 200_000
    table = pa.table({"k": pa.array(range(n), pa.int64()),
                      "cat": pa.array([f"c{i % 7}" for i in range(n)]),
                      "uniq": pa.array([f"u{i}" for i in range(n)]),
                      "x": pa.array([None if i % 4 == 0 else float(i) for i in range(n)])})
    f = tmp_path / "t.parquet"
    pq.write_table(table, f, row_group_size=50_000)
    rec = _log_dataset(f, "store://datasets/demo/t:v1")
    ds = rec["dataset"]
    assert rec["format"] == "parquet" and ds["rows"] == n
    assert [c["type"] for c in ds["schema"]] == ["int64", "string", "string", "double"]
    assert len(ds["preview"]["rows"]) == 20 and ds["preview"]["rows"][0] == [0, "c0", "u0", None]
    assert ds["stats"]["cat"]["distinct"] == 7 and "distinct_approx" not in ds["stats"]["cat"]
    approx = ds["stats"]["uniq"]
    assert approx["distinct_approx"] is True and abs(approx["distinct"] - n) < n * 0.06, approx
    assert ds["stats"]["x"]["nulls"] == n // 4 and ds["stats"]["k"]["mean"] == (n - 1) / 2


def test_csv_with_late_type_change_and_bad_inputs(tmp_path):
    f = tmp_path / "mixed.csv"
    f.write_text("a\n" + "1\n" * 2_500_000 + "oops\n")   # past the first 4 MiB block used to infer types
    ds = _log_dataset(f, "store://datasets/demo/mixed")["dataset"]
    assert ds["rows"] == 2_500_001 and ds["schema"][0]["type"] == "string" and "as strings" in ds["note"]
    assert ds["stats"]["a"] == {"count": 2_500_001, "nulls": 0, "distinct": 2}
    txt = tmp_path / "notes.txt"
    txt.write_text("hello")
    assert run("artifact", "log", txt, "store://datasets/demo/notes").code == 2
    assert run("artifact", "log", tmp_path, "store://datasets/demo/dir").code == 2


def test_without_pyarrow_dataset_is_exit_7(tmp_path, monkeypatch):
    f = tmp_path / "a.csv"
    f.write_text("a\n1\n")
    for mod in [m for m in sys.modules if m == "pyarrow" or m.startswith("pyarrow.")]:
        monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    r = run("artifact", "log", f, "store://datasets/demo/a")
    assert r.code == 7 and "pip install 'dsctl[dataset]'" in r.err, r
    assert run("artifact", "log", f, "store://artifacts/demo/a").code == 0   # plain files need no pyarrow


def _shown(uri: str) -> dict:
    """The dataset part of the record as `artifact show --json` prints it."""
    r = run("artifact", "show", "--json", uri)
    assert r.code == 0, r
    return json.loads(r.text)["dataset"]


def test_repeated_column_names_keep_every_column(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq
    import yaml

    f = tmp_path / "dup.csv"
    f.write_text("a,a,a (2)\n1,2,5\n3,4,6\n")   # a real "a (2)" pushes the second "a" to "a (3)"
    assert run("-q", "artifact", "log", f, "store://datasets/p/dup").code == 0
    ds = _shown("store://datasets/p/dup")
    assert ds["preview"] == {"columns": ["a", "a", "a (2)"], "rows": [[1, 2, 5], [3, 4, 6]]}
    assert ds["stats"] == {"a": {"count": 2, "nulls": 0, "min": 1, "max": 3, "mean": 2.0},
                           "a (3)": {"count": 2, "nulls": 0, "min": 2, "max": 4, "mean": 3.0},
                           "a (2)": {"count": 2, "nulls": 0, "min": 5, "max": 6, "mean": 5.5}}
    r = run("artifact", "show", "store://datasets/p/dup")   # the plain (YAML) view says the same
    assert r.code == 0 and yaml.safe_load(r.text)["dataset"] == ds, r

    empty = tmp_path / "empty.csv"
    empty.write_text(",\n1,2\n")
    assert run("-q", "artifact", "log", empty, "store://datasets/p/empty").code == 0
    ds = _shown("store://datasets/p/empty")
    assert ds["preview"]["rows"] == [[1, 2]]
    assert [(k, v["min"]) for k, v in ds["stats"].items()] == [("", 1), (" (2)", 2)]

    pf = tmp_path / "dup.parquet"
    pq.write_table(pa.Table.from_arrays([pa.array([1, 3]), pa.array(["x", None])], names=["a", "a"]), pf)
    assert run("-q", "artifact", "log", pf, "store://datasets/p/dupq").code == 0
    ds = _shown("store://datasets/p/dupq")
    assert [c["type"] for c in ds["schema"]] == ["int64", "string"]
    assert ds["preview"]["rows"] == [[1, "x"], [3, None]]
    assert ds["stats"] == {"a": {"count": 2, "nulls": 0, "min": 1, "max": 3, "mean": 2.0},
                           "a (2)": {"count": 1, "nulls": 1, "distinct": 1}}


def test_since_ages_before_year_one(tmp_path):
    # belongs with the list tests in test_artifacts.py; kept here, next to the other fixes
    f = tmp_path / "a.txt"
    f.write_text("a")
    assert run("-q", "artifact", "log", f, "store://artifacts/p/a").code == 0
    for age in ("800000d", "999999999d", "142857142w"):   # before year 1: everything
        r = run("artifact", "list", "--json", "--since", age)
        assert r.code == 0 and [json.loads(x)["key"] for x in r.lines] == ["a"], (age, r)
    for age in ("1000000000d", "99999999999d", "9" * 5000 + "s"):   # beyond any timedelta
        r = run("artifact", "list", "--since", age)
        assert r.code == 2, (age, r)
        assert r.err.startswith("dsctl: error: --since '") and "age too large" in r.err, r
        assert "use an ISO date/time or an age like 7d" in r.err and len(r.err.splitlines()) == 1, r
