"""The results folder format: manifest, Parquet tables, atomic writes, loading, summary.

A batch folder (default ``results/<scenario-name>/``) holds::

    manifest.json     what was run and how: resolved scenario, hash, seeds, per-run status,
                      versions, git commit, command line, start/end time
    scenario.yaml     the fully resolved scenario (``wargame run`` accepts it as is)
    daily.parquet     one row per run per day: run, seed, then the model's daily record
    runs.parquet      one row per run: run, seed, final-day values, ceasefire_day,
                      changed_<place>_day (null when it did not happen)
    events.parquet    every event: run, seed, day, date, kind, subject, detail, event_id
                      (its index within the run), causes (ids of the earlier events of the
                      same run that led to it), conditions (the state conditions, as text)
    summary.csv       the summary table printed by ``wargame run``
    parts/            only while a batch is running or was interrupted: finished runs,
                      one file set per chunk of runs, merged into the tables above at the end

The manifest also records, for a finished (consolidated) batch, the sha256, size and row count
of every file (``files``) and, per run, its row counts in the three tables and a digest of its
rows (``rows``, ``digest``). :func:`load_results` (every reader) verifies the files and stops
with one line naming a damaged file (:class:`ResultsError`); ``--resume`` re-runs exactly the
runs whose rows are missing or differ; ``wargame check`` reports it all.

Every file is written to a temporary name in the same folder and renamed into place, so a
reader never sees a half-written file. The manifest is the single source of truth for which
runs are finished and where their rows are: a run whose ``status`` is ``done`` has its rows in
the part named by ``part`` (``"main"`` means the consolidated tables above).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sim.runner.outcomes import DAILY_OUTCOMES, columns_needed, compute_outcome

FORMAT_VERSION = 2  # 2: the manifest lists checksums (``files``) and per-run digests
MANIFEST = "manifest.json"
SCENARIO_FILE = "scenario.yaml"
SUMMARY_CSV = "summary.csv"
PARTS_DIR = "parts"
TABLES = ("daily", "runs", "events")
MAIN = "main"  # the ``part`` of a run whose rows live in the consolidated tables
BATCH_FILES = (MANIFEST, SCENARIO_FILE, SUMMARY_CSV, *(f"{t}.parquet" for t in TABLES))

SUMMARY_DAYS = (30, 60, 90)


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


# --------------------------------------------------------------------------- atomic writes


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()


def _tmp_path(path: Path) -> Path:
    """A new empty temporary file next to ``path`` (same filesystem, so rename is atomic)."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    os.chmod(name, _FILE_MODE)  # mkstemp makes 0600; results are ordinary files
    return Path(name)


