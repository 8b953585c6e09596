"""Dataset metadata for CSV and Parquet files: schema, rows, a preview and column stats.

Needs pyarrow (`pip install 'dsctl[dataset]'`; without it, Unsupported, exit 7).
Streams, never loads a file whole: CSV through pyarrow's incremental reader
(4 MiB blocks), Parquet through its footer and `iter_batches`. Per column:
count (non-null), nulls; min, max, mean for numbers; min, max for dates,
times, timestamps and durations; distinct for strings: exact up to
DISTINCT_CAP values, beyond that an estimate (k-minimum-values sketch, ~1.5%
error) flagged `distinct_approx`.
CSV types are inferred from the first block; if a later block disagrees,
the file is read again with every column as a string (noted in `note`).

Values in the preview and stats take `records.json_safe`'s forms: dates,
times and timestamps as ISO 8601 (`datetime.isoformat`), durations as seconds
(a float). Nanosecond values keep their precision: a timestamp or time of day
with a sub-microsecond part gets 9 fractional digits
(`2020-01-01T00:00:00.123456789`); one on a whole microsecond reads exactly as
it would at microsecond resolution.

`stats` is keyed by column name, in schema order. A file may repeat a name
(Parquet allows it, a CSV header may have two `a` or two empty names); the
first column of a name keeps it as its key, each later one is keyed
`"<name> (<k>)"`, k being its occurrence (2 for the second), or the next
free number if a real column already has that name. The preview is by
position, so it needs no such keys.
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
PER_SECOND = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}


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
                preview.extend(_preview_rows(batch.slice(0, PREVIEW_ROWS - len(preview))))
            for col, arr in zip(cols, batch.columns):
                col.add(arr)
    out = {"rows": rows,
           "schema": [{"name": fld.name, "type": str(fld.type), "nullable": fld.nullable} for fld in schema],
           "preview": {"columns": list(schema.names), "rows": preview},
           "stats": dict(zip(_stat_keys(schema.names), (c.result() for c in cols)))}
    if as_strings is not None:
        out["note"] = f"column types could not be inferred consistently ({as_strings}); read as strings"
    return out


def _preview_rows(batch) -> list[list]:
    """The batch's rows as lists of JSON values, by column position (names may repeat)."""
    columns = [_json_values(arr) for arr in batch.columns]
    return [[col[i] for col in columns] for i in range(batch.num_rows)]


def _stat_keys(names: list[str]) -> list[str]:
    """The stats key of each column: its name; for a repeated name, "<name> (<k>)" (module doc).

    Generated keys avoid every real column name, so no key ever stands for two columns.
    """
    # Why a suffixed key rather than a list of stats: stats stay an object keyed by name, the
    # shape every record and reader already uses, and a file without repeats keeps exactly
    # the record it had before. Keys follow schema order, so a reader may also pair by position.
    taken, seen, keys = set(names), {}, []
    for name in names:
        seen[name] = k = seen.get(name, 0) + 1
        if k == 1:
            keys.append(name)
            continue
        while f"{name} ({k})" in taken:
            k += 1
        keys.append(f"{name} ({k})")
        taken.add(keys[-1])
    return keys


def _int_storage(t):
    """The integer type a date, time, timestamp or duration is stored as; None for other types."""
    import pyarrow as pa

    if pa.types.is_date(t) or pa.types.is_time(t) or pa.types.is_timestamp(t) or pa.types.is_duration(t):
        return pa.int32() if t.bit_width == 32 else pa.int64()
    return None


def _needs_ints(t) -> bool:
    """True for the types pyarrow cannot turn into Python values without pandas (any ns value
    off a whole microsecond) or only within timedelta's range (durations)."""
    import pyarrow as pa

    return pa.types.is_duration(t) or ((pa.types.is_timestamp(t) or pa.types.is_time(t)) and t.unit == "ns")


def _json_values(arr) -> list:
    """An array's values in their JSON form (module doc)."""
    if not _needs_ints(arr.type):
        return [json_safe(v) for v in arr.to_pylist()]
    return [None if v is None else _temporal_json(v, arr.type)
            for v in arr.view(_int_storage(arr.type)).to_pylist()]


def _temporal_json(v: int, t) -> Any:
    """The JSON form of the date, time, timestamp or duration of type `t` stored as integer `v`."""
    import pyarrow as pa

    if pa.types.is_duration(t):
        return v / PER_SECOND[t.unit]   # seconds, as json_safe gives a timedelta
    if getattr(t, "unit", None) != "ns":   # dates have no unit
        return json_safe(pa.array([v], _int_storage(t)).view(t)[0].as_py())
    us, ns = divmod(v, 1000)   # floor: ns stays 0..999 before 1970 too
    coarse = pa.timestamp("us", t.tz) if pa.types.is_timestamp(t) else pa.time64("us")
    value = pa.array([us], pa.int64()).view(coarse)[0].as_py()
    if not ns:
        return json_safe(value)
    text = value.isoformat(timespec="microseconds")
    cut = text.index(".") + 7   # after the 6 microsecond digits, before any UTC offset
    return f"{text[:cut]}{ns:03d}{text[cut:]}"


class _Column:
    def __init__(self, field):
        import pyarrow as pa

        t = field.type
        self.type = t
        self.numeric = pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)
        # dates, times, timestamps and durations are compared as their integers: min_max has
        # no duration kernel, and ns values may not become Python objects (_temporal_json).
        # Intervals have no order.
        self.storage = _int_storage(t)
        self.ordered = self.numeric or self.storage is not None
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
            mm = pc.min_max(arr if self.storage is None else arr.view(self.storage))
            lo, hi = mm["min"].as_py(), mm["max"].as_py()
            if lo is not None:
                self.min = lo if self.min is None else min(self.min, lo)
                self.max = hi if self.max is None else max(self.max, hi)
        if self.numeric:
            # unsafe: a safe cast refuses integers beyond 2**53, which a float cannot hold
            # exactly; a mean does not need them exact
            s = pc.sum(arr.cast(pa.float64(), safe=False)).as_py()
            self.total += s or 0.0
        if self.distinct is not None:
            if pa.types.is_dictionary(arr.type):
                arr = arr.dictionary_decode()
            self.distinct.add(pc.unique(arr.drop_null()).to_pylist())

    def _json(self, v: Any) -> Any:
        return json_safe(v) if self.storage is None or v is None else _temporal_json(v, self.type)

    def result(self) -> dict[str, Any]:
        out: dict[str, Any] = {"count": self.count, "nulls": self.nulls}
        if self.ordered:
            out.update(min=self._json(self.min), max=self._json(self.max))
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
