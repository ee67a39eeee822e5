"""Checksums of a batch folder's files and digests of each run's rows; verifying them."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.runner.folder import (
    BATCH_FILES,
    MAIN,
    MANIFEST,
    SCENARIO_FILE,
    SUMMARY_CSV,
    TABLES,
    ResultsError,
    one_line_text,
    part_path,
)
from sim.runner.records import FileRecord, Manifest, read_manifest


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


def file_record(path: Path, rows: int | None = None) -> FileRecord:
    """The checksum and size of a file as it is now."""
    return FileRecord(sha256=file_sha256(path), bytes=path.stat().st_size, rows=rows)


def part_records(out_dir: Path | str, part: str) -> dict[str, FileRecord]:
    """The checksums of a part's files (recorded in the manifest when the part is written)."""
    return {t: file_record(part_path(Path(out_dir), part, t)) for t in TABLES}


def write_integrity(out_dir: Path | str, manifest: Manifest) -> None:
    """Record in ``manifest`` the checksum, size and rows of every consolidated file and each
    finished run's rows and digest (call after ``consolidate``, before the manifest is
    written)."""
    out = Path(out_dir)
    files: dict[str, FileRecord] = {}
    per_run: dict[int, tuple[list[int], list[str]]] = {}
    for table in TABLES:
        path = out / f"{table}.parquet"
        if not path.is_file():
            continue
        digests = run_digests(path)
        files[path.name] = file_record(path, rows=sum(n for n, _ in digests.values()))
        for run, (n, d) in digests.items():
            rows, ds = per_run.setdefault(run, ([0] * len(TABLES), ["0" * 16] * len(TABLES)))
            rows[TABLES.index(table)] = n
            ds[TABLES.index(table)] = f"{d:016x}"
    for name in (SCENARIO_FILE, SUMMARY_CSV):
        path = out / name
        if path.is_file():
            files[name] = file_record(path)
    manifest.files = files
    for r in manifest.runs:
        if r.status == "done" and r.part == MAIN:
            rows, ds = per_run.get(r.run, ([0] * len(TABLES), ["0" * 16] * len(TABLES)))
            r.rows, r.digest = rows, "".join(ds)
        else:
            r.rows = r.digest = None


def verify(out_dir: Path | str, manifest: Manifest | None = None,
           dependencies: bool = False) -> list[str]:
    """Problems of a batch folder, one line each naming the file; empty when it is intact.
    With ``dependencies`` also the files it was run from (its calibration posterior)."""
    out = Path(out_dir)
    try:
        m = manifest if manifest is not None else read_manifest(out)
    except ResultsError as exc:
        return [str(exc)]
    problems: list[str] = []
    done = m.done_runs()
    if any(r.part == MAIN for r in done) and m.files:  # (none: written before checksums)
        for table in TABLES:
            name = f"{table}.parquet"
            if name not in m.files:
                problems.append(f"{out / name}: not listed in the manifest's checksums")
    for name, info in m.files.items():
        if name not in BATCH_FILES:
            problems.append(f"{out / MANIFEST}: damaged (lists an unknown file {name[:60]!r})")
            continue
        problem = verify_file(out / name, info)
        if problem:
            problems.append(problem)
    for part in sorted({r.part for r in done if r.part != MAIN}):
        problems.extend(part_problems(out, m, part))
    if dependencies:
        problems.extend(dependency_problems(out, m))
    return problems


def part_problems(out: Path, manifest: Manifest, part: str) -> list[str]:
    """What is wrong with the files of one part of finished runs (empty when intact)."""
    recorded = manifest.parts.get(part)
    out_problems = []
    for table in TABLES:
        p = part_path(out, part, table)
        if not p.is_file():
            out_problems.append(f"{p}: missing (runs of an unfinished batch)")
        elif recorded is not None:
            problem = verify_file(p, recorded.get(table))
            if problem:
                out_problems.append(problem)
        else:  # written before part checksums: at least a readable Parquet file
            try:
                pq.read_metadata(p)
            except (OSError, pa.ArrowException) as exc:
                out_problems.append(f"{p}: damaged ({one_line_text(exc, 120)})")
    return out_problems


def dependency_problems(out: Path, manifest: Manifest) -> list[str]:
    """The calibration posterior a batch drew its parameters from: still there, unchanged."""
    params = manifest.parameters
    if params.mode == "fixed" or not params.posterior:
        return []
    path = out / params.posterior  # relative to the batch folder (or absolute, before 3)
    try:
        digest = file_sha256(path)
    except OSError as exc:
        return [f"{path}: the batch's calibration posterior cannot be read "
                f"({exc.strerror or exc}); --resume needs it"]
    if params.sha256 and digest != params.sha256:
        return [f"{path}: the batch's calibration posterior changed since it ran (sha256 "
                f"{digest[:12]}, manifest says {params.sha256[:12]}); --resume refuses it"]
    return []


def damaged_runs(out_dir: Path | str, manifest: Manifest) -> set[int]:
    """Runs recorded as done in the consolidated tables whose rows are missing or differ
    from the manifest's digests (all of them when a table cannot be read at all)."""
    out = Path(out_dir)
    main = {r.run: r for r in manifest.runs if r.status == "done" and r.part == MAIN}
    if not main:
        return set()
    files = manifest.files
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
            if r.rows is None or r.digest is None:
                bad.add(run)
                continue
            got = digests.get(run, (0, 0))
            if got[0] != r.rows[k] or f"{got[1]:016x}" != r.digest[16 * k: 16 * (k + 1)]:
                bad.add(run)
    return bad


def verify_file(path: Path, info: FileRecord | None) -> str | None:
    """The problem of one listed file, or None."""
    try:
        if info is None:
            return f"{path}: not listed in the manifest's checksums"
        size = path.stat().st_size
        if size != info.bytes:
            return f"{path}: damaged (size {size} bytes, manifest says {info.bytes})"
        if file_sha256(path) != info.sha256:
            return f"{path}: damaged (checksum differs from the manifest)"
    except FileNotFoundError:
        return f"{path}: missing"
    except OSError as exc:
        return f"{path}: cannot read: {exc.strerror or exc}"
    return None


__all__ = ["DIGEST_BATCH_ROWS", "SMALL_DIGEST_BATCH_ROWS", "damaged_runs", "dependency_problems",
           "digest_batch_rows", "file_record", "file_sha256", "part_problems", "part_records",
           "row_hashes", "run_digests", "verify", "verify_file", "write_integrity"]
