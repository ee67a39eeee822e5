"""Why each outcome happened: causal chains of one run, and outcome classes across runs
(``wargame explain``; see ``docs/ANALYSIS.md``).

**One run** (:func:`explain_run`). Every event the model logs carries an id and the ids of the
earlier events that caused it, plus the state conditions that held (``events.parquet``:
``event_id``, ``causes``, ``conditions``). A headline event of the run
(``sim.runner.EVENT_OUTCOMES``) is anchored on its event and the chain behind it is followed
back through ``causes``, printed as short dated sentences, one level of indentation per step
back.

**Across runs** (:func:`explain_batches`). Per option: the share of runs in each outcome class
on a day (e.g. "Kursk cleared by day 60: 58 %"), P(event by day D) curves of the key events,
modes of the day-D Kursk area (a Gaussian mixture chosen by BIC), and *scenario discovery*
(:func:`discover`): which run-level features — parameter draws when the runs table has them,
the day of early events, strengths on day 10 — separate the runs where Kursk was cleared from
the others, as the boxes (rules) of a shallow decision tree with their coverage and density.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.comparison import CompareError, horizon, read_table, unique_labels
from sim.runner import EVENT_OUTCOMES, Results, fmt_number, fmt_percent, load_results, wrap

#: Events whose first day is drawn as P(event by day D).
KEY_EVENTS = ("sudzha_lost", "kursk_cleared", "withdrawal", "ceasefire")
DEFAULT_CLASS_DAY = 60
EARLY_DAY = 10  # features: strengths on this day, and whether early events happened by it
MAX_DEPTH = 8   # steps followed back from an outcome
MAX_LINES = 14  # sentences per chain
#: A mode of an outcome holds at least this share of the runs: a Gaussian-mixture component
#: with fewer runs joins its neighbour (:func:`find_modes`), and the fan chart draws a day's
#: Kursk area as two modes only when the runs at 0 km² and those above each hold this share
#: (``sim.viz.plots.area_modes``). 20 of 200 runs: a share a reader can see, not one run.
MIN_MODE_SHARE = 0.10


class ExplainError(CompareError):
    """A user mistake in an explain request (unknown outcome, run not in the batch)."""


# --------------------------------------------------------------------------- one run


def _first(ev: pd.DataFrame, mask: pd.Series) -> pd.Series | None:
    sel = ev[mask]
    return None if sel.empty else sel.iloc[0]


def kursk_cleared_day(daily: pd.DataFrame) -> int | None:
    """First day the Ukrainian-held Kursk area is 0 after having been above 0 (None if never)."""
    area = daily["kursk_ua_km2"].to_numpy()
    days = daily["day"].to_numpy()
    held = np.flatnonzero(area > 0)
    if held.size == 0:
        return None
    zero = np.flatnonzero((area <= 0) & (np.arange(len(area)) > held[0]))
    return int(days[zero[0]]) if zero.size else None


def outcome_event(ev: pd.DataFrame, outcome: str) -> pd.Series | None:
    """The event that marks ``outcome`` in one run's events (None if it did not happen;
    ``kursk_cleared`` has no event of its own, see :func:`explain_run`)."""
    kind, subject, detail = ev["kind"], ev["subject"], ev["detail"].fillna("")
    if outcome == "sudzha_lost":
        return _first(ev, (kind == "place_captured") & (subject == "Sudzha")
                      & detail.str.contains("Russia"))
    if outcome == "withdrawal":
        return _first(ev, kind == "withdrawal")
    if outcome == "ceasefire":
        return _first(ev, kind == "ceasefire_started")
    if outcome == "ceasefire_collapsed":
        return _first(ev, kind == "ceasefire_collapsed")
    if outcome == "reinforcement":
        return _first(ev, (kind == "transfer_departed") & detail.str.startswith("donetsk -> kursk"))
    if outcome == "redeployment":
        return _first(ev, (kind == "transfer_departed")
                      & detail.str.contains("Kursk cleared", regex=False))
    check_event_outcome(outcome)
    return None  # kursk_cleared: the day its area first falls to 0, no event of its own


def check_event_outcome(outcome: str) -> None:
    """Raise :class:`ExplainError` (one line, naming the choices) unless ``outcome`` is one of
    the registry's :data:`~sim.runner.EVENT_OUTCOMES`."""
    if outcome not in EVENT_OUTCOMES:
        raise ExplainError(f"unknown outcome {outcome!r}; expected one of "
                           f"{', '.join(EVENT_OUTCOMES)}")


