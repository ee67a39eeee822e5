"""The summary table of a batch: headline outcomes on days 30, 60, 90 and the last day."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sim.runner.folder import SUMMARY_CSV, atomic_write_text

#: Headline outcomes of the summary table: (name, label, columns summed, kind).
HEADLINES: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("kursk_ua_km2", "Kursk held by Ukraine (km²)", ("kursk_ua_km2",), "value"),
    ("donetsk_ru_gain_km2", "Donetsk gained by Russia (km²)", ("donetsk_ru_gain_km2",), "value"),
    ("ua_losses", "Ukrainian losses (k+w+c)", ("ua_killed", "ua_wounded", "ua_captured"), "value"),
    ("ru_losses", "Russian losses (k+w+c)", ("ru_killed", "ru_wounded", "ru_captured"), "value"),
    ("ua_ammo", "Ukrainian ammunition (rounds)", ("ua_ammo",), "value"),
    ("ru_ammo", "Russian ammunition (rounds)", ("ru_ammo",), "value"),
    ("ceasefire", "Ceasefire in force (share of runs)", ("ceasefire",), "share"),
    ("bargaining_value", "Ukraine's bargaining value", ("bargaining_value",), "value"),
    ("ru_domestic_confidence", "Russian domestic confidence", ("ru_domestic_confidence",), "value"),
)
SUMMARY_DAYS = (30, 60, 90)


def fmt_number(x: float | None) -> str:
    """A number for tables: thousands separators from 100, fewer decimals as it grows."""
    if x is None or x != x:  # missing or NaN
        return "–"
    if x == 0:  # exactly none (Kursk cleared), not a rounded small number
        return "0"
    ax = abs(x)
    if ax >= 100:
        return f"{x:,.0f}"
    if ax >= 1:
        return f"{x:.1f}"
    return f"{x:.2f}"

def summarize(daily: pd.DataFrame | Path | str, days: Sequence[int] | None = None) -> pd.DataFrame:
    """Median and 5–95 % range of the headline outcomes on days 30, 60, 90 and the last day.

    ``daily`` is a daily DataFrame or the path of a ``daily.parquet``; from a file only the
    needed rows and columns are read. Returns a long table with columns ``metric, label, day,
    date, n, median, p5, p95, mean`` (for the ceasefire share only ``mean`` is filled).
    """
    needed = sorted({c for _, _, cols, _ in HEADLINES for c in cols})
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
    for name, label, cols, kind in HEADLINES:
        if not all(c in df.columns for c in cols):
            continue
        for d in days:
            sel = df[df["day"] == d]
            if sel.empty:
                continue
            values = sel[list(cols)].astype(float).sum(axis=1).to_numpy()
            date = sel["date"].iloc[0] if "date" in sel else None
            row = {"metric": name, "label": label, "day": int(d), "date": date, "n": len(values)}
            if kind == "share":
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



__all__ = ["HEADLINES", "SUMMARY_DAYS", "fmt_number", "summarize", "write_summary_csv"]
