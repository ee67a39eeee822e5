"""The run summary of one batch (what ``wargame run`` prints): the daily outcomes on days 30,
60, 90 and the last, the parameters' share of their variance, and the calibration status.

:func:`run_summary` reads a batch folder once; :class:`RunSummary` renders it as plain text
within 80 columns (``to_text``), Markdown or a DataFrame, the same cells everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sim.analysis.uncertainty import draw_groups, variance_split
from sim.analysis.validation_status import status_line
from sim.runner import (
    DAILY_OUTCOMES,
    OUTCOME_BY_NAME,
    SUMMARY_DAYS,
    Results,
    columns_needed,
    compute_outcome,
    fmt_number,
    fmt_percent,
    load_results,
    summarize,
    wrap,
)

__all__ = ["RunSummary", "param_shares", "run_summary"]


def param_shares(res: Results, daily: pd.DataFrame) -> dict[tuple[str, int], float]:
    """Share of each level outcome's variance from the parameter draws, per (outcome, day) of
    ``daily`` (rows of the days wanted; empty for a batch without posterior draws)."""
    groups = draw_groups(res.manifest)
    if not any(g is not None for g in groups.values()):
        return {}
    out = {}
    for o in DAILY_OUTCOMES:
        if o.is_share or not all(c in daily for c in o.columns):
            continue
        for d in sorted(set(daily["day"].tolist())):
            sel = daily[daily["day"] == d]
            out[(o.name, d)] = variance_split(compute_outcome(o, sel, sel, d),
                                              [groups.get(int(r)) for r in sel["run"]]
                                              ).param_share
    return out


@dataclass
class RunSummary:
    """Median and 5–95 % range of the daily outcomes of one batch on a few days."""

    title: str
    #: :func:`sim.runner.summarize`'s long table (metric, label, day, date, n, median, ...)
    table: pd.DataFrame
    #: (outcome, day) → share of its variance from the parameter draws (empty: fixed values)
    shares: dict[tuple[str, int], float]
    status: str

    def to_frame(self) -> pd.DataFrame:
        out = self.table.copy()
        out["param_share"] = [self.shares.get((m, d), float("nan"))
                              for m, d in zip(out["metric"], out["day"], strict=True)]
        return out

    def days(self) -> list[tuple[int, str]]:
        t = self.table.drop_duplicates("day")
        return [(int(d), str(date)) for d, date in zip(t["day"], t["date"], strict=True)]

    def rows(self) -> list[tuple[str, list[list[str]]]]:
        """Per outcome ``(heading, lines)``: ``["median", cells...]`` and ``["5–95 %",
        cells...]`` (a share: one line of percentages; a range where every run agrees: none)."""
        out = []
        for name, g in self.table.groupby("metric", sort=False):
            o = OUTCOME_BY_NAME[name]
            g = g.set_index("day")
            days = [d for d, _ in self.days()]
            if o.is_share:
                lines = [["share of runs", *(fmt_percent(g["mean"].get(d)) for d in days)]]
            else:
                lines = [["median", *(fmt_number(g["median"].get(d)) for d in days)]]
                ranges = [_range(g["p5"].get(d), g["p95"].get(d)) for d in days]
                if any(ranges):
                    lines.append(["5–95 %", *ranges])
            out.append((o.heading(), lines))
        return out

    def foot(self) -> list[str]:
        lines = ["Median and 5–95 % range over runs."]
        last = self.days()[-1][0] if len(self.table) else None
        shares = [(OUTCOME_BY_NAME[m].label, v) for (m, d), v in self.shares.items()
                  if d == last and v == v]
        if shares:
            lines.append(f"Share of the variance from the parameter draws on day {last} (the "
                         "rest: the dice): "
                         + ", ".join(f"{lab} {fmt_percent(v)}" for lab, v in shares) + ".")
        return [*lines, self.status]

    def to_text(self, width: int = 80) -> str:
        days = self.days()
        cw = max(8, min(15, (width - 16) // max(len(days), 1) - 1))
        out = [self.title, f"{'':16}" + "".join(f" {f'day {d}':>{cw}}" for d, _ in days),
               f"{'':16}" + "".join(f" {date:>{cw}}" for _, date in days)]
        for heading, lines in self.rows():
            out.append(heading[:width])
            out += [f"  {cells[0]:<14}" + "".join(f" {c:>{cw}}" for c in cells[1:])
                    for cells in lines]
        for f in self.foot():
            out += wrap(f, width)
        return "\n".join(out) + "\n"

    def to_markdown(self) -> str:
        days = self.days()
        head = ["outcome", "", *(f"day {d} ({date})" for d, date in days)]
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for heading, rows in self.rows():
            lines += [f"| {heading if i == 0 else ''} | " + " | ".join(cells) + " |"
                      for i, cells in enumerate(rows)]
        return f"**{self.title}**\n\n" + "\n".join(lines) + "\n\n" + "\n".join(
            f"* {f}" for f in self.foot()) + "\n"


def _range(lo: float | None, hi: float | None) -> str:
    """``1,234–5,678``; empty where every run agrees to the digits shown."""
    a, b = fmt_number(lo), fmt_number(hi)
    return "" if a == b else f"{a}–{b}"


def run_summary(folder: Path | str | Results, title: str | None = None) -> RunSummary:
    """The summary of a batch folder on days 30, 60, 90 (those before its last day) and its
    last day, from one read of ``daily.parquet``."""
    res = folder if isinstance(folder, Results) else load_results(folder)
    path = res.path / "daily.parquet"
    last = pc.max(pq.read_table(path, columns=["day"]).column("day")).as_py()
    days = [d for d in SUMMARY_DAYS if d < last] + [last]
    names = set(pq.read_schema(path).names)
    needed, _ = columns_needed(DAILY_OUTCOMES)
    daily = pq.read_table(path, columns=["run", "day", "date", *(c for c in needed if c in names)],
                          filters=[("day", "in", days)]).to_pandas()
    done = len(res.done_runs())
    return RunSummary(title or f"{res.name}: {done} runs", summarize(daily, days),
                      param_shares(res, daily), status_line(res))