def sentence(e: pd.Series, brief: bool = False) -> str:
    """One event in words (without its date); ``brief``: without its conditions."""
    kind, subj, det = e["kind"], e["subject"], e["detail"]
    text = {
        "withdrawal": "Ukraine orders withdrawal from the Kursk salient",
        "place_captured": f"{subj} {det}",
        "grouping_broken": f"{subj} breaks ({det})",
        "grouping_rallied": f"{subj} rallies ({det})",
        "transfer_departed": f"{subj} leaves: "
                             + (det.split(";")[0] if e.get("conditions") else det),
        "transfer_arrived": f"{subj} arrives {det}",
        "grouping_entered": f"{subj} {det}",
        "reserve_committed": f"reserve {subj} committed {det}",
        "relief_in_place": f"{subj} {det}",
        "regrouped": f"{subj} regroup: {det}",
        "counterattack": f"Ukrainian counterattack in {subj}",
        "talks_opened": "talks open",
        "agreement": f"agreement: {det}",
        "ceasefire_started": f"ceasefire starts; {det}",
        "ceasefire_collapsed": "the ceasefire collapses",
    }.get(kind, f"{kind}: {subj}: {det}")
    cond = e.get("conditions")
    if isinstance(cond, str) and cond and not brief:
        text += f" [{cond}]"
    return text


def _date(start: dt.date | None, day: int) -> str:
    if start is None:
        return f"day {day}"
    return f"day {day} ({(start + dt.timedelta(days=int(day))).strftime('%d %b')})"


@dataclass
class Chain:
    """The chain behind one outcome of one run: ``lines`` are (depth, text), depth 0 first."""

    outcome: str
    run: int
    day: int | None
    lines: list[tuple[int, str]] = field(default_factory=list)
    event_ids: list[int] = field(default_factory=list)

    @property
    def happened(self) -> bool:
        return self.day is not None

    def to_text(self, width: int = 80) -> str:
        """The chain, one event a line indented by its depth, wrapped to ``width`` columns."""
        import textwrap

        head = f"{EVENT_OUTCOMES[self.outcome]}"
        if not self.happened:
            return f"{head}: did not happen in run {self.run}"
        out = []
        for depth, text in self.lines:
            lead = "  " * depth + ("<- " if depth else "")
            out += textwrap.wrap(text, width, initial_indent=lead,
                                 subsequent_indent=" " * (len(lead) + 2),
                                 break_on_hyphens=False, break_long_words=False) or [lead]
        return "\n".join(out)


def _walk(ev: pd.DataFrame, roots: Sequence[int], start: dt.date | None, depth0: int = 0,
          seen: set[int] | None = None) -> tuple[list[tuple[int, str]], list[int]]:
    """Follow ``causes`` back from ``roots`` (depth first), each event once."""
    by_id = ev.set_index("event_id", drop=False)
    seen = set() if seen is None else seen
    lines: list[tuple[int, str]] = []
    ids: list[int] = []

    def visit(eid: int, depth: int) -> None:
        if eid in ids or eid not in by_id.index or len(lines) >= MAX_LINES:
            return
        e = by_id.loc[eid]
        if eid in seen:  # told in full by an earlier chain of the same run
            lines.append((depth, f"{_date(start, e['day'])}: {sentence(e, brief=True)} "
                                 "(see above)"))
            ids.append(int(eid))
            return
        seen.add(eid)
        lines.append((depth, f"{_date(start, e['day'])}: {sentence(e)}"))
        ids.append(int(eid))
        if depth - depth0 >= MAX_DEPTH:
            return
        for c in e["causes"]:
            visit(int(c), depth + 1)

    for r in roots:
        visit(int(r), depth0)
    return lines, ids


