"""Robustness of the options: regret against the best option on the same replicate, and
satisficing shares (``wargame compare --robustness``; see ``docs/ANALYSIS.md``).

Each side has objectives (an outcome and whether more is better for that side):

* Russia: Donetsk gained ↑, Kursk held by Ukraine ↓, Russian losses ↓, Russian domestic
  confidence ↑;
* Ukraine, the mirror: Donetsk gained by Russia ↓, Kursk held by Ukraine ↑, Ukrainian
  losses ↓, Ukraine's bargaining value ↑ (the model has no Ukrainian domestic confidence; the
  bargaining value is its political counterpart).

Replicate *i* of every option uses the same seed (common random numbers), so on replicate
*i* each option faces the same luck. The **regret** of option *o* on replicate *i* for an
objective is how much worse *o* did than the best option on that replicate:
``max_o' s·x[i, o'] − s·x[i, o]`` (``s`` = +1 when more is better, −1 when less is), in the
outcome's unit, ≥ 0. Per option and objective: mean, 90th percentile and maximum over the
replicates, and the options minimising the worst-case (minimax) and the 90th-percentile
regret. Only replicates whose seed every option ran, with a value for every option, count.

**Satisficing**: the share of an option's runs whose outcome meets a threshold such as
``donetsk_ru_gain_km2>=800`` (operators ``>=``, ``<=``, ``>``, ``<``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.comparison import (
    CompareError,
    date_of,
    horizon,
    outcome_values,
    start_date_warnings,
    unique_labels,
)
from sim.runner import OUTCOME_BY_NAME, Results, fmt_number, fmt_percent, load_results, wrap

#: side → the outcomes it wants; more is better for Russia where the outcome's ``ru_sign`` is
#: +1 and for Ukraine where it is -1.
OBJECTIVES: dict[str, tuple[str, ...]] = {
    "Russia": ("donetsk_ru_gain_km2", "kursk_ua_km2", "ru_losses", "ru_domestic_confidence"),
    "Ukraine": ("donetsk_ru_gain_km2", "kursk_ua_km2", "ua_losses", "bargaining_value"),
}


def direction(side: str, metric: str) -> int:
    """+1 when more of ``metric`` is better for ``side``, -1 when less is."""
    sign = OUTCOME_BY_NAME[metric].ru_sign
    return sign if side == "Russia" else -sign


REGRET_COLUMNS = ["side", "metric", "direction", "option", "n", "mean_regret", "p90_regret",
                  "max_regret", "worst_run", "minimax", "min_p90"]
SATISFICE_COLUMNS = ["condition", "option", "n", "share"]
_OPS = {">=": np.greater_equal, "<=": np.less_equal, ">": np.greater, "<": np.less}
_COND = re.compile(r"^\s*([A-Za-z0-9_]+)\s*(>=|<=|>|<)\s*(-?[0-9.eE+_-]+)\s*$")


def regrets(values: pd.DataFrame, direction: int) -> pd.DataFrame:
    """Per-replicate regret: ``values`` has one row per replicate (seed) and one column per
    option; rows with a missing value are dropped. Returns the same shape, ≥ 0."""
    v = values.dropna(axis=0, how="any").astype(float) * direction
    return v.max(axis=1).to_numpy()[:, None] - v


def regret_summary(values: pd.DataFrame, direction: int) -> pd.DataFrame:
    """Mean, 90th percentile and maximum regret per option (index: option), the replicate
    (index label of ``values``) of the maximum (``worst``: it decides the minimax verdict),
    and the options minimising the maximum (``minimax``) and the 90th percentile
    (``min_p90``)."""
    r = regrets(values, direction)
    n = len(r)
    out = pd.DataFrame({
        "n": n,
        "mean_regret": r.mean(axis=0) if n else math.nan,
        "p90_regret": r.quantile(0.9, interpolation="linear") if n else math.nan,
        "max_regret": r.max(axis=0) if n else math.nan,
        "worst": r.idxmax(axis=0) if n else None,
    }, index=values.columns)
    out["minimax"] = out["max_regret"] == out["max_regret"].min() if n else False
    out["min_p90"] = out["p90_regret"] == out["p90_regret"].min() if n else False
    return out


@dataclass(frozen=True)
class Condition:
    text: str
    metric: str
    op: str
    value: float

    def holds(self, x: np.ndarray) -> np.ndarray:
        return _OPS[self.op](x, self.value)


def parse_condition(text: str) -> Condition:
    """``metric>=value`` (also ``<=``, ``>``, ``<``) for a metric of ``wargame compare``."""
    m = _COND.match(text)
    if not m:
        raise CompareError(f"--satisfice {text!r}: expected METRIC>=VALUE (or <=, >, <), e.g. "
                           "donetsk_ru_gain_km2>=800")
    name, op, value = m.group(1), m.group(2), m.group(3)
    if name not in OUTCOME_BY_NAME:
        raise CompareError(f"--satisfice {text!r}: unknown metric {name!r}; known: "
                           f"{', '.join(OUTCOME_BY_NAME)}")
    try:
        v = float(value.replace("_", ""))
    except ValueError:
        raise CompareError(f"--satisfice {text!r}: {value!r} is not a number") from None
    return Condition(text.replace(" ", ""), name, op, v)


def satisficing(values: Mapping[str, pd.Series], cond: Condition) -> pd.DataFrame:
    """Share of each option's runs (with a value) meeting ``cond``."""
    rows = []
    for option, x in values.items():
        a = np.asarray(x, dtype=float)
        a = a[np.isfinite(a)]
        rows.append({"condition": cond.text, "option": option, "n": int(a.size),
                     "share": float(cond.holds(a).mean()) if a.size else math.nan})
    return pd.DataFrame(rows, columns=SATISFICE_COLUMNS)


