"""Compare Monte Carlo batches: per-option summaries and differences against a baseline.

Methods (see ``docs/ANALYSIS.md``):

* per option, on day ``D``: median, mean with a 95 % confidence interval (Student *t* for
  continuous outcomes, Wilson score interval for probabilities), 5–95 % range over runs;
* against the baseline batch, when replicate seeds match (common random numbers, the default
  of ``wargame run``): the **paired** difference option − baseline on the matched seeds, its
  mean with the 95 % CI and the p-value of one paired *t*-test (so the interval excludes 0
  exactly when p < 0.05), and the share of seeds on which the option does better than the
  baseline (strictly; ties are reported separately);
* when seeds do not match, the **unpaired** difference of means with Welch's *t* interval and
  p-value (Mann–Whitney U's p-value in the CSV/JSON only), and the probability of superiority
  P(X_option > X_baseline); a note says the comparison is unpaired;
* when the CI includes 0, one warning line with the runs needed to separate differences of the
  observed sizes at 5 % significance and 80 % power: paired ``n ≈ ((z₀.₉₇₅ + z₀.₈)·sd_d/δ)²``,
  unpaired ``n ≈ 2((z₀.₉₇₅ + z₀.₈)·s/δ)²`` per option (column ``runs_needed``).

The day compared is the last day common to all batches unless ``day`` is given; every
rendering says which and why.

"Better" is judged **from Russia's point of view** (the options are Russia's): each metric says
whether a higher value is better for Russia (``+1``), worse (``-1``) or neither (``0``, e.g. the
probability of a ceasefire, for which only P(higher) is given).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from sim.analysis.stats import (
    mean_ci,
    paired_stats,
    runs_needed,
    unpaired_stats,
    wilson_ci,
)
from sim.runner import (
    HEADLINE_OUTCOMES,
    MAIN,
    OUTCOME_BY_NAME,
    PLACE_PREFIX,
    Outcome,
    Results,
    columns_needed,
    compute_outcome,
    fmt_number,
    fmt_percent,
    load_results,
    percent,
    place_outcome,
    wrap,
)
from sim.scenario import relative_path

# re-exported: the statistics used to live here
__all__ = [
    "COLUMNS", "GRID_HEAD", "CompareError", "Comparison", "btw", "compare", "date_of", "horizon",
    "mean_ci",
    "option_label", "outcome_values", "paired_stats", "place_info", "read_table",
    "resolve_outcomes", "runs_needed", "unique_labels", "unpaired_stats", "wilson_ci",
]


class CompareError(ValueError):
    """Batches cannot be compared (no batch, unknown metric, day beyond a horizon...)."""


COLUMNS = [
    "metric", "label", "unit", "kind", "option", "file", "n", "median", "mean", "mean_lo",
    "mean_hi", "p5", "p95", "baseline", "paired", "n_pairs", "diff", "diff_lo", "diff_hi",
    "p_value", "test", "p_better", "p_tie", "p_worse", "ru_sign", "separable", "runs_needed",
    "param_share",
]


# --------------------------------------------------------------------------- data


def read_table(res: Results, table: str, columns: Sequence[str],
               day: int | None = None) -> pd.DataFrame:
    """Only ``columns`` (and only day ``day``) of a batch table, finished runs only."""
    names = set(pq.read_schema(res.path / f"{table}.parquet").names) \
        if (res.path / f"{table}.parquet").exists() else set()
    cols = list(dict.fromkeys(["run", "seed", *(["day"] if day is not None else []), *columns]))
    parts = {r.part for r in res.manifest.done_runs()}
    if parts == {MAIN} and names:
        cols = [c for c in cols if c in names]
        filters = [("day", "=", int(day))] if day is not None else None
        df = pq.read_table(res.path / f"{table}.parquet", columns=cols,
                           filters=filters).to_pandas()
    else:
        df = res.table(table)
        df = df[[c for c in cols if c in df.columns]]
        if day is not None:
            df = df[df["day"] == day]
    return df.reset_index(drop=True)


def option_label(res: Results) -> str:
    """How figures and tables name an option: its scenario's name (``reinforce``), else its
    scenario file."""
    if res.name:
        return res.name
    f = res.scenario_file
    return f.name if f else res.path.name


def horizon(res: Results) -> int:
    return res.days


def date_of(res: Results, day: int) -> str:
    """The ISO date of day ``day`` of a batch (its scenario's start date + ``day``; a batch
    written before manifests recorded it started on the schema's default)."""
    start = pd.Timestamp(res.start_date)
    return (start + pd.Timedelta(days=day)).date().isoformat()


def place_info(res: Results) -> dict[str, tuple[str, int]]:
    """slug → (place name, ru_sign): +1 when the place was Ukrainian-held on day 0 (a change
    of hands is a Russian capture), -1 when it was Russian-held."""

    out: dict[str, tuple[str, int]] = {}
    try:
        scn = res.scenario
        for front in ("kursk", "donetsk"):
            fm = scn.front_map(front)
            ua0 = fm.place_holder_ua(fm.zero_line())
            for pl, ua in zip(fm.places, ua0, strict=True):
                out[pl.slug] = (f"{pl.name} ({front})", +1 if ua else -1)
    except (OSError, ValueError):  # maps are optional for a comparison: a moved or damaged
        pass                       # map (MapError, ScenarioError, ResultsError) drops the names
    return out


def outcome_values(res: Results, outcomes: Sequence[Outcome], day: int) -> pd.DataFrame:
    """One row per finished run (index ``seed``), one column per outcome, values on day D."""
    daily_cols, runs_cols = columns_needed(outcomes)
    runs_df = read_table(res, "runs", runs_cols)
    daily = read_table(res, "daily", daily_cols, day=day).set_index("run") \
        .reindex(runs_df["run"]).reset_index(drop=True) if daily_cols else pd.DataFrame()
    out = pd.DataFrame({"seed": runs_df["seed"].to_numpy()})
    for o in outcomes:
        out[o.name] = compute_outcome(o, daily, runs_df, day)
    return out.set_index("seed")


# --------------------------------------------------------------------------- comparison


@dataclass
class Comparison:
    """Result of :func:`compare`: a long table (one row per outcome and option) plus notes.

    ``to_frame()`` is that table; ``to_text()`` (80 columns), ``to_markdown()`` and
    ``to_html()`` show the same cells; ``to_csv()`` / ``to_json()`` every column."""

    table: pd.DataFrame
    day: int
    date: str
    #: why this day: "the last day common to all batches" or "chosen with --day"
    day_rule: str
    baseline: str
    options: list[str]
    notes: list[str] = field(default_factory=list)
    #: at most one line: the differences the runs cannot separate, folded together
    warnings: list[str] = field(default_factory=list)
    #: per option: its one-line calibration status (``sim.analysis.status_line``)
    calibration: list[str] = field(default_factory=list)
    #: one line: the share of the territorial outcomes' variance from the parameter draws
    param_shares: str = ""

    @property
    def heading(self) -> str:
        return (f"Outcomes on day {self.day} ({self.date}), {self.day_rule}; baseline "
                f"{self.baseline}")

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def to_csv(self) -> str:
        return self.table.to_csv(index=False, float_format="%.6g")

    def to_json(self) -> str:
        doc = {"day": self.day, "date": self.date, "day_rule": self.day_rule,
               "baseline": self.baseline, "options": self.options, "notes": self.notes,
               "warnings": self.warnings, "calibration": self.calibration,
               "param_shares": self.param_shares,
               "better_is": "from Russia's point of view (ru_sign: +1 higher is better for "
                            "Russia, -1 lower is better, 0 no direction)",
               "rows": json.loads(self.table.to_json(orient="records", double_precision=6))}
        return json.dumps(doc, indent=1, ensure_ascii=False)

    def cells(self) -> list[tuple[str, list[dict[str, str]]]]:
        """Per outcome ``(title, rows)``: the human-readable cells every rendering shows."""
        out: list[tuple[str, list[dict[str, str]]]] = []
        runs = self.table.groupby("option", sort=False)["n"].max()
        for r in self.table.itertuples(index=False):
            share = r.kind == "share"
            title = r.label + ("" if share or not r.unit else f" ({r.unit})")
            if not r.ru_sign:
                title += " [higher/tie/lower]"
            if not out or out[-1][0] != title:
                out.append((title, []))
            if r.option == self.baseline:
                delta, p, btw_ = "baseline", "", ""
            elif r.n_pairs == 0 and r.paired:
                delta, p, btw_ = "no matched runs", "", ""
            else:
                delta = f"{_signed(r.diff, share)} ± {_half(r.diff_lo, r.diff_hi, share)}"
                p = _fmt_p(r.p_value)
                btw_ = btw(r.p_better, r.p_tie, r.p_worse)
            option = r.option if r.n == runs[r.option] else f"{r.option} (n={r.n})"
            out[-1][1].append({"option": option, "level": _level(r), "delta": delta, "p": p,
                               "btw": btw_})
        return out

    def foot(self) -> list[str]:
        """The lines under the table: how to read it, calibration, parameters, notes."""
        test = "paired t on matched seeds" if self.table["paired"].any() else "Welch t"
        lines = [f"Level: median [5–95 % of runs]; a share: its value [Wilson 95 % CI]. "
                 f"Δ: mean of option − baseline ± its 95 % CI, and p, from one test ({test}). "
                 "RU b/t/w: better/tie/worse, the shares of runs in which the option does better "
                 "than, as well as or worse than the baseline from Russia's view ([higher/tie/"
                 "lower] where neither side's aim)."]
        lines += [f"Calibration: {c}" for c in self.calibration]
        lines += [self.param_shares] if self.param_shares else []
        return lines + [f"Note: {n}" for n in self.notes]

    def to_text(self, width: int = 80) -> str:
        """Plain text at most ``width`` columns wide (longer foot lines are wrapped)."""
        groups = self.cells()
        opt_w = min(16, max([len("option"), *(len(c["option"]) for _, rows in groups
                                                for c in rows)]))
        widths = {"level": 23, "delta": 17, "p": 6, "btw": 10}
        head = (f"{'':{opt_w + 3}}{'median [5–95 %]':<{widths['level']}} "
                f"{'Δ ± 95 % CI':>{widths['delta']}} {'p':>{widths['p']}} "
                f"{'RU b/t/w':>{widths['btw']}}")
        lines = [*wrap(self.heading, width), head]
        for title, rows in groups:
            lines.append(title[:width])
            for c in rows:
                opt = c["option"] if len(c["option"]) <= opt_w else c["option"][:opt_w - 1] + "…"
                lines.append(f"  {opt:<{opt_w}} {c['level']:<{widths['level']}} "
                             f"{c['delta']:>{widths['delta']}} {c['p']:>{widths['p']}} "
                             f"{c['btw']:>{widths['btw']}}".rstrip())
        for f in [*self.foot(), *(f"Warning: {w}" for w in self.warnings)]:
            lines += wrap(f, width)
        return "\n".join(lines) + "\n"

    def grid(self) -> list[list[str]]:
        """The cells as rows under :data:`GRID_HEAD` (Markdown, HTML, the app)."""
        return [[title, c["option"], c["level"], c["delta"], c["p"], c["btw"]]
                for title, rows in self.cells() for c in rows]

    def to_markdown(self) -> str:
        lines = ["| " + " | ".join(GRID_HEAD) + " |", "|" + "---|" * len(GRID_HEAD)]
        lines += ["| " + " | ".join(x.replace("|", "\\|") for x in row) + " |"
                  for row in self.grid()]
        foot = [self.heading, *self.foot(), *(f"Warning: {w}" for w in self.warnings)]
        return "\n".join(lines) + "\n\n" + "\n".join(f"* {x}" for x in foot) + "\n"

    def to_html(self) -> str:
        import html

        out = [f"<table class='cmp'><caption>{html.escape(self.heading)}</caption><thead><tr>"]
        out += [f"<th>{html.escape(h)}</th>" for h in GRID_HEAD]
        out.append("</tr></thead><tbody>")
        for row in self.grid():
            cls = " class='base'" if row[3] == "baseline" else ""
            out.append(f"<tr{cls}>" + "".join(f"<td>{html.escape(x)}</td>" for x in row)
                       + "</tr>")
        out.append("</tbody></table>")
        return "".join(out)


BTW_HEADER = "better / tie / worse for Russia"
GRID_HEAD = ("outcome", "option", "median [5–95 %] or share [95 % CI]", "Δ ± 95 % CI", "p",
             BTW_HEADER)


def btw(better: float, tie: float, worse: float) -> str:
    """``62/30/8 %``: shares of paired runs (or of run pairs, unpaired) in which the option
    does better than, as well as, or worse than the baseline (each rounded by
    :func:`sim.runner.percent`)."""
    if better is None or better != better:
        return "–"
    return f"{percent(better)}/{percent(tie)}/{percent(worse)} %"


def _level(r: Any) -> str:
    """``1,234 [0–5,678]`` (median [5–95 %]), ``73 % [66–79 %]`` for a share, one value when
    every run has it (``0``, not ``0 [0–0]``)."""
    if not r.n:
        return "–"
    if r.kind == "share":
        return f"{fmt_percent(r.mean)} [{percent(r.mean_lo)}–{percent(r.mean_hi)} %]"
    if r.p5 == r.p95:
        return fmt_number(r.median)
    return f"{fmt_number(r.median)} [{fmt_number(r.p5)}–{fmt_number(r.p95)}]"


def _signed(x: float, share: bool) -> str:
    if x is None or x != x:
        return "–"
    if share:
        return f"{percent(x) if x >= 0 else -percent(-x):+d} pp"
    return ("+" if x > 0 else "") + fmt_number(x)


def _half(lo: float, hi: float, share: bool) -> str:
    """Half the width of a symmetric (t) interval."""
    if lo != lo or hi != hi:
        return "–"
    h = (hi - lo) / 2
    return f"{percent(h)} pp" if share else fmt_number(h)


def _fmt_p(p: float) -> str:
    if p != p:
        return "–"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def resolve_outcomes(names: Sequence[str] | None, places: dict[str, tuple[str, int]],
                     available_places: Sequence[str]) -> list[Outcome]:
    """The outcomes to compare: the headline ones and every place that changed hands in some
    run (or exactly ``names``; a place is ``changed_<slug>``)."""
    def for_place(slug: str) -> Outcome:
        name, sign = places.get(slug, (None, 0))
        return place_outcome(slug, name, sign)

    if not names:
        return [*HEADLINE_OUTCOMES, *(for_place(s) for s in available_places)]
    out = []
    for n in names:
        if n in OUTCOME_BY_NAME:
            out.append(OUTCOME_BY_NAME[n])
        elif n.startswith(PLACE_PREFIX) or n in places:
            slug = n.removeprefix(PLACE_PREFIX).removesuffix("_day")
            if slug not in places and slug not in available_places:
                raise CompareError(f"unknown place {slug!r}; known: {', '.join(sorted(places))}")
            out.append(for_place(slug))
        else:
            known = ", ".join([*OUTCOME_BY_NAME, f"{PLACE_PREFIX}<place>"])
            raise CompareError(f"unknown metric {n!r}; known: {known}")
    return out


def compare(
    dirs: Sequence[Path | str | Results],
    baseline: Path | str | Results | None = None,
    day: int | None = None,
    metrics: Sequence[str] | None = None,
    *,
    places: bool = False,
) -> Comparison:
    """Compare batch folders on day ``day`` (default: the last day common to all of them).

    Outcomes: ``metrics`` (names of :data:`sim.runner.OUTCOME_BY_NAME` or ``changed_<place>``),
    else the headline outcomes, and with ``places`` every place taken by one side in some run.
    The baseline is ``baseline`` (added if not among ``dirs``) or the first folder.
    """
    batches = [d if isinstance(d, Results) else load_results(d) for d in dirs]
    if baseline is not None:
        b = baseline if isinstance(baseline, Results) else load_results(baseline)
        idx = next((i for i, r in enumerate(batches)
                    if r.path.resolve() == b.path.resolve()), None)
        if idx is None:
            batches.insert(0, b)
        else:
            batches.insert(0, batches.pop(idx))
    if not batches:
        raise CompareError("no batch folder given")
    for r in batches:
        if not r.done_runs():
            raise CompareError(f"{r.path}: no finished runs")
    last = min(horizon(r) for r in batches)
    day_rule = "chosen with --day" if day is not None else (
        "the last day of the batch" if len(batches) == 1 else
        "the last day common to all batches")
    day = last if day is None else day
    if not 0 <= day <= last:
        raise CompareError(f"day {day} is outside 0..{last} (the last day common to all "
                           "batches)")
    labels = unique_labels(batches)
    date = date_of(batches[0], day)

    known = place_info(batches[0])
    changed: set[str] = set()
    if not metrics and places:
        for r in batches:
            names = pq.read_schema(r.path / "runs.parquet").names \
                if (r.path / "runs.parquet").exists() else []
            cols = [c for c in names if c.startswith(PLACE_PREFIX) and c.endswith("_day")]
            if cols:
                df = read_table(r, "runs", cols)
                hit = (df[cols].astype(float) <= day).any(axis=0)
                changed.update(c[len(PLACE_PREFIX):-len("_day")] for c in hit[hit].index)
    order = [p for p in known if p in changed] + sorted(changed - set(known))
    mlist = resolve_outcomes(metrics, known, order)

    values = [outcome_values(r, mlist, day) for r in batches]
    from sim.analysis.uncertainty import draw_groups, variance_split
    from sim.analysis.validation_status import status_line

    groups = [draw_groups(r.manifest) for r in batches]
    seed_run = [{e.seed: e.run for e in r.manifest.runs} for r in batches]
    base_vals = values[0]
    notes: list[str] = []
    warns: list[str] = start_date_warnings(batches, labels)
    rows = []
    for k, (res, label, vals) in enumerate(zip(batches, labels, values, strict=True)):
        is_base = res is batches[0]
        grp = [groups[k].get(int(seed_run[k].get(sd, -1))) for sd in vals.index]
        common = base_vals.index.intersection(vals.index)
        paired = not is_base and len(common) >= 2
        if not is_base:
            if not paired:
                notes.append(f"{label}: replicate seeds do not match {labels[0]}'s; compared "
                             "unpaired (Welch t), which needs more runs")
            elif len(common) < min(len(vals), len(base_vals)):
                notes.append(f"{label}: paired on the {len(common)} seeds it shares with "
                             f"{labels[0]} (of {len(vals)} and {len(base_vals)} runs)")
        f = res.scenario_file
        source = relative_path(f, Path.cwd()) if f else ""  # from here, not absolute
        for m in mlist:
            x = vals[m.name].to_numpy(dtype=float)
            x = x[np.isfinite(x)]
            row: dict[str, Any] = {"metric": m.name, "label": m.label_on(day),
                                   "unit": m.unit, "kind": m.kind, "option": label,
                                   "file": source,
                                   "n": int(x.size), "ru_sign": m.ru_sign,
                                   "baseline": labels[0]}
            if x.size:
                p5, med, p95 = np.percentile(x, [5, 50, 95])
            else:
                p5 = med = p95 = math.nan
            if m.is_share:
                mean, lo, hi = wilson_ci(int(x.sum()), int(x.size))
            else:
                mean, lo, hi = mean_ci(x)
            row.update(median=med, mean=mean, mean_lo=lo, mean_hi=hi, p5=p5, p95=p95,
                       param_share=variance_split(vals[m.name].to_numpy(dtype=float),
                                                  grp).param_share)
            if is_base:
                row.update(paired=False, n_pairs=0, diff=math.nan, diff_lo=math.nan,
                           diff_hi=math.nan, p_value=math.nan, test="", p_better=math.nan,
                           p_tie=math.nan, p_worse=math.nan, separable=True,
                           runs_needed=math.nan)
                rows.append(row)
                continue
            if paired:
                a = vals.loc[common, m.name].to_numpy(dtype=float)
                b = base_vals.loc[common, m.name].to_numpy(dtype=float)
                ok = np.isfinite(a) & np.isfinite(b)
                st = paired_stats(a[ok], b[ok])
            else:
                y = base_vals[m.name].to_numpy(dtype=float)
                st = unpaired_stats(x, y[np.isfinite(y)])
            if m.ru_sign >= 0:
                pb, pw = st["p_higher"], st["p_lower"]
            else:
                pb, pw = st["p_lower"], st["p_higher"]
            separable = not (st["diff_lo"] <= 0 <= st["diff_hi"]) or (
                st["diff_lo"] == st["diff_hi"] == 0)
            need = math.nan if separable else runs_needed(st["sd"], st["diff"],
                                                          paired=st["paired"])
            row.update(paired=st["paired"], n_pairs=st["n_pairs"], diff=st["diff"],
                       diff_lo=st["diff_lo"], diff_hi=st["diff_hi"], p_value=st["p_value"],
                       test=st["test"], p_better=pb if m.ru_sign else st["p_higher"],
                       p_tie=st["p_tie"], p_worse=pw if m.ru_sign else st["p_lower"],
                       separable=separable,
                       runs_needed=need)
            rows.append(row)
    table = pd.DataFrame(rows, columns=COLUMNS)
    # group by metric, options in the order given
    table["_m"] = table["metric"].map({m.name: i for i, m in enumerate(mlist)})
    table = table.sort_values(["_m"], kind="stable").drop(columns="_m").reset_index(drop=True)
    shares_txt = param_share_line(table, labels)
    calib = [f"{lab}: {status_line(r)}" for lab, r in zip(labels, batches, strict=True)]
    if len({c.split(": ", 1)[1] for c in calib}) == 1:
        calib = [calib[0].split(": ", 1)[1]]
    return Comparison(table=table, day=int(day), date=date, day_rule=day_rule,
                      baseline=labels[0], options=labels, notes=notes,
                      warnings=[*warns, *unseparated(table)], calibration=calib,
                      param_shares=shares_txt)


def param_share_line(table: pd.DataFrame, labels: Sequence[str],
                     names: Sequence[str] = ("kursk_ua_km2", "donetsk_ru_gain_km2")) -> str:
    """One line: the share of each territorial outcome's variance that comes from the
    parameter draws, per option in order (empty without parameter draws)."""
    if not table["param_share"].notna().any():
        return ""
    parts = []
    for name in names:
        sel = table[table["metric"] == name].set_index("option")["param_share"]
        if len(sel):
            vals = [percent(sel[lab]) if lab in sel and sel[lab] == sel[lab] else "–"
                    for lab in labels]
            parts.append(f"{OUTCOME_BY_NAME[name].label} {'/'.join(map(str, vals))} %")
    return ("Share of the variance from the parameter draws (the rest: the dice), options in "
            f"order: {'; '.join(parts)} (every outcome: --format csv, column param_share)")


def unseparated(table: pd.DataFrame) -> list[str]:
    """One line (or none) for the differences whose 95 % CI includes 0, with the runs per
    option that would separate them (5 % significance, 80 % power; ``runs_needed``)."""
    sel = table[~table["separable"].astype(bool)]
    if sel.empty:
        return []
    need = sel["runs_needed"].to_numpy(dtype=float)
    need = need[np.isfinite(need)]
    what = f"{len(sel)} of {int(table['diff'].notna().sum())} differences have a 95 % CI " \
           "that includes 0"
    if not need.size:
        return [f"{what}: no difference at all in these runs"]
    span = f"{int(need.min()):,}" if need.min() == need.max() else \
        f"{int(need.min()):,} to {int(need.max()):,}"
    return [f"{what}; separating one of that size would take about {span} runs per option "
            "(column runs_needed of --format csv)"]


def start_date_warnings(batches: Sequence[Results], labels: Sequence[str]) -> list[str]:
    """A warning when the batches start on different dates (a 2024 hindcast beside a 2025
    option): day D is then a different date, and a different war, in each."""
    starts = {lab: str(r.start_date) for lab, r in
              zip(labels, batches, strict=True)}
    if len(set(starts.values())) < 2:
        return []
    return ["the batches start on different dates ("
            + ", ".join(f"{lab}: {d}" for lab, d in starts.items())
            + "): day D is a different date in each, so a hindcast and an option are "
            "compared at different moments of the war"]


def unique_labels(batches: Sequence[Results]) -> list[str]:
    labels = [option_label(r) for r in batches]
    if len(set(labels)) < len(labels):
        labels = [f"{lab} ({r.path.name})" for lab, r in zip(labels, batches, strict=True)]
    if len(set(labels)) < len(labels):
        labels = [f"{lab} [{i}]" for i, lab in enumerate(labels)]
    return labels