def chain_for(ev: pd.DataFrame, daily: pd.DataFrame | None, outcome: str, run: int,
              start: dt.date | None = None, seen: set[int] | None = None) -> Chain:
    """The :class:`Chain` behind ``outcome`` in one run's events (and daily record, for
    ``kursk_cleared``); events in ``seen`` (told by an earlier chain) are named, not
    followed again."""
    if outcome not in EVENT_OUTCOMES:
        raise ExplainError(f"unknown outcome {outcome!r}; expected one of "
                       f"{', '.join(EVENT_OUTCOMES)}")
    ev = ev.reset_index(drop=True)
    if outcome == "kursk_cleared":
        day = kursk_cleared_day(daily) if daily is not None else None
        if day is None:
            return Chain(outcome, run, None)
        # no event of its own: the withdrawal before it and the last places Russia took in Kursk
        before = ev[ev["day"] <= day]
        roots = list(before.loc[before["kind"] == "withdrawal", "event_id"][:1])
        taken = before[(before["kind"] == "place_captured")
                       & before["detail"].fillna("").str.contains("Russia (kursk)", regex=False)]
        roots += list(taken["event_id"].iloc[::-1][:2])
        area0 = float(daily["kursk_ua_km2"].iloc[0])
        head = (0, f"{_date(start, day)}: Kursk cleared: Ukrainian-held area 0 km2 "
                   f"(from {area0:.0f} km2 on day 0)")
        lines, ids = _walk(ev, roots, start, depth0=1, seen=seen)
        return Chain(outcome, run, day, [head, *lines], ids)
    e = outcome_event(ev, outcome)
    if e is None:
        return Chain(outcome, run, None)
    lines, ids = _walk(ev, [int(e["event_id"])], start, seen=seen)
    return Chain(outcome, run, int(e["day"]), lines, ids)


def _run_events(res: Results, run: int) -> pd.DataFrame:
    """One run's events, reading only its rows where the batch is consolidated."""
    import pyarrow.parquet as pq

    from sim.runner import MAIN

    parts = {r.part for r in res.manifest.done_runs()}
    path = res.path / "events.parquet"
    if parts == {MAIN} and path.exists():
        ev = pq.read_table(path, filters=[("run", "=", int(run))]).to_pandas()
        if "event_id" not in ev.columns:
            ev = res.events
    else:
        ev = res.events
    ev = ev[ev["run"] == run]
    return ev.sort_values("event_id", kind="stable").reset_index(drop=True)


def _start_date(res: Results) -> dt.date:
    return res.start_date


def explain_run(res: Results | Path | str, run: int, outcome: str | None = None,
                outcomes: Sequence[str] = ()) -> list[Chain]:
    """The chains behind the headline outcomes of run ``run`` of a batch (only ``outcome``
    when given; otherwise every outcome of ``outcomes`` (default :data:`EVENT_OUTCOMES`) that
    happened, in the order they happened)."""
    res = res if isinstance(res, Results) else load_results(res)
    if outcome is not None:
        check_event_outcome(outcome)
    if run not in res.done_runs():
        raise ExplainError(f"{res.path}: no finished run {run} (runs 0–{len(res.done_runs()) - 1})")
    ev = _run_events(res, run)
    daily = res_daily(res, run)
    start = _start_date(res)
    names = [outcome] if outcome else list(outcomes or EVENT_OUTCOMES)
    if outcome is None:  # in the order they happened, each event told in full once
        days = {o: chain_for(ev, daily, o, run).day for o in names}
        names = sorted((o for o in names if days[o] is not None), key=lambda o: days[o])
    seen: set[int] = set()
    return [chain_for(ev, daily, o, run, start, seen) for o in names]


def format_chains(chains: Sequence[Chain], story: Sequence[str] = ()) -> str:
    """The run's story (:func:`run_story`) and then its chains."""
    parts = ["\n".join(story)] if story else []
    parts += [c.to_text() for c in chains] or ["\n".join(wrap(
        "No headline event (Sudzha lost, Kursk cleared, a withdrawal, a ceasefire, a transfer "
        "between the fronts) happened in this run."))]
    return "\n\n".join(parts)