@dataclass
class Robustness:
    """Result of :func:`robustness`: ``regret`` (one row per side, objective and option, with
    ``worst_run``: the option's run with the largest regret, which decides the minimax
    verdict; ``wargame explain DIR --run N`` tells its story) and ``satisfice``."""

    day: int
    date: str
    day_rule: str
    options: list[str]
    regret: pd.DataFrame
    satisfice: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def heading(self) -> str:
        return (f"Robustness on day {self.day} ({self.date}), {self.day_rule}. Regret: how "
                "much worse an option did than the best option on the same replicate (seed), "
                "in the outcome's unit.")

    def best(self) -> list[str]:
        """One line per side and objective: the minimax and min-p90 options, and the runs
        that decide the minimax verdict (each option's worst run)."""
        out = []
        for (side, metric), g in self.regret.groupby(["side", "metric"], sort=False):
            mm = ", ".join(g.loc[g["minimax"], "option"])
            p9 = ", ".join(g.loc[g["min_p90"], "option"])
            worst = "; ".join(f"{r.option} run {_run(r.worst_run)}"
                              for r in g.itertuples(index=False))
            out.append(f"{side}, {metric}: least worst-case regret {mm or '–'}; least "
                       f"90th-percentile regret {p9 or '–'}; decided by the worst runs "
                       f"({worst})")
        return out

    def to_frame(self) -> pd.DataFrame:
        return self.regret.copy()

    def to_csv(self) -> str:
        return (self.regret.to_csv(index=False, float_format="%.6g") + "\n"
                + self.satisfice.to_csv(index=False, float_format="%.6g"))

    def to_json(self) -> str:
        doc = {"day": self.day, "date": self.date, "day_rule": self.day_rule,
               "options": self.options, "notes": self.notes, "warnings": self.warnings,
               "best": self.best(),
               "regret": json.loads(self.regret.to_json(orient="records", double_precision=6)),
               "satisfice": json.loads(self.satisfice.to_json(orient="records",
                                                              double_precision=6))}
        return json.dumps(doc, indent=1, ensure_ascii=False)

    def _objectives(self) -> list[tuple[str, pd.DataFrame]]:
        out = []
        for (side, metric), g in self.regret.groupby(["side", "metric"], sort=False):
            o = OUTCOME_BY_NAME[metric]
            more = "more" if g["direction"].iloc[0] > 0 else "less"
            out.append((f"{side} wants {more}: {o.heading(self.day)}", g))
        return out

    def to_text(self, width: int = 80) -> str:
        w = min(18, max(len(o) for o in self.options))
        lines = wrap(self.heading, width)
        lines.append(f"  {'option':<{w}} {'mean':>10} {'90th pct':>10} {'worst':>10}  "
                     "worst run  verdict")
        for title, g in self._objectives():
            lines.append(title[:width])
            for r in g.itertuples(index=False):
                mark = ", ".join((["minimax"] if r.minimax else [])
                                 + (["min p90"] if r.min_p90 else []))
                opt = r.option if len(r.option) <= w else r.option[:w - 1] + "…"
                lines.append(f"  {opt:<{w}} {fmt_number(r.mean_regret):>10} "
                             f"{fmt_number(r.p90_regret):>10} {fmt_number(r.max_regret):>10}  "
                             f"{_run(r.worst_run):>9}  {mark}".rstrip())
        for r in self.satisfice.itertuples(index=False):
            lines.append(f"{r.condition}: {r.option} {fmt_percent(r.share)} of {r.n} runs")
        lines += wrap("minimax: the least worst-case regret, decided by each option's worst run "
                      "(wargame explain <folder> --run N).", width)
        for n in self.notes:
            lines += wrap(f"Note: {n}", width)
        for w in self.warnings:
            lines += wrap(f"Warning: {w}", width)
        return "\n".join(lines) + "\n"

    def to_markdown(self) -> str:
        lines = ["| objective | option | mean regret | 90 % regret | max regret | worst run |",
                 "|---|---|---|---|---|---|"]
        for title, g in self._objectives():
            for r in g.itertuples(index=False):
                mark = (" (minimax)" if r.minimax else "") + (" (min p90)" if r.min_p90 else "")
                lines.append(f"| {title} | {r.option}{mark} | {fmt_number(r.mean_regret)} | "
                             f"{fmt_number(r.p90_regret)} | {fmt_number(r.max_regret)} | "
                             f"{_run(r.worst_run)} |")
        if len(self.satisfice):
            lines += ["", "| condition | option | runs | share meeting it |", "|---|---|---|---|"]
            lines += [f"| {r.condition} | {r.option} | {r.n} | {fmt_percent(r.share)} |"
                      for r in self.satisfice.itertuples(index=False)]
        lines += ["", f"* {self.heading}", *(f"* {b}" for b in self.best()),
                  *(f"* Note: {n}" for n in self.notes),
                  *(f"* Warning: {w}" for w in self.warnings)]
        return "\n".join(lines) + "\n"


