"""The summary table of a batch: headline outcomes on days 30, 60, 90 and the last day."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sim.runner.folder import SUMMARY_CSV, atomic_write_text
from sim.runner.outcome_values import compute_outcome
from sim.runner.outcomes import DAILY_OUTCOMES, columns_needed

SUMMARY_DAYS = (30, 60, 90)


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


__all__ = ["SUMMARY_DAYS", "summarize", "write_summary_csv"]