FRONT_NAMES = {"kursk": "Kursk", "donetsk": "Donetsk"}


def run_story(res: Results | Path | str, run: int, day: int | None = None) -> list[str]:
    """Why one run's continuous outcomes are what they are on day ``day`` (default its last):
    per front the area (Kursk held by Ukraine, Donetsk gained by Russia) at milestones, how far
    the line moved in each sector, the troops on the front on day 0 and day ``day``, the
    places taken (by whom, when) and the transfers in and out; then both sides' losses."""
    res = res if isinstance(res, Results) else load_results(res)
    if run not in res.done_runs():
        raise ExplainError(f"{res.path}: no finished run {run} (runs 0–{len(res.done_runs()) - 1})")
    daily = res_daily(res, run)
    last = int(daily["day"].max())
    day = last if day is None else min(int(day), last)
    d0, dd = daily.iloc[0], daily[daily["day"] == day].iloc[0]
    ev = _run_events(res, run)
    ev = ev[ev["day"] <= day]
    start = _start_date(res)
    miles = [m for m in (30, 60, 90) if m < day] + [day]
    out = [f"Run {run} to {_date(start, day)}:"]
    for front, col, what in (("kursk", "kursk_ua_km2", "held by Ukraine"),
                             ("donetsk", "donetsk_ru_gain_km2", "gained by Russia")):
        name = FRONT_NAMES[front]
        at = ", ".join(f"{fmt_number(float(daily.loc[daily['day'] == m, col].iloc[0]))} on day "
                       f"{m}" for m in miles)
        out.append(f"{name}: {what} {fmt_number(float(d0[col]))} km² on day 0; {at}.")
        moved = [(c.removeprefix(f"line_{front}_").removesuffix("_km"), dd[c] - d0[c])
                 for c in daily.columns if c.startswith(f"line_{front}_")]
        if moved:
            out.append("  Front line moved (km, + = Russia advanced): " + ", ".join(
                f"{sec} {km:+.1f}" for sec, km in moved) + ".")
        out.append(f"  Troops on the front: Russia {fmt_number(d0[f'ru_{front}_personnel'])} "
                   f"→ {fmt_number(dd[f'ru_{front}_personnel'])}, Ukraine "
                   f"{fmt_number(d0[f'ua_{front}_personnel'])} → "
                   f"{fmt_number(dd[f'ua_{front}_personnel'])}.")
        taken = ev[(ev["kind"] == "place_captured")
                   & ev["detail"].fillna("").str.contains(f"({front})", regex=False)]
        if len(taken):
            out.append("  Places: " + "; ".join(
                f"{r.subject} {str(r.detail).removesuffix(f' ({front})')} on day {r.day}"
                for r in taken.itertuples(index=False)) + ".")
        moves = ev[ev["kind"] == "transfer_departed"]
        for side, mine in (("Russia", ~moves["subject"].str.startswith("UA-")),
                           ("Ukraine", moves["subject"].str.startswith("UA-"))):
            for verb, mask in (("to", moves["detail"].str.contains(f"-> {front}", regex=False)),
                               ("from", moves["detail"].str.startswith(f"{front} ->"))):
                sel = moves[(mask & mine).fillna(False)]
                if len(sel):
                    troops = sel["detail"].str.extract(r"(\d+) troops")[0].astype(float).sum()
                    days = ", ".join(map(str, sorted(set(sel["day"].tolist()))))
                    out.append(f"  {side} moved {len(sel)} groupings ({fmt_number(troops)} "
                               f"troops) {verb} {name} on day(s) {days}.")
    loss = {s: sum(float(dd[f"{s}_{k}"]) for k in ("killed", "wounded", "captured"))
            for s in ("ru", "ua")}
    out.append(f"Losses (killed+wounded+captured): Russia {fmt_number(loss['ru'])}, Ukraine "
               f"{fmt_number(loss['ua'])}.")
    if bool(dd.get("ceasefire", False)):
        out.append("A ceasefire is in force on the last day told.")
    return [w for line in out for w in wrap(line, 80)]