def _run(run: float) -> str:
    return "–" if run is None or run != run else str(int(run))


def robustness(dirs: Sequence[Path | str | Results], day: int | None = None,
               satisfice: Sequence[str] = ()) -> Robustness:
    """Regret and satisficing of the options in ``dirs`` on ``day`` (default: the last day
    common to all batches: robustness is about where the options end up)."""
    conds = [parse_condition(c) for c in satisfice]
    batches = [d if isinstance(d, Results) else load_results(d) for d in dirs]
    if len(batches) < 2:
        raise CompareError("--robustness needs at least two batch folders (options)")
    for r in batches:
        if not r.done_runs():
            raise CompareError(f"{r.path}: no finished runs")
    last = min(horizon(r) for r in batches)
    day_rule = "the last day common to all batches" if day is None else "chosen with --day"
    day = last if day is None else day
    if not 0 <= day <= last:
        raise CompareError(f"day {day} is outside 0..{last} (the last day common to all "
                           "batches)")
    labels = unique_labels(batches)
    names = list(dict.fromkeys([m for objs in OBJECTIVES.values() for m in objs]
                               + [c.metric for c in conds]))
    metrics = [OUTCOME_BY_NAME[n] for n in names]
    vals = {lab: outcome_values(r, metrics, day) for lab, r in zip(labels, batches, strict=True)}
    common = vals[labels[0]].index
    for lab in labels[1:]:
        common = common.intersection(vals[lab].index)
    if len(common) == 0:
        raise CompareError("--robustness pairs the options run by run, but these batches share "
                           "no replicate seed; run every option with the same --seed (and "
                           "--runs)")
    notes = []
    if len(common) < max(len(v) for v in vals.values()):
        notes.append(f"regret over the {len(common)} replicate seeds all options share")
    rows = []
    seed_run = {lab: {int(e.seed): int(e.run) for e in r.manifest.runs}
                for lab, r in zip(labels, batches, strict=True)}
    for side, objs in OBJECTIVES.items():
        for metric in objs:
            table = pd.DataFrame({lab: vals[lab].loc[common, metric] for lab in labels})
            sign = direction(side, metric)
            summ = regret_summary(table, sign)
            for option, r in summ.iterrows():
                worst = r.pop("worst")
                rows.append({"side": side, "metric": metric, "direction": sign,
                             "option": option, **r.to_dict(),
                             "worst_run": seed_run[option].get(int(worst), math.nan)
                             if worst is not None and worst == worst else math.nan})
    regret = pd.DataFrame(rows, columns=REGRET_COLUMNS)
    sat = pd.concat([satisficing({lab: vals[lab][c.metric] for lab in labels}, c)
                     for c in conds], ignore_index=True) if conds else \
        pd.DataFrame(columns=SATISFICE_COLUMNS)
    return Robustness(day=int(day), date=date_of(batches[0], day), day_rule=day_rule,
                      options=labels, regret=regret, satisfice=sat, notes=notes,
                      warnings=start_date_warnings(batches, labels))
