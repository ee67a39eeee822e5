"""Compare Monte Carlo batches: per-option summaries and differences against a baseline.

Methods (see ``docs/ANALYSIS.md``):

* per option, on day ``D``: median, mean with a 95 % confidence interval (Student *t* for
  continuous outcomes, Wilson score interval for probabilities), 5–95 % range over runs;
* against the baseline batch, when replicate seeds match (common random numbers, the default
  of ``wargame run``): the **paired** difference option − baseline on the matched seeds, its
  mean with a bootstrap 95 % CI (``scipy.stats.bootstrap``, BCa, 2,000 resamples, seeded), a
  paired *t*-test p-value, and the probability that the option does better than the baseline on
  the same seed (strictly; ties are reported separately);
* when seeds do not match, the **unpaired** difference of means with a bootstrap CI (independent
  resampling of both samples), Welch's *t*-test and Mann–Whitney U p-values, and the probability
  of superiority P(X_option > X_baseline) from U; a note says the comparison is unpaired;
* when the CI includes 0, a warning with the runs needed to separate a difference of the
  observed size at 5 % significance and 80 % power: paired ``n ≈ ((z₀.₉₇₅ + z₀.₈)·sd_d/δ)²``,
  unpaired ``n ≈ 2((z₀.₉₇₅ + z₀.₈)·s/δ)²`` per option.

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
    BOOT_SEED,
    N_RESAMPLES,
    bootstrap_ci,
    mean_ci,
    paired_stats,
    runs_needed,
    unpaired_stats,
    wilson_ci,
)
from sim.runner import MAIN, Results, load_results
from sim.runner import fmt_number as _fmt

# re-exported: the statistics used to live here
__all__ = [
    "BOOT_SEED", "COLUMNS", "METRICS", "N_RESAMPLES", "CompareError", "Comparison", "Metric",
    "bootstrap_ci", "compare", "horizon", "mean_ci", "option_label", "paired_stats",
    "outcome_values", "place_info", "read_table", "resolve_metrics", "runs_needed",
    "unique_labels", "unpaired_stats", "wilson_ci",
]


class CompareError(ValueError):
    """Batches cannot be compared (no batch, unknown metric, day beyond a horizon...)."""


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    columns: tuple[str, ...] = ()  # daily columns summed on day D
    kind: str = "value"  # value | prob | days
    ru_sign: int = 0  # +1 higher is better for Russia, -1 worse, 0 no direction
    unit: str = ""


#: The headline outcomes (the daily ones are read on day D).
METRICS: tuple[Metric, ...] = (
    Metric("kursk_ua_km2", "Kursk held by Ukraine", ("kursk_ua_km2",), ru_sign=-1, unit="km²"),
    Metric("donetsk_ru_gain_km2", "Donetsk gained by Russia", ("donetsk_ru_gain_km2",),
           ru_sign=+1, unit="km²"),
    Metric("ua_losses", "Ukrainian losses (killed+wounded+captured)",
           ("ua_killed", "ua_wounded", "ua_captured"), ru_sign=+1, unit="people"),
    Metric("ru_losses", "Russian losses (killed+wounded+captured)",
           ("ru_killed", "ru_wounded", "ru_captured"), ru_sign=-1, unit="people"),
    Metric("ua_ammo", "Ukrainian ammunition in stock", ("ua_ammo",), ru_sign=-1, unit="rounds"),
    Metric("ru_ammo", "Russian ammunition in stock", ("ru_ammo",), ru_sign=+1, unit="rounds"),
    Metric("ceasefire_started", "Ceasefire started by day D (share of runs)", kind="prob",
           ru_sign=0, unit="probability"),
    Metric("ceasefire_in_force", "Ceasefire in force on day D (share of runs)", ("ceasefire",),
           kind="prob", ru_sign=0, unit="probability"),
    Metric("ceasefire_day", "Days to ceasefire (no ceasefire counts as D)", kind="days",
           ru_sign=0, unit="days"),
    Metric("bargaining_value", "Ukraine's bargaining value", ("bargaining_value",), ru_sign=-1),
    Metric("ru_domestic_confidence", "Russian domestic confidence", ("ru_domestic_confidence",),
           ru_sign=+1),
)
#: Frozen lines when a ceasefire started (runs table; NaN in runs without a ceasefire).
CEASEFIRE_METRICS: tuple[Metric, ...] = (
    Metric("ceasefire_kursk_ua_km2", "Kursk held by Ukraine when the ceasefire started",
           kind="at_ceasefire", ru_sign=-1, unit="km²"),
    Metric("ceasefire_donetsk_ru_gain_km2",
           "Donetsk gained by Russia when the ceasefire started", kind="at_ceasefire",
           ru_sign=+1, unit="km²"),
)
METRIC_BY_NAME = {m.name: m for m in (*METRICS, *CEASEFIRE_METRICS)}
#: Old or ambiguous names: "ceasefire" meant "started by day D" here but "in force" in the
#: run summary, so it is refused with both names.
AMBIGUOUS = {"ceasefire": ("ceasefire_started", "ceasefire_in_force")}
#: Metrics whose medians pick the default day (see :func:`default_day`).
HEADLINE_DAY_METRICS = ("kursk_ua_km2", "donetsk_ru_gain_km2")

COLUMNS = [
    "metric", "label", "unit", "option", "file", "n", "median", "mean", "mean_lo", "mean_hi",
    "p5", "p95", "baseline", "paired", "n_pairs", "diff", "diff_lo", "diff_hi", "p_value", "test",
    "p_better", "p_tie", "p_worse", "ru_sign", "separable", "runs_needed", "param_share",
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
    f = res.manifest.scenario.file
    return Path(f).name if f else res.path.name


def horizon(res: Results) -> int:
    return res.days


def place_info(res: Results) -> dict[str, tuple[str, int]]:
    """slug → (place name, ru_sign): +1 when the place was Ukrainian-held on day 0 (a change
    of hands is a Russian capture), -1 when it was Russian-held."""
    from sim.space import load_map

    out: dict[str, tuple[str, int]] = {}
    try:
        scn = res.scenario
        for front in ("kursk", "donetsk"):
            fm = load_map(scn.map_path(front), getattr(scn.fronts, front).start_line)
            ua0 = fm.place_holder_ua(fm.zero_line())
            for pl, ua in zip(fm.places, ua0, strict=True):
                out[pl.slug] = (f"{pl.name} ({front})", +1 if ua else -1)
    except Exception:  # noqa: BLE001 - maps are optional for a comparison
        pass
    return out


def outcome_values(res: Results, metrics: Sequence[Metric], day: int) -> pd.DataFrame:
    """One row per finished run (index ``seed``), one column per metric, values on day D."""
    daily_cols = sorted({c for m in metrics for c in m.columns})
    runs_cols = [f"changed_{m.name[len('changed_'):]}_day" for m in metrics
                 if m.name.startswith("changed_")]
    if any(m.name in ("ceasefire_started", "ceasefire_day") for m in metrics):
        runs_cols.append("ceasefire_day")
    runs_cols += [m.name for m in metrics if m.kind == "at_ceasefire"]
    runs_df = read_table(res, "runs", runs_cols)
    out = pd.DataFrame({"run": runs_df["run"].to_numpy(), "seed": runs_df["seed"].to_numpy()})
    if daily_cols:
        daily = read_table(res, "daily", daily_cols, day=day).set_index("run")
        daily = daily.reindex(out["run"])
    for m in metrics:
        if m.columns:
            missing = [c for c in m.columns if c not in daily.columns]
            out[m.name] = np.nan if missing else daily[list(m.columns)].astype(float).sum(
                axis=1, min_count=1).to_numpy()
        elif m.kind == "at_ceasefire":
            # NaN where no ceasefire started (within the whole run: a frozen line is the same
            # on every day after the start, so the day compared does not matter)
            out[m.name] = runs_df[m.name].astype(float).to_numpy() if m.name in runs_df \
                else np.full(len(out), np.nan)
        elif m.name == "ceasefire_started":
            cd = runs_df["ceasefire_day"].astype(float).to_numpy() \
                if "ceasefire_day" in runs_df else np.full(len(out), np.nan)
            out[m.name] = (cd <= day).astype(float)
        elif m.name == "ceasefire_day":
            cd = runs_df["ceasefire_day"].astype(float).to_numpy() \
                if "ceasefire_day" in runs_df else np.full(len(out), np.nan)
            out[m.name] = np.where(cd <= day, cd, float(day))
        elif m.name.startswith("changed_"):
            col = f"{m.name}_day"
            cd = runs_df[col].astype(float).to_numpy() if col in runs_df \
                else np.full(len(out), np.nan)
            out[m.name] = (cd <= day).astype(float)
    return out.set_index("seed")


# --------------------------------------------------------------------------- comparison


@dataclass
class Comparison:
    """Result of :func:`compare`: a long table (one row per metric and option) plus notes."""

    table: pd.DataFrame
    day: int
    date: str
    baseline: str
    options: list[str]
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: per option: its one-line calibration status (``sim.analysis.status_line``)
    calibration: list[str] = field(default_factory=list)

    def to_csv(self) -> str:
        return self.table.to_csv(index=False, float_format="%.6g")

    def to_json(self) -> str:
        doc = {"day": self.day, "date": self.date, "baseline": self.baseline,
               "options": self.options, "notes": self.notes, "warnings": self.warnings,
               "calibration": self.calibration,
               "better_is": "from Russia's point of view (ru_sign: +1 higher is better for "
                            "Russia, -1 lower is better, 0 no direction)",
               "rows": json.loads(self.table.to_json(orient="records", double_precision=6))}
        return json.dumps(doc, indent=1, ensure_ascii=False)

    def display_rows(self) -> list[dict[str, str]]:
        """Human-readable cells (for the table, Markdown and HTML renderings)."""
        rows = []
        for r in self.table.itertuples(index=False):
            prob = r.unit == "probability"
            f = _fmt_prob if prob else _fmt
            is_base = r.option == self.baseline
            if is_base:
                delta = "baseline"
                better = ""
            else:
                sig = "" if r.separable else " ?"
                delta = f"{_signed(r.diff, prob)} [{_signed(r.diff_lo, prob)}, " \
                        f"{_signed(r.diff_hi, prob)}]{sig}"
                better = btw(r.p_better, r.p_tie, r.p_worse)
                if not r.ru_sign:
                    better = f"{better} (higher/tie/lower)"
            rows.append({
                "outcome": f"{r.label}" + (f" ({r.unit})" if r.unit and not prob else ""),
                "option": r.option,
                "n": str(r.n),
                "median": f(r.median),
                "mean [95 % CI]": f"{f(r.mean)} [{f(r.mean_lo)}, {f(r.mean_hi)}]",
                "5–95 %": f"{f(r.p5)} – {f(r.p95)}",
                "from params": "" if r.param_share != r.param_share
                               else f"{100 * r.param_share:.0f} %",
                "Δ vs baseline [95 % CI]": delta,
                BTW_HEADER: better,
                "test": "" if is_base else
                        f"{'paired' if r.paired else 'unpaired'}, p={_fmt_p(r.p_value)}",
            })
        return rows

    def compact_rows(self) -> list[tuple[str, list[dict[str, str]]]]:
        """For a terminal 80 columns wide: per outcome ``(title, rows)``, each cell stacked on
        up to three lines (the range under the median, the interval under the mean and the
        difference, the test under it) so that no number is wrapped; options without
        ``.yaml``."""
        out: list[tuple[str, list[dict[str, str]]]] = []
        for r in self.table.itertuples(index=False):
            prob = r.unit == "probability"
            f = _fmt_prob if prob else _fmt
            title = f"{r.label}" + (f" ({r.unit})" if r.unit and not prob else "")
            if not out or out[-1][0] != title:
                out.append((title, []))
            is_base = r.option == self.baseline
            if is_base:
                delta, share = "baseline", ""
            elif r.paired and r.n_pairs == 0:
                delta, share = "no matched\nruns with\na value", ""
            else:
                sig = " ?" if not r.separable else ""
                delta = (f"{_signed(r.diff, prob)}{sig}\n[{_signed(r.diff_lo, prob)}, "
                         f"{_signed(r.diff_hi, prob)}]\n"
                         f"{'paired' if r.paired else 'unpaired'} p={_fmt_p(r.p_value)}")
                share = btw(r.p_better, r.p_tie, r.p_worse).replace(" / ", "/")
                if not r.ru_sign:
                    share += "\n(higher/\ntie/lower)"
            out[-1][1].append({
                "option": f"{r.option.removesuffix('.yaml')}\nn={r.n}",
                "median\n5–95 %": (f"{f(r.median)}\n{f(r.p5)}–{f(r.p95)}"
                                   + (f"\n{100 * r.param_share:.0f} % params"
                                      if r.param_share == r.param_share else "")
                                   if r.n else "–"),
                "mean\n95 % CI": f"{f(r.mean)}\n[{f(r.mean_lo)}, {f(r.mean_hi)}]" if r.n else "–",
                "Δ vs baseline\n95 % CI, test": delta,
                "better/tie/\nworse (RU)": share,
            })
        return out

    def to_markdown(self) -> str:
        rows = self.display_rows()
        head = list(rows[0]) if rows else []
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(r[h].replace("|", "\\|") for h in head) + " |" for r in rows]
        text = "\n".join(lines)
        foot = [f"Day {self.day} ({self.date}); baseline {self.baseline}. "
                "Δ = option − baseline; '?' marks an interval that includes 0."]
        foot += [f"Calibration: {c}" for c in self.calibration]
        foot += [f"Note: {n}" for n in self.notes] + [f"Warning: {w}" for w in self.warnings]
        return text + "\n\n" + "\n".join(f"* {x}" for x in foot) + "\n"

    def to_html(self) -> str:
        import html

        rows = self.display_rows()
        if not rows:
            return "<p>No rows.</p>"
        head = list(rows[0])
        out = ["<table class='cmp'><thead><tr>"]
        out += [f"<th>{html.escape(h)}</th>" for h in head]
        out.append("</tr></thead><tbody>")
        for r in rows:
            cls = " class='base'" if r["Δ vs baseline [95 % CI]"] == "baseline" else ""
            out.append(f"<tr{cls}>" + "".join(f"<td>{html.escape(r[h])}</td>" for h in head)
                       + "</tr>")
        out.append("</tbody></table>")
        return "".join(out)


def _fmt_prob(x: float) -> str:
    return "–" if x is None or x != x else f"{100 * x:.0f} %"


def _fmt_share(x: float) -> str:
    return "–" if x is None or x != x else f"{100 * x:.0f} %"


BTW_HEADER = "better / tie / worse for Russia"


def btw(better: float, tie: float, worse: float) -> str:
    """``62 / 30 / 8 %``: shares of paired runs (or of run pairs, unpaired) in which the option
    does better than, as well as, or worse than the baseline (they add up to 100 % up to
    rounding)."""
    if better is None or better != better:
        return "–"
    return f"{100 * better:.0f} / {100 * tie:.0f} / {100 * worse:.0f} %"


def _signed(x: float, prob: bool) -> str:
    if x is None or x != x:
        return "–"
    s = f"{100 * x:+.0f} pp" if prob else ("+" if x > 0 else "") + _fmt(x)
    return s


CANDIDATE_DAYS = (30, 60, 90)


def default_day(batches: Sequence[Results], last: int) -> tuple[int, str]:
    """The day compared when none is given, and why.

    Candidates: days 30, 60, 90 (those before ``last``) and ``last``. On each, for Kursk held
    by Ukraine and Donetsk gained by Russia, the spread of the options' medians (max − min)
    is divided by the spread of all runs of all options (their 5–95 % range) and the two are
    added; the day with the largest score wins, the earliest on a tie. On the last day the
    Kursk salient is often gone in every option (0 km² everywhere), which hid the differences
    the options make earlier. One batch: the last day.
    """
    days = [d for d in CANDIDATE_DAYS if d < last] + [last]
    if len(batches) < 2 or len(days) < 2:
        return last, ""
    scores = []
    for d in days:
        score = 0.0
        for col in HEADLINE_DAY_METRICS:
            meds, pooled = [], []
            for r in batches:
                v = read_table(r, "daily", [col], day=d)
                x = v[col].to_numpy(dtype=float) if col in v else np.array([])
                x = x[np.isfinite(x)]
                if x.size:
                    meds.append(float(np.median(x)))
                    pooled.append(x)
            if len(meds) < 2:
                continue
            lo, hi = np.percentile(np.concatenate(pooled), [5, 95])
            if hi > lo:
                score += (max(meds) - min(meds)) / (hi - lo)
        scores.append(score)
    best = int(np.argmax(scores))  # first maximum: the earliest day on a tie
    why = ", ".join(f"day {d}: {sc:.2f}" for d, sc in zip(days, scores, strict=True))
    return days[best], (f"the day among {', '.join(map(str, days))} on which the options' "
                        "medians of Kursk held and Donetsk gained differ most relative to the "
                        f"spread of runs ({why}); choose another with --day")


def _fmt_p(p: float) -> str:
    if p != p:
        return "–"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def resolve_metrics(names: Sequence[str] | None, places: dict[str, tuple[str, int]],
                    available_places: Sequence[str]) -> list[Metric]:
    """The metrics to compare: the headline ones and every place that changed hands in some
    run (or exactly ``names``; a place is ``changed_<slug>``)."""
    def place_metric(slug: str) -> Metric:
        name, sign = places.get(slug, (slug.replace("_", " ").title(), 0))
        return Metric(f"changed_{slug}", f"{name} changed hands by day D", kind="prob",
                      ru_sign=sign, unit="probability")

    if not names:
        return [*METRICS, *(place_metric(s) for s in available_places)]
    out = []
    for n in names:
        if n in AMBIGUOUS:
            raise CompareError(f"metric {n!r} is ambiguous; use {' or '.join(AMBIGUOUS[n])} "
                               "(a ceasefire began by day D / one is in force on day D)")
        if n in METRIC_BY_NAME:
            out.append(METRIC_BY_NAME[n])
        elif n.startswith("changed_") or n in places:
            slug = n[len("changed_"):] if n.startswith("changed_") else n
            slug = slug[:-4] if slug.endswith("_day") else slug
            if slug not in places and slug not in available_places:
                raise CompareError(f"unknown place {slug!r}; known: {', '.join(sorted(places))}")
            out.append(place_metric(slug))
        else:
            known = ", ".join([*METRIC_BY_NAME, "changed_<place>"])
            raise CompareError(f"unknown metric {n!r}; known: {known}")
    return out


def compare(
    dirs: Sequence[Path | str | Results],
    baseline: Path | str | Results | None = None,
    day: int | None = None,
    metrics: Sequence[str] | None = None,
    *,
    n_resamples: int = N_RESAMPLES,
    seed: int = BOOT_SEED,
) -> Comparison:
    """Compare batch folders on day ``day`` (default: :func:`default_day`, the day among 30,
    60, 90 and the last common day on which the options differ most).

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
    day_note = ""
    if day is None:
        day, why = default_day(batches, last)
        day_note = f"Day {day} is {why}" if why else ""
    if not 0 <= day <= last:
        raise CompareError(f"day {day} is outside 0..{last} (the last day common to all "
                           "batches)")
    labels = unique_labels(batches)
    start = pd.Timestamp(batches[0].start_date)
    date = (start + pd.Timedelta(days=day)).date().isoformat()

    places = place_info(batches[0])
    changed: set[str] = set()
    if not metrics:
        for r in batches:
            names = pq.read_schema(r.path / "runs.parquet").names \
                if (r.path / "runs.parquet").exists() else []
            cols = [c for c in names if c.startswith("changed_") and c.endswith("_day")]
            if cols:
                df = read_table(r, "runs", cols)
                hit = (df[cols].astype(float) <= day).any(axis=0)
                changed.update(c[len("changed_"):-len("_day")] for c in hit[hit].index)
    order = [p for p in places if p in changed] + sorted(changed - set(places))
    mlist = resolve_metrics(metrics, places, order)

    values = [outcome_values(r, mlist, day) for r in batches]
    from sim.analysis.uncertainty import draw_groups, variance_split
    from sim.analysis.validation_status import status_line

    groups = [draw_groups(r.manifest) for r in batches]
    seed_run = [{e.seed: e.run for e in r.manifest.runs} for r in batches]
    base_vals = values[0]
    notes: list[str] = [day_note] if day_note else []
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
                             "unpaired (Welch t, Mann-Whitney U), which needs more runs")
            elif len(common) < min(len(vals), len(base_vals)):
                notes.append(f"{label}: paired on the {len(common)} seeds it shares with "
                             f"{labels[0]} (of {len(vals)} and {len(base_vals)} runs)")
        for m in mlist:
            x = vals[m.name].to_numpy(dtype=float)
            x = x[np.isfinite(x)]
            row: dict[str, Any] = {"metric": m.name, "label": m.label.replace("day D",
                                                                             f"day {day}"),
                                   "unit": m.unit, "option": label,
                                   "file": res.manifest.scenario.file or "",
                                   "n": int(x.size), "ru_sign": m.ru_sign,
                                   "baseline": labels[0]}
            if x.size:
                p5, med, p95 = np.percentile(x, [5, 50, 95])
            else:
                p5 = med = p95 = math.nan
            if m.kind == "prob":
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
                st = paired_stats(a[ok], b[ok], n_resamples=n_resamples, seed=seed)
            else:
                y = base_vals[m.name].to_numpy(dtype=float)
                st = unpaired_stats(x, y[np.isfinite(y)], n_resamples=n_resamples, seed=seed)
            if m.ru_sign >= 0:
                pb, pw = st["p_higher"], st["p_lower"]
            else:
                pb, pw = st["p_lower"], st["p_higher"]
            separable = not (st["diff_lo"] <= 0 <= st["diff_hi"]) or (
                st["diff_lo"] == st["diff_hi"] == 0)
            need = math.nan
            if not separable:
                need = runs_needed(st["sd"], st["diff"], paired=st["paired"])
                have = st["n_pairs"] if st["paired"] else min(x.size, len(base_vals))
                need_txt = "no difference at all in these runs" if math.isinf(need) else \
                    f"about {need:,} runs per option would be needed to separate a " \
                    f"difference of this size ({_signed(st['diff'], m.kind == 'prob')}) at " \
                    f"5 % significance with 80 % power (have {have})"
                warns.append(f"{m.label.replace('day D', f'day {day}')}: {label} vs "
                             f"{labels[0]}: the 95 % CI of the difference "
                             f"[{_signed(st['diff_lo'], m.kind == 'prob')}, "
                             f"{_signed(st['diff_hi'], m.kind == 'prob')}] includes 0; "
                             f"{need_txt}")
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
    calib = [f"{lab}: {status_line(r)}" for lab, r in zip(labels, batches, strict=True)]
    if len({c.split(": ", 1)[1] for c in calib}) == 1:
        calib = [calib[0].split(": ", 1)[1]]
    return Comparison(table=table, day=int(day), date=date, baseline=labels[0], options=labels,
                      notes=notes, warnings=warns, calibration=calib)


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