def res_daily(res: Results, run: int) -> pd.DataFrame:
    """One run's daily record, reading only its rows where the batch is consolidated."""
    import pyarrow.parquet as pq

    from sim.runner import MAIN

    parts = {r.part for r in res.manifest.runs if r.status == "done"}
    path = res.path / "daily.parquet"
    if parts == {MAIN} and path.exists():
        daily = pq.read_table(path, filters=[("run", "=", int(run))]).to_pandas()
    else:
        daily = res.daily
        daily = daily[daily["run"] == run]
    return daily.sort_values("day").reset_index(drop=True)


def representative_run(area: pd.Series) -> int:
    """The run whose day-``D`` Kursk area is nearest the median (ties: lowest run)."""
    med = float(area.median())
    d = (area - med).abs()
    return int(d.idxmin()) if len(d) else 0


# --------------------------------------------------------------------------- across runs


def first_days(res: Results) -> pd.DataFrame:
    """One row per finished run (index ``run``): the first day of each key outcome (NaN if it
    did not happen)."""
    ev = read_table(res, "events", ["day", "kind", "subject", "detail"])
    daily = read_table(res, "daily", ["day", "kursk_ua_km2"])
    runs = pd.Index(sorted(res.done_runs()), name="run")
    kind = ev["kind"]
    masks = {
        "sudzha_lost": (kind == "place_captured") & (ev["subject"] == "Sudzha")
        & ev["detail"].fillna("").str.contains("Russia", regex=False),
        "withdrawal": kind == "withdrawal",
        "ceasefire": kind == "ceasefire_started",
    }
    out = pd.DataFrame(index=runs)
    held = daily["kursk_ua_km2"] > 0
    first_held = daily[held].groupby("run")["day"].min()
    after = daily["day"] > daily["run"].map(first_held)
    out["kursk_cleared"] = (daily[~held & after].groupby("run")["day"].min()
                            .reindex(runs).astype(float))
    for name, mask in masks.items():
        out[name] = ev[mask].groupby("run")["day"].min().reindex(runs).astype(float)
    return out[list(KEY_EVENTS)]


def event_curves(first: pd.DataFrame, days: int) -> pd.DataFrame:
    """P(event by day D) for D = 0..days: one column per key event."""
    d = np.arange(days + 1)
    return pd.DataFrame({c: [(first[c] <= x).mean() for x in d] for c in first.columns},
                        index=pd.Index(d, name="day"))


@dataclass
class Mode:
    centre: float
    share: float
    sd: float

    def name(self) -> str:
        return "near 0 km²" if self.centre < 1.0 else f"held ~{self.centre:,.0f} km²"


def find_modes(values: np.ndarray, max_modes: int = 3, seed: int = 0,
               min_share: float = MIN_MODE_SHARE) -> list[Mode]:
    """Modes of ``values`` by a Gaussian mixture with the number of components chosen by BIC
    (1..``max_modes``); components whose centres lie within two of their SDs merge into one,
    then the smallest component under ``min_share`` of the values joins its neighbour nearer
    in centre until none is left. Centre (median), share and SD of each mode are those of its
    values. Sorted by centre."""
    from sklearn.mixture import GaussianMixture

    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size < 10 or np.ptp(x) == 0:
        return [Mode(float(x.mean()) if x.size else math.nan, 1.0, 0.0)]
    scale = float(np.std(x)) or 1.0
    xs = (x / scale).reshape(-1, 1)
    best, best_bic = None, np.inf
    for k in range(1, min(max_modes, len(np.unique(x))) + 1):
        gm = GaussianMixture(k, random_state=seed, n_init=2, reg_covar=1e-4).fit(xs)
        bic = gm.bic(xs)
        if bic < best_bic:
            best, best_bic = gm, bic
    label = best.predict(xs)
    groups = sorted((g for k in range(best.n_components) if (g := x[label == k]).size),
                    key=np.median)
    merged: list[np.ndarray] = []
    for g in groups:
        if merged and abs(np.median(g) - np.median(merged[-1])) \
                < 2 * max(g.std(), merged[-1].std(), 1e-9) and min(g.std(), merged[-1].std()) > 0:
            merged[-1] = np.concatenate([merged[-1], g])
        else:
            merged.append(g)
    eps = 1e-9  # 20 of 200 runs is 10 %, not a hair under it
    while len(merged) > 1 and min(g.size for g in merged) < (min_share - eps) * x.size:
        i = min(range(len(merged)), key=lambda k: merged[k].size)
        near = [j for j in (i - 1, i + 1) if 0 <= j < len(merged)]
        j = min(near, key=lambda k: abs(np.median(merged[k]) - np.median(merged[i])))
        lo = min(i, j)
        merged[lo:lo + 2] = [np.concatenate(merged[lo:lo + 2])]
    return sorted((Mode(float(np.median(g)), g.size / x.size, float(g.std())) for g in merged),
                  key=lambda m: m.centre)