def atomic_write_bytes(path: Path | str, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder and a rename."""
    path = Path(path)
    tmp = _tmp_path(path)
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path | str, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_table(path: Path | str, table: pa.Table) -> None:
    """Write a pyarrow table to Parquet atomically."""
    path = Path(path)
    tmp = _tmp_path(path)
    try:
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class ResultsError(ValueError):
    """A batch folder that cannot be read as it is: damaged, truncated or not a batch folder.
    The message is one line naming the file."""


def one_line_text(exc: BaseException, limit: int = 200) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


class NotABatchFolder(ResultsError, FileNotFoundError):
    """The folder does not exist or holds no manifest."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def folder_name(name: str, prefix: str = "") -> str:
    """A scenario (or experiment) name as one safe folder name: letters, digits, ``. _ -``
    only, no leading dot, at most 100 bytes, never empty (``results/<folder_name(name)>``
    always stays under ``results/``)."""
    text = unicodedata.normalize("NFKC", str(name))
    slug = re.sub(r"[^\w.-]+", "-", text, flags=re.UNICODE).strip(".-_")
    slug = re.sub(r"-{2,}", "-", slug)
    while len(slug.encode("utf-8")) > 100:
        slug = slug[:-1]
    slug = slug.rstrip(".-") or "unnamed"
    return prefix + slug


def write_manifest(out_dir: Path | str, manifest: dict[str, Any]) -> None:
    """Write ``manifest.json`` atomically; one line per run keeps it readable."""

    def dump(v: Any, indent: int | None = None) -> str:
        return json.dumps(v, indent=indent, default=str, ensure_ascii=False)

    runs = manifest.get("runs", [])
    head = {k: v for k, v in manifest.items() if k != "runs"}
    text = dump(head, 1)[:-2]  # drop the closing "\n}"
    lines = ",\n  ".join(dump(r) for r in runs)
    text += f',\n "runs": [\n  {lines}\n ]\n}}\n' if runs else ',\n "runs": []\n}\n'
    atomic_write_text(Path(out_dir) / MANIFEST, text)


def read_manifest(out_dir: Path | str) -> dict[str, Any]:
    """The manifest as a dict; :class:`ResultsError` (one line) when it is missing, truncated,
    not JSON or lacks the keys every reader needs."""
    path = Path(out_dir) / MANIFEST
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise NotABatchFolder(f"{Path(out_dir)}: not a batch folder (no {MANIFEST})") from None
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise ResultsError(f"{path}: damaged (not valid JSON: {str(exc)[:120]})") from None
    except ValueError as exc:  # a NUL byte in the name
        raise NotABatchFolder(f"{str(out_dir)[:200]!r}: not a batch folder ({exc})") from None
    except IsADirectoryError:
        raise ResultsError(f"{path}: damaged (a folder, not a file)") from None
    except OSError as exc:
        raise ResultsError(f"{path}: cannot read: {exc.strerror or exc}") from None
    problem = _manifest_problem(data)
    if problem:
        raise ResultsError(f"{path}: damaged ({problem})")
    return data


def _manifest_problem(m: Any) -> str | None:
    if not isinstance(m, dict):
        return "not a JSON object"
    for key, kind in (("runs", list), ("scenario", dict), ("status", str),
                      ("master_seed", int)):
        if not isinstance(m.get(key), kind) or isinstance(m.get(key), bool):
            return f"'{key}' missing or of the wrong type"
    if not isinstance(m["scenario"].get("name"), str) or not isinstance(
            m["scenario"].get("resolved", ""), str):
        return "'scenario' lacks its name"
    start = m.get("start_date")
    if start is not None:  # readers date the record from it
        try:
            dt.date.fromisoformat(str(start))
        except ValueError:
            return f"'start_date' is not a date ({str(start)[:40]!r})"
    days = m.get("days")
    if days is not None and (not isinstance(days, int) or isinstance(days, bool) or days < 0):
        return "'days' is not a whole number of days"
    sc = m["scenario"]
    if not isinstance(sc.get("file") or "", str) or not isinstance(sc.get("hash") or "", str):
        return "'scenario' file or hash is not text"
    for key in ("parameters", "calibration", "files", "package", "versions"):
        if m.get(key) is not None and not isinstance(m[key], dict):
            return f"'{key}' is not a mapping"
    for i, r in enumerate(m["runs"]):
        if not (isinstance(r, dict) and isinstance(r.get("run"), int)
                and isinstance(r.get("seed"), int) and r.get("status") in RUN_STATUSES
                and (r.get("status") != "done" or isinstance(r.get("part"), str))):
            return f"run entry {i} is malformed"
        if r["status"] == "done" and not re.fullmatch(r"[\w-]+", r["part"]):
            return f"run entry {i} names an invalid part"
    version = m.get("format_version")
    if version not in (1, FORMAT_VERSION) or isinstance(version, bool):
        return f"unknown format_version {version!r}"
    if "files" in m and not isinstance(m["files"], dict):
        return "'files' is not an object"
    if version >= 2 and m["status"] != "running" and any(
            r["status"] == "done" and r["part"] == MAIN for r in m["runs"]) and not m.get("files"):
        return "the checksums ('files') are missing"
    return None


RUN_STATUSES = ("pending", "done", "failed")


# --------------------------------------------------------------------------- integrity


def file_sha256(path: Path | str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def row_hashes(batch: pa.RecordBatch) -> np.ndarray:
    """``pd.util.hash_pandas_object(batch.to_pandas(), index=False)`` computed one column at a
    time (the same values: each column converts to pandas as it does in the whole frame, and
    the columns' hashes are combined as pandas combines them), so that a batch is never held
    as a whole DataFrame besides its Arrow data."""
    n = batch.num_rows
    mult = np.uint64(1000003)
    out = np.full(n, 0x345678, dtype=np.uint64)
    k = batch.num_columns
    for i, f in enumerate(batch.schema):
        col = batch.column(i)
        if pa.types.is_list(f.type):  # list cells (event causes) hash as text
            values = pd.Series([",".join(map(str, v)) if v is not None else ""
                                for v in col.to_pylist()], dtype=object)
        else:
            values = col.to_pandas()
        out ^= pd.util.hash_pandas_object(values, index=False).to_numpy(np.uint64)
        out *= mult
        mult += np.uint64(82520 + 2 * (k - i))
    out += np.uint64(97531)
    return out


DIGEST_BATCH_ROWS = 65536  # the record batches the digests were first defined over
SMALL_DIGEST_BATCH_ROWS = 16384  # a consolidated table's row group


def digest_batch_rows(pf: pq.ParquetFile) -> int:
    """Rows per record batch for :func:`run_digests`: a row's hash depends on the batch it is
    read in only through pandas' conversion of an integer or boolean column that has nulls in
    that batch (to float or object), so where the file's statistics show no such null the
    batches may be smaller (memory: ~20 MiB instead of ~100 for a large daily table);
    otherwise the original 65,536 rows."""
    md = pf.metadata
    schema = pf.schema_arrow
    sensitive = [i for i, f in enumerate(schema)
                 if not (pa.types.is_floating(f.type) or pa.types.is_string(f.type)
                         or pa.types.is_large_string(f.type) or pa.types.is_date(f.type)
                         or pa.types.is_list(f.type))]
    if len(schema) != md.num_columns:  # nested columns: leaves do not map to fields
        return DIGEST_BATCH_ROWS
    for g in range(md.num_row_groups):
        rg = md.row_group(g)
        for i in sensitive:
            if not (pa.types.is_integer(schema.field(i).type)
                    or pa.types.is_boolean(schema.field(i).type)):
                return DIGEST_BATCH_ROWS
            st = rg.column(i).statistics
            if st is None or not st.has_null_count or st.null_count != 0:
                return DIGEST_BATCH_ROWS
    return SMALL_DIGEST_BATCH_ROWS


def run_digests(path: Path | str) -> dict[int, tuple[int, int]]:
    """Per run of a table file: ``(rows, digest)``, the digest a 64-bit position-weighted sum
    of the rows' hashes (streamed by record batch, hashed column by column: memory does not
    grow with the file)."""
    out: dict[int, list[int]] = {}
    pf = pq.ParquetFile(path)
    with np.errstate(over="ignore"):
        for batch in pf.iter_batches(batch_size=digest_batch_rows(pf)):
            if batch.num_rows == 0:
                continue
            h = row_hashes(batch)
            runs = batch.column(batch.schema.get_field_index("run")).to_numpy()
            order = np.argsort(runs, kind="stable")  # already sorted in a consolidated table
            uniq, starts = np.unique(runs[order], return_index=True)
            for run, hh in zip(uniq, np.split(h[order], starts[1:]), strict=True):
                acc = out.setdefault(int(run), [0, 0])
                pos = np.arange(acc[0] + 1, acc[0] + 1 + hh.size, dtype=np.uint64)
                acc[1] = int(np.uint64(acc[1]) + (hh * pos).sum(dtype=np.uint64))
                acc[0] += int(hh.size)
            del h, batch
    return {k: (v[0], v[1]) for k, v in out.items()}


def write_integrity(out_dir: Path | str, manifest: dict[str, Any]) -> None:
    """Record in ``manifest`` the checksum, size and rows of every consolidated file and each
    finished run's rows and digest (call after :func:`consolidate`, before the manifest is
    written)."""
    out = Path(out_dir)
    files: dict[str, Any] = {}
    per_run: dict[int, tuple[list[int], list[str]]] = {}
    for table in TABLES:
        path = out / f"{table}.parquet"
        if not path.is_file():
            continue
        digests = run_digests(path)
        files[path.name] = {"sha256": file_sha256(path), "bytes": path.stat().st_size,
                            "rows": sum(n for n, _ in digests.values())}
        for run, (n, d) in digests.items():
            rows, ds = per_run.setdefault(run, ([0] * len(TABLES), ["0" * 16] * len(TABLES)))
            rows[TABLES.index(table)] = n
            ds[TABLES.index(table)] = f"{d:016x}"
    for name in (SCENARIO_FILE, SUMMARY_CSV):
        path = out / name
        if path.is_file():
            files[name] = {"sha256": file_sha256(path), "bytes": path.stat().st_size}
    manifest["files"] = files
    for r in manifest["runs"]:
        if r["status"] == "done" and r.get("part") == MAIN:
            rows, ds = per_run.get(r["run"], ([0] * len(TABLES), ["0" * 16] * len(TABLES)))
            r["rows"], r["digest"] = rows, "".join(ds)
        else:
            r.pop("rows", None)
            r.pop("digest", None)


def verify(out_dir: Path | str, manifest: dict[str, Any] | None = None) -> list[str]:
    """Problems of a batch folder, one line each naming the file; empty when it is intact."""
    out = Path(out_dir)
    try:
        m = manifest if manifest is not None else read_manifest(out)
    except ResultsError as exc:
        return [str(exc)]
    problems: list[str] = []
    files = m.get("files") or {}
    done = [r for r in m["runs"] if r["status"] == "done"]
    if any(r["part"] == MAIN for r in done):
        if not files:
            return problems  # written before checksums existed: nothing to compare with
        for table in TABLES:
            name = f"{table}.parquet"
            if name not in files:
                problems.append(f"{out / name}: not listed in the manifest's checksums")
    for name, info in files.items():
        path = out / name
        if name not in BATCH_FILES or not isinstance(info, dict):
            problems.append(f"{out / MANIFEST}: damaged (lists an unknown file {name!r})")
            continue
        try:
            st = path.stat()
        except FileNotFoundError:
            problems.append(f"{path}: missing")
            continue
        except OSError as exc:
            problems.append(f"{path}: cannot read: {exc.strerror or exc}")
            continue
        if st.st_size != info.get("bytes"):
            problems.append(f"{path}: damaged (size {st.st_size} bytes, manifest says "
                            f"{info.get('bytes')})")
        elif file_sha256(path) != info.get("sha256"):
            problems.append(f"{path}: damaged (checksum differs from the manifest)")
    for part in sorted({r["part"] for r in done if r["part"] != MAIN}):
        for table in TABLES:
            p = part_path(out, part, table)
            if not p.is_file():
                problems.append(f"{p}: missing (runs of an unfinished batch)")
    return problems


def damaged_runs(out_dir: Path | str, manifest: dict[str, Any]) -> set[int]:
    """Runs recorded as done in the consolidated tables whose rows are missing or differ
    from the manifest's digests (all of them when a table cannot be read at all)."""
    out = Path(out_dir)
    main = {r["run"]: r for r in manifest["runs"]
            if r["status"] == "done" and r["part"] == MAIN}
    if not main:
        return set()
    files = manifest.get("files") or {}
    ok = [name in files and not verify_file(out / name, files[name])
          for name in (f"{t}.parquet" for t in TABLES)]
    if all(ok):
        return set()
    bad: set[int] = set()
    for k, table in enumerate(TABLES):
        if ok[k]:
            continue
        try:
            digests = run_digests(out / f"{table}.parquet")
        except Exception:  # noqa: BLE001 - unreadable in any way: every run is redone
            return set(main)
        for run, r in main.items():
            rows, digest = r.get("rows"), r.get("digest")
            if not (isinstance(rows, list) and isinstance(digest, str) and len(rows) == 3):
                bad.add(run)
                continue
            got = digests.get(run, (0, 0))
            if got[0] != rows[k] or f"{got[1]:016x}" != digest[16 * k: 16 * (k + 1)]:
                bad.add(run)
    return bad


def verify_file(path: Path, info: Any) -> str | None:
    """The problem of one listed file, or None."""
    try:
        if not isinstance(info, dict) or path.stat().st_size != info.get("bytes"):
            return f"{path}: damaged (size differs from the manifest)"
        if file_sha256(path) != info.get("sha256"):
            return f"{path}: damaged (checksum differs from the manifest)"
    except OSError as exc:
        return f"{path}: {exc.strerror or 'cannot read'}"
    return None


# --------------------------------------------------------------------------- tables


def part_path(out_dir: Path, part: str, table: str) -> Path:
    """Where a table of a source lives: ``main`` → ``<table>.parquet``, else a part file."""
    if part == MAIN:
        return out_dir / f"{table}.parquet"
    return out_dir / PARTS_DIR / f"{part}.{table}.parquet"


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
        tmp = _tmp_path(final)
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


# --------------------------------------------------------------------------- summary


def summarize(daily: pd.DataFrame | Path | str, days: Sequence[int] | None = None) -> pd.DataFrame:
    """Median and 5–95 % range of the headline outcomes on days 30, 60, 90 and the last day.

    ``daily`` is a daily DataFrame or the path of a ``daily.parquet``; from a file only the
    needed rows and columns are read. Returns a long table with columns ``metric, label, day,
    date, n, median, p5, p95, mean`` (for the ceasefire share only ``mean`` is filled).
    """
    needed, _ = columns_needed(DAILY_OUTCOMES)
    if isinstance(daily, str | Path):
        path = Path(daily)
        if days is None:
            last = pc.max(pq.read_table(path, columns=["day"]).column("day")).as_py()
            days = [d for d in SUMMARY_DAYS if d < last] + [last]
        names = set(pq.read_schema(path).names)
        cols = ["run", "day", "date"] + [c for c in needed if c in names]
        df = pq.read_table(path, columns=cols, filters=[("day", "in", list(days))]).to_pandas()
    else:
        df = daily
        if days is None:
            last = int(df["day"].max())
            days = [d for d in SUMMARY_DAYS if d < last] + [last]
    rows = []
    for o in DAILY_OUTCOMES:
        if not all(c in df.columns for c in o.columns):
            continue
        for d in days:
            sel = df[df["day"] == d]
            if sel.empty:
                continue
            values = compute_outcome(o, sel, sel, d)
            date = sel["date"].iloc[0] if "date" in sel else None
            row = {"metric": o.name, "label": o.heading(), "day": int(d), "date": date,
                   "n": len(values)}
            if o.is_share:
                row.update(median=np.nan, p5=np.nan, p95=np.nan, mean=float(values.mean()))
            else:
                p5, med, p95 = np.percentile(values, [5, 50, 95])
                row.update(median=med, p5=p5, p95=p95, mean=float(values.mean()))
            rows.append(row)
    return pd.DataFrame(
        rows, columns=["metric", "label", "day", "date", "n", "median", "p5", "p95", "mean"]
    )


def write_summary_csv(out_dir: Path | str, summary: pd.DataFrame) -> Path:
    path = Path(out_dir) / SUMMARY_CSV
    atomic_write_text(path, summary.to_csv(index=False, float_format="%.6g"))
    return path


# --------------------------------------------------------------------------- loading


@dataclass
class Results:
    """A batch folder, read lazily: ``manifest`` now, the tables on first access."""

    path: Path
    manifest: dict[str, Any] = field(repr=False)

    @property
    def name(self) -> str:
        return self.manifest["scenario"]["name"]

    @property
    def status(self) -> str:
        return self.manifest["status"]

    @property
    def master_seed(self) -> int:
        return int(self.manifest["master_seed"])

    @property
    def scenario_yaml(self) -> str:
        return self.manifest["scenario"]["resolved"]

    def done_runs(self) -> list[int]:
        return [r["run"] for r in self.manifest["runs"] if r["status"] == "done"]

    def table(self, name: str, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """Rows of the finished runs of ``daily``, ``runs`` or ``events``, sorted by run."""
        if name not in TABLES:
            raise ValueError(f"unknown table {name!r}; expected one of {', '.join(TABLES)}")
        assignment = {r["run"]: r["part"] for r in self.manifest["runs"] if r["status"] == "done"}
        by_src: dict[str, list[int]] = {}
        for run, src in assignment.items():
            by_src.setdefault(src, []).append(run)
        pieces = []
        for src, runs in sorted(by_src.items()):
            path = part_path(self.path, src, name)
            try:
                t = pq.read_table(path, columns=columns)
            except (OSError, pa.ArrowException) as exc:
                raise ResultsError(f"{path}: cannot be read ({one_line_text(exc)})") from None
            t = t.filter(pc.is_in(t.column("run"), value_set=pa.array(runs, pa.int32())))
            t = t.replace_schema_metadata(None)
            pieces.append(complete_events(t) if name == "events" and columns is None else t)
        if not pieces:
            return pd.DataFrame(columns=list(columns or []))
        t = concat_parts(pieces)
        keys = [("run", "ascending")] + ([("day", "ascending")] if "day" in t.column_names else [])
        t = t.sort_by(keys)
        if name == "events" and columns is None:
            t = complete_events(t)
        return t.to_pandas()

    @cached_property
    def daily(self) -> pd.DataFrame:
        return self.table("daily")

    @cached_property
    def runs(self) -> pd.DataFrame:
        return self.table("runs")

    @cached_property
    def events(self) -> pd.DataFrame:
        return self.table("events")

    def summary(self) -> pd.DataFrame:
        path = self.path / SUMMARY_CSV
        if path.exists() and self.status == "complete":
            return pd.read_csv(path)
        return summarize(self.daily)


def load_results(path: Path | str, verify_files: bool = True) -> Results:
    """Open a batch folder written by :func:`sim.batch.run_batch` (or ``wargame run``).

    Raises :class:`ResultsError` (one line naming the file) when the folder is not a batch
    folder or, with ``verify_files``, a file is missing or differs from the manifest's
    checksums (``wargame run ... --resume`` repairs it)."""
    p = Path(path)
    try:
        found = (p / MANIFEST).is_file()
    except (OSError, ValueError) as exc:  # a name too long, a NUL byte
        raise NotABatchFolder(f"{str(p)[:200]!r}: not a batch folder ({exc})") from None
    if not found:
        raise NotABatchFolder(f"{p}: not a batch folder (no {MANIFEST})")
    manifest = read_manifest(p)
    if verify_files:
        problems = verify(p, manifest)
        if problems:
            more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
            raise ResultsError(f"{problems[0]}{more}; `wargame check {p}` lists them, "
                               f"`wargame run ... --out {p} --resume` repairs the batch")
    return Results(path=p, manifest=manifest)
