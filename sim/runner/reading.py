"""Reading a batch folder: :func:`load_results` and the :class:`Results` it returns."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sim.runner.folder import (
    MANIFEST,
    SCENARIO_FILE,
    SUMMARY_CSV,
    TABLES,
    NotABatchFolder,
    ResultsError,
    one_line_text,
    part_path,
)
from sim.runner.integrity import verify
from sim.runner.records import Manifest, read_manifest
from sim.runner.summary import summarize
from sim.runner.tables import complete_events, concat_parts
from sim.scenario import Scenario, ScenarioError, scenario_from_text


@dataclass
class Results:
    """A batch folder, read lazily: ``manifest`` now, the scenario and tables on first access."""

    path: Path
    manifest: Manifest = field(repr=False)

    @property
    def name(self) -> str:
        return self.manifest.scenario.name

    @property
    def status(self) -> str:
        return self.manifest.status

    @property
    def master_seed(self) -> int:
        return self.manifest.master_seed

    @cached_property
    def scenario(self) -> Scenario:
        """The validated scenario the batch ran (from the manifest's resolved text; its map
        and posterior files named relative to the batch folder, or absolute in folders
        written before format 3). :class:`ResultsError` when it no longer validates."""
        try:
            return scenario_from_text(self.manifest.scenario.resolved, self.path / SCENARIO_FILE)
        except ScenarioError as exc:
            first = exc.problems[0] if exc.problems else str(exc)
            raise ResultsError(f"{self.path / MANIFEST}: the batch's scenario does not validate "
                               f"with this version ({one_line_text(ValueError(first))}); "
                               "re-run the batch") from None

    @property
    def scenario_file(self) -> Path | None:
        """The scenario file the batch was run from (absolute; the manifest names it relative
        to the batch folder, or absolute in folders written before that)."""
        f = self.manifest.scenario.file
        return Path(os.path.normpath(self.path.resolve() / f)) if f else None

    @property
    def start_date(self) -> dt.date:
        """Day 0 of the batch's record."""
        return self.manifest.start_date or self.scenario.start_date

    @property
    def days(self) -> int:
        return self.manifest.days if self.manifest.days is not None else self.scenario.days

    def done_runs(self) -> list[int]:
        return [r.run for r in self.manifest.done_runs()]

    def table(self, name: str, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """Rows of the finished runs of ``daily``, ``runs`` or ``events``, sorted by run."""
        if name not in TABLES:
            raise ValueError(f"unknown table {name!r}; expected one of {', '.join(TABLES)}")
        by_src: dict[str, list[int]] = {}
        for r in self.manifest.done_runs():
            by_src.setdefault(r.part, []).append(r.run)
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
    """Open a batch folder written by :func:`sim.runner.run_batch` (or ``wargame run``).

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


__all__ = ["Results", "load_results"]