@dataclass
class Box:
    """A rule (conjunction of thresholds) on the features, with the runs it covers."""

    rules: list[str]
    coverage: float   # share of the runs of the class that fall in the box
    density: float    # share of the runs in the box that are of the class
    n: int            # runs in the box
    limits: dict[str, tuple[float, float]] = field(default_factory=dict)

    def to_text(self) -> str:
        rule = " and ".join(self.rules) or "all runs"
        return (f"{rule}: coverage {fmt_percent(self.coverage)}, density "
                f"{fmt_percent(self.density)} ({self.n} runs)")


def discover(features: pd.DataFrame, outcome: np.ndarray | pd.Series, max_depth: int = 2,
             min_share: float = 0.05, seed: int = 0) -> list[Box]:
    """Scenario discovery by a shallow decision tree (scikit-learn): the leaves where the
    outcome is the majority, as boxes with coverage and density, best (coverage × density)
    first. ``features`` has one row per run; ``outcome`` is boolean per run."""
    from sklearn.tree import DecisionTreeClassifier

    y = np.asarray(outcome, dtype=bool)
    X = features.astype(float).fillna(-1.0)
    X = X.loc[:, X.nunique() > 1]
    if X.shape[1] == 0 or y.all() or not y.any():
        return []
    min_leaf = max(2, int(min_share * len(y)))
    tree = DecisionTreeClassifier(max_depth=max_depth, min_samples_leaf=min_leaf,
                                  random_state=seed).fit(X.to_numpy(), y)
    t = tree.tree_
    names = list(X.columns)
    leaves = tree.apply(X.to_numpy())
    boxes = []

    def walk(node: int, rules: list[str], limits: dict[str, tuple[float, float]]) -> None:
        if t.children_left[node] == -1:
            inside = leaves == node
            n, hits = int(inside.sum()), int((y & inside).sum())
            if n and hits / n > 0.5:
                boxes.append(Box(rules, hits / y.sum(), hits / n, n, limits))
            return
        name, thr = names[t.feature[node]], float(t.threshold[node])
        lo, hi = limits.get(name, (-np.inf, np.inf))
        walk(t.children_left[node], [*_merge(rules, name, "<=", thr)],
             {**limits, name: (lo, min(hi, thr))})
        walk(t.children_right[node], [*_merge(rules, name, ">", thr)],
             {**limits, name: (max(lo, thr), hi)})

    walk(0, [], {})
    boxes.sort(key=lambda b: -b.coverage * b.density)
    return boxes


def _merge(rules: list[str], name: str, op: str, thr: float) -> list[str]:
    """Add ``name op thr`` to ``rules``, replacing a looser bound of the same direction."""
    keep = [r for r in rules if not r.startswith(f"{name} {op} ")]
    return [*keep, f"{name} {op} {_num(thr)}"]


def _num(x: float) -> str:
    ax = abs(x)
    return f"{x:,.0f}" if ax >= 100 else f"{x:.1f}" if ax >= 1 else f"{x:.2f}"


