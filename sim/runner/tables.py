"""Writing a batch's tables: one run's rows as Arrow tables, and merging parts into the
consolidated ``daily/runs/events.parquet``."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sim.runner.folder import MAIN, TABLES, part_path, tmp_path

EVENT_SCHEMA = pa.schema(
    [
        ("run", pa.int32()),
        ("seed", pa.int64()),
        ("day", pa.int32()),
        ("date", pa.date32()),
        ("kind", pa.string()),
        ("subject", pa.string()),
        ("detail", pa.string()),
        ("event_id", pa.int32()),
        ("causes", pa.list_(pa.int32())),
        ("conditions", pa.string()),
    ]
)
#: Event columns added after the first format; a batch written before them reads them as
#: empty (see :func:`complete_events`).
EVENT_CAUSE_COLUMNS = ("event_id", "causes", "conditions")

def daily_table(daily: pd.DataFrame | Mapping[str, np.ndarray], run: int, seed: int
                ) -> pa.Table:
    """The daily record of one run (a DataFrame, or named columns as the model keeps them) as
    an Arrow table with ``run``/``seed`` up front."""
    if isinstance(daily, pd.DataFrame):
        daily = {c: daily[c].to_numpy() for c in daily.columns}
    n = len(daily["day"])
    cols = {"run": pa.array(np.full(n, run, dtype=np.int32)),
            "seed": pa.array(np.full(n, seed, dtype=np.int64))}
    cols.update((c, pa.array(v)) for c, v in daily.items())
    return _normalise(pa.table(cols))


def runs_table(rows: Sequence[dict[str, Any]]) -> pa.Table:
    """One row per run from ``{"run", "seed", **summary}`` dicts."""
    if not rows:
        return pa.table({"run": pa.array([], pa.int32()), "seed": pa.array([], pa.int64())})
    keys: list[str] = []
    for r in rows:
        keys.extend(k for k in r if k not in keys)
    cols: dict[str, pa.Array] = {}
    for k in keys:
        values = [r.get(k) for r in rows]
        if k == "run":
            cols[k] = pa.array(values, pa.int32())
        elif k == "seed":
            cols[k] = pa.array(values, pa.int64())
        elif k.endswith("_day") and not k.startswith("param."):  # param.*: run's values
            cols[k] = pa.array([None if v is None else int(v) for v in values], pa.int32())
        else:
            cols[k] = pa.array([_scalar(v) for v in values])
    return _normalise(pa.table(cols))


def events_table(df: pd.DataFrame | None, run: int, seed: int) -> pa.Table:
    """Events of one run in the fixed :data:`EVENT_SCHEMA`."""
    if df is None or len(df) == 0:
        return EVENT_SCHEMA.empty_table()
    n = len(df)

    def text(col: str) -> list[str | None]:
        if col not in df:
            return [None] * n
        return [None if _isnull(v) else (v if isinstance(v, str) else _to_text(v)) for v in df[col]]

    dates = pd.to_datetime(df["date"]).dt.date if "date" in df else [None] * n
    return pa.table(
        {
            "run": pa.array(np.full(n, run, dtype=np.int32)),
            "seed": pa.array(np.full(n, seed, dtype=np.int64)),
            "day": pa.array(np.asarray(df["day"], dtype=np.int32)),
            "date": pa.array(list(dates), pa.date32()),
            "kind": pa.array(text("kind"), pa.string()),
            "subject": pa.array(text("subject"), pa.string()),
            "detail": pa.array(text("detail"), pa.string()),
            "event_id": pa.array(np.asarray(df["event_id"], dtype=np.int32) if "event_id" in df
                                 else np.arange(n, dtype=np.int32)),
            "causes": pa.array([[int(c) for c in v] for v in df["causes"]] if "causes" in df
                               else [[] for _ in range(n)], pa.list_(pa.int32())),
            "conditions": pa.array(text("conditions") if "conditions" in df else [""] * n,
                                   pa.string()),
        },
        schema=EVENT_SCHEMA,
    )


def complete_events(t: pa.Table) -> pa.Table:
    """An events table with the cause columns, filled for a batch written before them: the
    event id is the row number within its run, no causes, no conditions."""
    if all(c in t.column_names for c in EVENT_CAUSE_COLUMNS) or "run" not in t.column_names:
        return t
    n = t.num_rows
    if "event_id" not in t.column_names:
        run = t.column("run").to_numpy()
        start = np.r_[0, np.flatnonzero(np.diff(run)) + 1] if n else np.zeros(0, int)
        lengths = np.diff(np.r_[start, n])
        ids = np.arange(n) - np.repeat(start, lengths)
        t = t.append_column("event_id", pa.array(ids.astype(np.int32)))
    if "causes" not in t.column_names:
        t = t.append_column("causes", pa.array([[] for _ in range(n)], pa.list_(pa.int32())))
    if "conditions" not in t.column_names:
        t = t.append_column("conditions", pa.array([""] * n, pa.string()))
    return t


def _normalise(t: pa.Table) -> pa.Table:
    """Fixed dtypes across parts: ``day`` int32, dates date32, no pandas metadata."""
    for i, f in enumerate(t.schema):
        if f.name == "day" and pa.types.is_integer(f.type) and f.type != pa.int32():
            t = t.set_column(i, f.name, pc.cast(t.column(i), pa.int32()))
        elif f.name == "date" and (pa.types.is_timestamp(f.type) or f.type == pa.date64()):
            t = t.set_column(i, f.name, pc.cast(t.column(i), pa.date32()))
    return t.replace_schema_metadata(None)


def _isnull(v: Any) -> bool:
    try:
        return v is None or bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _to_text(v: Any) -> str:
    try:
        return json.dumps(v, default=str, sort_keys=True)
    except (TypeError, ValueError):
        return str(v)


def _scalar(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    return v


def concat_parts(tables: Iterable[pa.Table]) -> pa.Table:
    tables = list(tables)
    schema = pa.unify_schemas([t.schema for t in tables], promote_options="permissive")
    return pa.concat_tables([t.cast(schema) if t.schema != schema else t for t in tables])


# --------------------------------------------------------------------------- consolidation


def _segments(assignment: dict[int, str]) -> list[tuple[str, list[int]]]:
    """Runs in order grouped into consecutive stretches that share a source."""
    segs: list[tuple[str, list[int]]] = []
    for run in sorted(assignment):
        src = assignment[run]
        if segs and segs[-1][0] == src:
            segs[-1][1].append(run)
        else:
            segs.append((src, [run]))
    return segs


def _pieces(segs: list[tuple[str, list[int]]], size: int = 64):
    """Segments cut into pieces of at most ``size`` runs (bounded memory per read)."""
    for src, runs in segs:
        for i in range(0, len(runs), size):
            yield src, runs[i : i + size]


def consolidate(
    out_dir: Path | str, assignment: dict[int, str], rows_per_group: int = 16384
) -> None:
    """Merge finished runs into ``daily/runs/events.parquet``, sorted by run (and day).

    ``assignment`` maps every finished run to the source holding its rows (a part id or
    ``main``). Sources are streamed one at a time (memory does not grow with the number of
    runs) and each new table is written to a temporary file and renamed into place.
    """
    out_dir = Path(out_dir)
    segs = _segments(assignment)
    if not segs:
        return
    for table in TABLES:
        sources = sorted({src for src, _ in segs})
        schemas = [pq.read_schema(part_path(out_dir, s, table)) for s in sources]
        schema = pa.unify_schemas(
            [s.remove_metadata() for s in schemas], promote_options="permissive"
        )
        final = out_dir / f"{table}.parquet"
        tmp = tmp_path(final)
        try:
            with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
                buf: list[pa.Table] = []
                nbuf = 0
                cache: tuple[str, pa.Table] | None = None
                for src, runs in _pieces(segs):
                    path = part_path(out_dir, src, table)
                    if src == MAIN:
                        # the earlier consolidated table can be large: read only the row
                        # groups holding these runs (it is sorted by run)
                        t = pq.read_table(path, filters=[("run", ">=", runs[0]),
                                                         ("run", "<=", runs[-1])])
                    else:  # a part is small (one chunk of runs): read it once
                        if cache is None or cache[0] != src:
                            cache = (src, pq.read_table(path))
                        t = cache[1]
                    mask = pc.is_in(t.column("run"), value_set=pa.array(runs, pa.int32()))
                    piece = t.filter(mask)
                    if table == "events":  # a part written before the cause columns
                        piece = complete_events(piece)
                    keys = [("run", "ascending")]
                    if "day" in piece.column_names:
                        keys.append(("day", "ascending"))
                    piece = piece.sort_by(keys).replace_schema_metadata(None)
                    if piece.schema != schema:
                        piece = piece.select(schema.names).cast(schema)
                    buf.append(piece)
                    nbuf += piece.num_rows
                    if nbuf >= rows_per_group:
                        writer.write_table(pa.concat_tables(buf), row_group_size=rows_per_group)
                        buf, nbuf = [], 0
                if buf:
                    writer.write_table(pa.concat_tables(buf), row_group_size=rows_per_group)
            os.replace(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise



__all__ = ["EVENT_CAUSE_COLUMNS", "EVENT_SCHEMA", "complete_events", "concat_parts", "consolidate",
           "daily_table", "events_table", "runs_table"]
