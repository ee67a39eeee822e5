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
    METRIC_BY_NAME,
    CompareError,
    horizon,
    outcome_values,
    start_date_warnings,
    unique_labels,
)
from sim.runner import Results, load_results

#: side → (metric, +1 more is better for that side / −1 less is better)
OBJECTIVES: dict[str, tuple[tuple[str, int], ...]] = {
    "Russia": (("donetsk_ru_gain_km2", +1), ("kursk_ua_km2", -1), ("ru_losses", -1),
               ("ru_domestic_confidence", +1)),
    "Ukraine": (("donetsk_ru_gain_km2", -1), ("kursk_ua_km2", +1), ("ua_losses", -1),
                ("bargaining_value", +1)),
}
REGRET_COLUMNS = ["side", "metric", "direction", "option", "n", "mean_regret", "p90_regret",
                  "max_regret", "minimax", "min_p90"]
SATISFICE_COLUMNS = ["condition", "option", "n", "share"]
_OPS = {">=": np.greater_equal, "<=": np.less_equal, ">": np.greater, "<": np.less}
_COND = re.compile(r"^\s*([A-Za-z0-9_]+)\s*(>=|<=|>|<)\s*(-?[0-9.eE+_-]+)\s*$")


def regrets(values: pd.DataFrame, direction: int) -> pd.DataFrame:
    """Per-replicate regret: ``values`` has one row per replicate (seed) and one column per
    option; rows with a missing value are dropped. Returns the same shape, ≥ 0."""
    v = values.dropna(axis=0, how="any").astype(float) * direction
    return v.max(axis=1).to_numpy()[:, None] - v


def regret_summary(values: pd.DataFrame, direction: int) -> pd.DataFrame:
    """Mean, 90th percentile and maximum regret per option (index: option), with the
    options minimising the maximum (``minimax``) and the 90th percentile (``min_p90``)."""
    r = regrets(values, direction)
    n = len(r)
    out = pd.DataFrame({
        "n": n,
        "mean_regret": r.mean(axis=0) if n else math.nan,
        "p90_regret": r.quantile(0.9, interpolation="linear") if n else math.nan,
        "max_regret": r.max(axis=0) if n else math.nan,
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
    if name not in METRIC_BY_NAME:
        raise CompareError(f"--satisfice {text!r}: unknown metric {name!r}; known: "
                           f"{', '.join(METRIC_BY_NAME)}")
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
    day: int
    options: list[str]
    regret: pd.DataFrame
    satisfice: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def best(self) -> list[str]:
        """One line per side and objective: the minimax and min-p90 options."""
        out = []
        for (side, metric), g in self.regret.groupby(["side", "metric"], sort=False):
            mm = ", ".join(g.loc[g["minimax"], "option"])
            p9 = ", ".join(g.loc[g["min_p90"], "option"])
            out.append(f"{side}, {metric}: least worst-case regret {mm or '–'}; least "
                       f"90th-percentile regret {p9 or '–'}")
        return out

    def to_csv(self) -> str:
        return (self.regret.to_csv(index=False, float_format="%.6g") + "\n"
                + self.satisfice.to_csv(index=False, float_format="%.6g"))

    def to_json(self) -> str:
        doc = {"day": self.day, "options": self.options, "notes": self.notes,
               "warnings": self.warnings, "best": self.best(),
               "regret": json.loads(self.regret.to_json(orient="records", double_precision=6)),
               "satisfice": json.loads(self.satisfice.to_json(orient="records",
                                                              double_precision=6))}
        return json.dumps(doc, indent=1, ensure_ascii=False)

    def to_markdown(self) -> str:
        lines = ["| side | objective | option | mean regret | 90 % regret | max regret |",
                 "|---|---|---|---|---|---|"]
        for r in self.regret.itertuples(index=False):
            arrow = "↑" if r.direction > 0 else "↓"
            mark = (" (minimax)" if r.minimax else "") + (" (min p90)" if r.min_p90 else "")
            lines.append(f"| {r.side} | {r.metric} {arrow} | {r.option}{mark} | "
                         f"{r.mean_regret:.4g} | {r.p90_regret:.4g} | {r.max_regret:.4g} |")
        if len(self.satisfice):
            lines += ["", "| condition | option | runs | share meeting it |", "|---|---|---|---|"]
            lines += [f"| {r.condition} | {r.option} | {r.n} | {100 * r.share:.0f} % |"
                      for r in self.satisfice.itertuples(index=False)]
        lines += ["", *(f"* {b}" for b in self.best()), *(f"* Note: {n}" for n in self.notes)]
        return "\n".join(lines) + "\n"


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
    day = last if day is None else day
    if not 0 <= day <= last:
        raise CompareError(f"day {day} is outside 0..{last} (the last day common to all "
                           "batches)")
    labels = unique_labels(batches)
    names = list(dict.fromkeys([m for objs in OBJECTIVES.values() for m, _ in objs]
                               + [c.metric for c in conds]))
    metrics = [METRIC_BY_NAME[n] for n in names]
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
    for side, objs in OBJECTIVES.items():
        for metric, direction in objs:
            table = pd.DataFrame({lab: vals[lab].loc[common, metric] for lab in labels})
            summ = regret_summary(table, direction)
            for option, r in summ.iterrows():
                rows.append({"side": side, "metric": metric, "direction": direction,
                             "option": option, **r.to_dict()})
    regret = pd.DataFrame(rows, columns=REGRET_COLUMNS)
    sat = pd.concat([satisficing({lab: vals[lab][c.metric] for lab in labels}, c)
                     for c in conds], ignore_index=True) if conds else \
        pd.DataFrame(columns=SATISFICE_COLUMNS)
    return Robustness(day=int(day), options=labels, regret=regret, satisfice=sat, notes=notes,
                      warnings=start_date_warnings(batches, labels))