#: Early events whose day of first occurrence (by :data:`EARLY_DAY`) is a feature.
EARLY_EVENTS = {
    "first_ru_capture_kursk": ("place_captured", "Russia (kursk)"),
    "first_ua_break": ("grouping_broken", "UA"),
    "first_ru_break": ("grouping_broken", "RU"),
    "first_reserve_committed": ("reserve_committed", ""),
    "reinforcement_departed": ("transfer_departed", "donetsk -> kursk"),
}
DAY10_COLUMNS = ("kursk_ua_km2", "donetsk_ru_gain_km2", "ua_kursk_personnel",
                 "ru_kursk_personnel", "ua_donetsk_personnel", "ru_donetsk_personnel",
                 "ua_ammo", "ru_ammo", "ua_kursk_supply_days", "ru_domestic_confidence")
_NOT_PARAMETERS = {"run", "seed", "days", "date", "ceasefire_day", "status"}


def run_features(res: Results, early_day: int = EARLY_DAY) -> pd.DataFrame:
    """Run-level features (index ``run``): parameter draws found in the runs table, the day of
    early events (``early_day + 1`` when not by then) and strengths on day ``early_day``."""
    runs = sorted(res.done_runs())
    out = pd.DataFrame(index=pd.Index(runs, name="run"))
    rt = res.runs
    import pyarrow.parquet as pq

    daily_path = res.path / "daily.parquet"
    record = set(pq.read_schema(daily_path).names) if daily_path.exists() else set()
    params = [c for c in rt.columns if c not in _NOT_PARAMETERS and c not in record
              and not c.startswith(("line_", "changed_", "ceasefire_"))
              and pd.api.types.is_numeric_dtype(rt[c])]
    if params:
        out = out.join(rt.set_index("run")[params])
    ev = read_table(res, "events", ["day", "kind", "subject", "detail"])
    ev = ev[ev["day"] <= early_day]
    text = ev["subject"].fillna("") + " " + ev["detail"].fillna("")
    for name, (kind, needle) in EARLY_EVENTS.items():
        sel = ev[(ev["kind"] == kind) & text.str.contains(needle, regex=False)]
        out[name] = sel.groupby("run")["day"].min().reindex(runs).fillna(early_day + 1)
    day = read_table(res, "daily", list(DAY10_COLUMNS), day=early_day).set_index("run")
    for c in DAY10_COLUMNS:
        if c in day.columns:
            out[f"{c}_day{early_day}"] = day[c].reindex(runs)
    ru, ua = out.get(f"ru_kursk_personnel_day{early_day}"), \
        out.get(f"ua_kursk_personnel_day{early_day}")
    if ru is not None and ua is not None:
        out[f"kursk_ru_ua_troops_day{early_day}"] = ru / ua.where(ua > 0)
    return out


@dataclass
class OptionExplanation:
    label: str
    n: int
    days: int
    class_day: int
    shares: dict[str, float]
    curves: pd.DataFrame
    modes: list[Mode]
    boxes: list[Box]
    target: str
    representatives: dict[str, int]  # class → the run whose day-D Kursk area is most typical
    chains: dict[str, list[Chain]]
    features: pd.DataFrame = field(repr=False)
    outcome: np.ndarray = field(repr=False)

    def to_text(self) -> str:
        """Classes, modes, discovery and representative chains, as plain text."""
        o = self
        out = ["Outcome classes:"]
        out += [f"  {k}: {fmt_percent(v)}" for k, v in o.shares.items()]
        out.append(f"Kursk held by Ukraine on day {o.class_day}, modes (Gaussian mixture, "
                   "BIC):")
        out += [f"  {m.name()}: {fmt_percent(m.share)} of runs (centre {m.centre:,.0f} km², "
                f"SD {m.sd:,.0f})" for m in o.modes]
        if len(o.modes) > 1:
            out.append("  -> multi-modal: a median and a band would hide this")
        out += wrap(f"Scenario discovery ({o.target}, {fmt_percent(o.outcome.mean())} of "
                    f"runs; decision tree of depth 2 on {o.features.shape[1]} run "
                    "features):")
        if o.boxes:
            out += [w for b in o.boxes for w in wrap(f"  {b.to_text()}")]
        else:
            out.append("  nothing to separate: (almost) all runs are in one class")
        for cls, run in o.representatives.items():
            out += wrap(f"Representative run {run} of the runs {cls} (day-{o.class_day} "
                        "Kursk area nearest their median):")
            chains = o.chains.get(cls, [])
            if not chains:
                out.append(f"  no key outcome ({', '.join(KEY_EVENTS)}) by day {o.days}")
            for c in chains:
                out += ["  " + line for line in c.to_text(78).splitlines()]
        out.append("")
        return "\n".join(out)


