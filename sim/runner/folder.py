"""The batch folder: its file names, atomic writes, folder names and its errors."""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

MANIFEST = "manifest.json"
SCENARIO_FILE = "scenario.yaml"
SUMMARY_CSV = "summary.csv"
PARTS_DIR = "parts"
TABLES = ("daily", "runs", "events")
MAIN = "main"  # the ``part`` of a run whose rows live in the consolidated tables
BATCH_FILES = (MANIFEST, SCENARIO_FILE, SUMMARY_CSV, *(f"{t}.parquet" for t in TABLES))

# --------------------------------------------------------------------------- atomic writes


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()


def tmp_path(path: Path) -> Path:
    """A new empty temporary file next to ``path`` (same filesystem, so rename is atomic)."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    os.chmod(name, _FILE_MODE)  # mkstemp makes 0600; results are ordinary files
    return Path(name)


def atomic_write_bytes(path: Path | str, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder and a rename."""
    path = Path(path)
    tmp = tmp_path(path)
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
    tmp = tmp_path(path)
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


def part_path(out_dir: Path, part: str, table: str) -> Path:
    """Where a table of a source lives: ``main`` → ``<table>.parquet``, else a part file."""
    if part == MAIN:
        return out_dir / f"{table}.parquet"
    return out_dir / PARTS_DIR / f"{part}.{table}.parquet"



__all__ = ["BATCH_FILES", "MAIN", "MANIFEST", "PARTS_DIR", "SCENARIO_FILE", "SUMMARY_CSV",
           "TABLES", "NotABatchFolder", "ResultsError", "atomic_write_bytes", "atomic_write_table",
           "atomic_write_text", "folder_name", "one_line_text", "part_path", "tmp_path"]
