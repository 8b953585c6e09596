"""Dataset metadata for CSV and Parquet files: schema, rows, a preview and column stats.

Needs pyarrow (`pip install 'dsctl[dataset]'`; without it, Unsupported, exit 7).
Streams, never loads a file whole: CSV through pyarrow's incremental reader
(4 MiB blocks), Parquet through its footer and `iter_batches`. Per column:
count (non-null), nulls; min, max, mean for numbers; min, max for dates and
times; distinct for strings: exact up to DISTINCT_CAP values, beyond that
an estimate (k-minimum-values sketch, ~1.5% error) flagged `distinct_approx`.
CSV types are inferred from the first block; if a later block disagrees,
the file is read again with every column as a string (noted in `note`).
"""

from __future__ import annotations

import heapq
from typing import Any

from ..errors import Unsupported, UsageError
from ..storage.translate import translating
from .records import json_safe

PREVIEW_ROWS = 20
DISTINCT_CAP = 100_000
SKETCH_K = 4096
FORMATS = {".csv": "csv", ".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet", ".parq": "parquet"}


def require_pyarrow() -> None:
    try:
        import pyarrow  # noqa: F401
        import pyarrow.csv  # noqa: F401
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        raise Unsupported("dataset metadata needs pyarrow: pip install 'dsctl[dataset]'") from None


def detect_format(name: str, head: bytes) -> str:
    lower = name.lower()
    for ext, fmt in FORMATS.items():
        if lower.endswith(ext):
            return fmt
    if head.startswith(b"PAR1"):
        return "parquet"
    raise UsageError("a dataset must be a CSV (.csv, .tsv) or Parquet (.parquet) file", name)


def describe(ep, fmt: str) -> dict:
    """{"rows", "schema", "preview", "stats"[, "note"]} of the file at `ep`."""
    import pyarrow as pa

    with translating(ep.url()):
        try:
            return _describe(ep, fmt, None)
        except pa.ArrowInvalid as exc:
            why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if fmt == "parquet":
                raise UsageError(f"not a readable Parquet file: {why}", ep.url()) from None
            try:
                return _describe(ep, fmt, why)
            except pa.ArrowInvalid as again:
                raise UsageError(f"not a readable CSV file: {str(again).splitlines()[0]}", ep.url()) from None


def _open(ep):
    return open(ep.path, "rb") if ep.is_local else ep.fs.open(ep.path, "rb")


def _describe(ep, fmt: str, as_strings: str | None) -> dict:
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    with _open(ep) as f:
        if fmt == "parquet":
            pf = pq.ParquetFile(f)
            schema, batches = pf.schema_arrow, pf.iter_batches(batch_size=65536)
        else:
            parse = pacsv.ParseOptions(delimiter="\t" if fmt == "tsv" else ",")
            read = pacsv.ReadOptions(block_size=4 << 20)
            convert = None
            if as_strings is not None:
                with _open(ep) as g:
                    names = pacsv.open_csv(g, read_options=read, parse_options=parse).schema.names
                convert = pacsv.ConvertOptions(column_types={n: pa.string() for n in names})
            batches = pacsv.open_csv(f, read_options=read, parse_options=parse, convert_options=convert)
            schema = batches.schema
        cols = [_Column(field) for field in schema]
        rows, preview = 0, []
        for batch in batches:
            rows += batch.num_rows
            if len(preview) < PREVIEW_ROWS:
                part = batch.slice(0, PREVIEW_ROWS - len(preview)).to_pylist()
                preview.extend([json_safe(r.get(n)) for n in schema.names] for r in part)
            for col, arr in zip(cols, batch.columns):
                col.add(arr)
    out = {"rows": rows,
           "schema": [{"name": fld.name, "type": str(fld.type), "nullable": fld.nullable} for fld in schema],
           "preview": {"columns": list(schema.names), "rows": preview},
           "stats": {c.name: c.result() for c in cols}}
    if as_strings is not None:
        out["note"] = f"column types could not be inferred consistently ({as_strings}); read as strings"
    return out


class _Column:
    def __init__(self, field):
        import pyarrow as pa

        t = field.type
        self.name = field.name
        self.numeric = pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)
        self.ordered = self.numeric or pa.types.is_temporal(t)
        self.text = pa.types.is_string(t) or pa.types.is_large_string(t) or (
            pa.types.is_dictionary(t) and pa.types.is_string(t.value_type))
        self.count = self.nulls = 0
        self.min = self.max = None
        self.total = 0.0
        self.distinct = _Distinct() if self.text else None

    def add(self, arr) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc

        self.nulls += arr.null_count
        valid = len(arr) - arr.null_count
        self.count += valid
        if not valid:
            return
        if self.ordered:
            mm = pc.min_max(arr)
            lo, hi = mm["min"].as_py(), mm["max"].as_py()
            if lo is not None:
                self.min = lo if self.min is None else min(self.min, lo)
                self.max = hi if self.max is None else max(self.max, hi)
        if self.numeric:
            s = pc.sum(arr.cast(pa.float64())).as_py()
            self.total += s or 0.0
        if self.distinct is not None:
            if pa.types.is_dictionary(arr.type):
                arr = arr.dictionary_decode()
            self.distinct.add(pc.unique(arr.drop_null()).to_pylist())

    def result(self) -> dict[str, Any]:
        out: dict[str, Any] = {"count": self.count, "nulls": self.nulls}
        if self.ordered:
            out.update(min=json_safe(self.min), max=json_safe(self.max))
        if self.numeric:
            out["mean"] = json_safe(self.total / self.count) if self.count else None
        if self.distinct is not None:
            n, approx = self.distinct.result()
            out["distinct"] = n
            if approx:
                out["distinct_approx"] = True
        return out


class _Distinct:
    """Exact distinct count up to DISTINCT_CAP, then a k-minimum-values estimate."""

    def __init__(self):
        self.exact: set | None = set()
        self.mins: list[float] = []   # the SKETCH_K smallest normalised hashes

    def add(self, values: list) -> None:
        if self.exact is not None:
            self.exact.update(values)
            if len(self.exact) <= DISTINCT_CAP:
                return
            values, self.exact = list(self.exact), None
        hs = {(hash(v) & 0xFFFFFFFFFFFFFFFF) / 2.0**64 for v in values}
        self.mins = heapq.nsmallest(SKETCH_K, set(self.mins) | hs)

    def result(self) -> tuple[int, bool]:
        if self.exact is not None:
            return len(self.exact), False
        return int((SKETCH_K - 1) / self.mins[-1]), True