@dataclass
class Explanation:
    """``wargame explain DIR...``: per option, see :class:`OptionExplanation`."""

    options: list[OptionExplanation]
    #: the source and calibration line every figure of it carries
    source: str = ""
    #: day 0 of the first batch (the scenario's start date), for the figures' day axis
    start_date: dt.date | None = None

    def to_text(self) -> str:
        return "\n".join(f"== {o.label} ({o.n} runs, {o.days} days)\n{o.to_text()}"
                         for o in self.options)


def class_shares(first: pd.DataFrame, class_day: int, days: int) -> dict[str, float]:
    return {
        f"Kursk cleared by day {class_day}": float((first["kursk_cleared"] <= class_day).mean()),
        f"Sudzha lost by day {class_day}": float((first["sudzha_lost"] <= class_day).mean()),
        f"Ukraine withdrew by day {class_day}": float((first["withdrawal"] <= class_day).mean()),
        f"Ceasefire started by day {days}": float((first["ceasefire"] <= days).mean()),
    }


def explain_batch(res: Results, label: str, class_day: int = DEFAULT_CLASS_DAY,
                  chains: bool = True) -> OptionExplanation:
    days = horizon(res)
    class_day = min(class_day, days)
    first = first_days(res)
    area = read_table(res, "daily", ["kursk_ua_km2"], day=class_day).set_index("run")[
        "kursk_ua_km2"].reindex(first.index)
    target_day = class_day
    y = (first["kursk_cleared"] <= class_day).to_numpy()
    if not 0.05 <= y.mean() <= 0.95:  # one class only by class_day: try the horizon
        y_end = (first["kursk_cleared"] <= days).to_numpy()
        if 0.05 <= y_end.mean() <= 0.95:
            target_day, y = days, y_end
    feats = run_features(res)
    reps = {}
    for name, sel in ((f"cleared by day {target_day}", y), (f"not cleared by day {target_day}",
                                                             ~y)):
        if sel.mean() >= 0.05:
            reps[name] = representative_run(area[sel])
    return OptionExplanation(
        label=label, n=len(first), days=days, class_day=class_day,
        shares=class_shares(first, class_day, days), curves=event_curves(first, days),
        modes=find_modes(area.to_numpy()), boxes=discover(feats, y)[:3],
        target=f"Kursk cleared by day {target_day}", representatives=reps,
        chains={k: explain_run(res, r, outcomes=KEY_EVENTS) if chains else []
                for k, r in reps.items()},
        features=feats, outcome=y)


def explain_batches(dirs: Sequence[Path | str | Results], class_day: int = DEFAULT_CLASS_DAY
                    ) -> Explanation:
    """The across-runs explanation of each batch (see the module docstring)."""
    results = [d if isinstance(d, Results) else load_results(d) for d in dirs]
    if not results:
        raise ExplainError("no batch folder given")
    for r in results:
        if not r.done_runs():
            raise ExplainError(f"{r.path}: no finished runs")
    labels = unique_labels(results)
    from sim.analysis.validation_status import source_line

    return Explanation([explain_batch(r, lab, class_day)
                        for r, lab in zip(results, labels, strict=True)],
                       source=source_line(results, labels), start_date=results[0].start_date)


__all__ = ["MIN_MODE_SHARE", "Box", "Chain", "Explanation", "ExplainError", "run_story",
           "discover", "explain_batches", "explain_run", "find_modes", "format_chains",
           "run_features"]
