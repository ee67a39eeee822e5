"""A self-contained HTML report of batches: scenario differences, comparison tables, figures.

Everything is in one file: figures are embedded as base64 PNG (``data:`` URIs), the style is
inline, and there are no scripts or external links, so the page renders offline and can be
sent to a colleague as it is.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.runner import OUTCOME_BY_NAME, Results, atomic_write_text, fmt_percent, load_results
from sim.scenario import relative_path, scenario_dict

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;max-width:1250px;
margin:1.5em auto;padding:0 1em;color:#222;line-height:1.4}
h1{font-size:1.35em;margin:.3em 0}
h2{font-size:1.2em;border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.8em}
table{border-collapse:collapse;font-size:.82em;margin:.6em 0}
th,td{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f2f2f2}tr.base td{background:#f7f7f7;color:#555}
td.num{text-align:right}code{font-size:.95em}
figure{margin:1em 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.85em;color:#555}.warn{color:#8a4b00}.note{color:#333}
.status{border:2px solid #b00020;color:#b00020;background:#fff0f0;padding:.4em .7em;
font-weight:600;margin:.6em 0}.status.ok{border-color:#1b7f3b;color:#1b7f3b;background:#effaf2}
.question{font-size:1em;background:#f6f8fa;border-left:4px solid #0072B2;padding:.5em .8em}
p.finding{margin:.45em 0}pre{font-size:.78em;background:#fafafa;border:1px solid #eee;
padding:.5em;overflow-x:auto;white-space:pre-wrap}
"""

QUESTION = ("The question (after the article): facing Ukraine's Kursk incursion, should Russia "
            "move forces from Donetsk to clear Kursk (<i>reinforce</i>), keep its main effort "
            "on Donetsk and contain Kursk (<i>donetsk_focus</i>), seek a diplomatic freeze "
            "(<i>ceasefire</i>), or carry on as on 5 January 2025 (<i>baseline</i>)? What does "
            "each option do to Kursk, to Donetsk and to losses over the next 120 days?")
TABLE_DAYS = (30, 60, 90, 120)
#: Internal values meaning "this trigger never fires", shown as "never".
NEVER = {"trigger_ua_area_km2": 1e8, "trigger_day": 10_000}


def display_value(key: str, value: Any) -> Any:
    """A scenario value for readers: the internal never-firing placeholders as "never"."""
    leaf = key.rsplit(".", 1)[-1]
    if leaf in NEVER and isinstance(value, int | float) and value >= NEVER[leaf]:
        return "never"
    return value


# --------------------------------------------------------------------------- scenario diff


def flatten(node: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted key paths → leaf values; list items that have a ``name`` are keyed by it."""
    out: dict[str, Any] = {}
    if isinstance(node, dict):
        for k, v in node.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(node, list) and node and all(isinstance(x, dict) and "name" in x
                                                 for x in node):
        for x in node:
            out.update(flatten({k: v for k, v in x.items() if k != "name"},
                               f"{prefix}.{x['name']}"))
    else:
        out[prefix] = node
    return out


IGNORED_KEYS = ("name", "description", "runs")


def scenario_diff(base: Results, option: Results) -> list[tuple[str, Any, Any]]:
    """(key path, baseline value, option value) for every resolved value that differs."""
    a = flatten(scenario_dict(base.scenario))
    b = flatten(scenario_dict(option.scenario))
    out = []
    for k in list(dict.fromkeys([*a, *b])):
        if k in IGNORED_KEYS:
            continue
        va, vb = a.get(k, "—"), b.get(k, "—")
        if va != vb:
            out.append((k, va, vb))
    return out


# --------------------------------------------------------------------------- html


def _fig_png(fig: Any, dpi: int = 96) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _esc(v: Any) -> str:
    return html.escape(str(v))


def build_report(
    dirs: Sequence[Path | str | Results],
    baseline: Path | str | Results | None = None,
    day: int | None = None,
    title: str = "Kursk–Donetsk wargame: comparison of options",
    sweeps: Sequence[Path | str] = (),
) -> str:
    """The report as an HTML string (see :func:`write_report`); ``sweeps`` are sweep folders
    (``wargame sweep``) whose sensitivity analyses get a section each."""
    import matplotlib.pyplot as plt

    from sim.analysis import compare, explain_batches
    from sim.viz.explain_plots import explain_figures
    from sim.viz.plots import figures, load_batches

    results = [d if isinstance(d, Results) else load_results(d) for d in dirs]
    if baseline is not None:
        b = baseline if isinstance(baseline, Results) else load_results(baseline)
        results = [b] + [r for r in results if r.path.resolve() != b.path.resolve()]
    cmp = compare(results, day=day)
    batches = load_batches(results)
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
             f"<title>{_esc(title)}</title><style>{CSS}</style></head><body>",
             f"<h1>{_esc(title)}</h1>"]
    expl = explain_batches(results)
    parts += first_screen(results, [bt.label for bt in batches], expl)
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts.append(f"<p>Model output generated {now}. Outcomes compared on day {cmp.day} "
                 f"({_esc(cmp.date)}, {_esc(cmp.day_rule)}); baseline "
                 f"<b>{_esc(cmp.baseline)}</b>. Each option is a "
                 "batch of stochastic runs; with the same master seed the options share their "
                 "replicate seeds (common random numbers), so differences are paired run by "
                 "run.</p>")
    # batches
    parts.append("<h2>Batches</h2><table><tr><th>option</th><th>scenario file</th>"
                 "<th>runs</th><th>master seed</th><th>days</th><th>scenario hash</th>"
                 "<th>status</th><th>folder</th></tr>")
    for bt in batches:
        m, source = bt.res.manifest, bt.res.scenario_file
        here = relative_path(source, Path.cwd()) if source else ""  # no absolute path
        parts.append(
            f"<tr><td>{_esc(bt.label)}</td><td>{_esc(here)}</td>"
            f"<td class='num'>{bt.n}</td><td class='num'>{bt.res.master_seed}</td>"
            f"<td class='num'>{bt.days}</td><td><code>{_esc((m.scenario.hash or '')[:12])}"
            f"</code></td><td>{_esc(bt.res.status)}</td>"
            f"<td>{_esc(relative_path(bt.res.path, Path.cwd()))}</td></tr>")
    parts.append("</table>")
    # what the options change
    parts.append("<h2>What each option changes relative to the baseline</h2>")
    base = results[0]
    for bt, r in zip(batches[1:], results[1:], strict=True):
        diff = scenario_diff(base, r)
        desc = r.scenario.description
        parts.append(f"<h3>{_esc(bt.label)}</h3><p>{_esc(desc)}</p>")
        if not diff:
            parts.append("<p>No difference in the resolved scenario.</p>")
            continue
        parts.append(f"<table><tr><th>parameter</th><th>{_esc(batches[0].label)}</th>"
                     f"<th>{_esc(bt.label)}</th></tr>")
        parts += [f"<tr><td><code>{_esc(k)}</code></td><td>{_esc(display_value(k, a))}</td>"
                  f"<td>{_esc(display_value(k, b))}</td></tr>" for k, a, b in diff]
        parts.append("</table>")
    # comparison
    parts.append(f"<h2>Outcomes on day {cmp.day} ({_esc(cmp.date)}): {_esc(cmp.day_rule)}"
                 "</h2>")
    parts.append(cmp.to_html())
    parts += [f"<p class='note'>{_esc(x)}</p>" for x in cmp.foot()]
    parts += [f"<p class='warn'>Warning: {_esc(w)}</p>" for w in cmp.warnings]
    parts += explain_section(results, expl)
    # figures
    parts.append("<h2>Figures</h2>")
    for stem, fig in explain_figures(expl):
        title_txt = fig._suptitle.get_text() if fig._suptitle else stem
        parts.append(f"<figure id='{_esc(stem)}'><img alt='{_esc(title_txt)}' "
                     f"src='data:image/png;base64,{_fig_png(fig)}'>"
                     f"<figcaption>{_esc(title_txt)}</figcaption></figure>")
        plt.close(fig)
    for stem, fig in figures(batches, "all", cmp.day):
        title_txt = fig._suptitle.get_text() if fig._suptitle else stem
        parts.append(f"<figure id='{_esc(stem)}'><img alt='{_esc(title_txt)}' "
                     f"src='data:image/png;base64,{_fig_png(fig)}'>"
                     f"<figcaption>{_esc(title_txt)}</figcaption></figure>")
        plt.close(fig)
    for sweep in sweeps:  # issue 6: which parameters drive the outcomes
        from sim.analysis import sensitivity
        from sim.viz.sensitivity_plots import report_section

        res = sensitivity(sweep)
        parts.append(report_section(res, title=f"Sensitivity analysis: {Path(sweep).name}"))
    from sim.analysis import model_output

    parts.append(f"<hr><p style='font-size:.8em;color:#555'>{_esc(model_output())}. Not a "
                 "forecast: distributions over runs of a model whose assumptions are "
                 "documented in docs/MODEL.md.</p></body></html>")
    return "\n".join(parts)


# --------------------------------------------------------------------------- first screen


def _num(x: float | None) -> str:
    from sim.runner import fmt_number

    return fmt_number(x)


def _delta(d: float, unit: str, what: str) -> str:
    if d != d:
        return f"{what} –"
    if abs(d) < 1:
        return f"the same {what}"
    return f"{'+' if d > 0 else '−'}{_num(abs(d))} {unit} {what}"


def _table_days(res: Results) -> list[int]:
    from sim.analysis import horizon

    last = horizon(res)
    return [d for d in TABLE_DAYS if d <= last] or [last]


def _stats(res: Results, days: Sequence[int]) -> Any:
    """Median, 5 and 95 % of the headline outcomes on ``days`` (indexed by metric, day)."""
    from sim.runner import summarize

    return summarize(res.path / "daily.parquet", days=list(days)).set_index(["metric", "day"])


def _ceasefire_lines(res: Results) -> dict[str, float]:
    from sim.analysis import read_table

    cols = ["ceasefire_day", "ceasefire_kursk_ua_km2", "ceasefire_donetsk_ru_gain_km2"]
    df = read_table(res, "runs", cols)
    started = df["ceasefire_day"].notna() if "ceasefire_day" in df else df.index < 0
    out = {"share": float(started.mean()) if len(df) else 0.0}
    for c in cols[1:]:
        v = df.loc[started, c].astype(float) if c in df else []
        out[c] = float(v.median()) if len(v) else float("nan")
    out["day"] = (float(df.loc[started, "ceasefire_day"].median()) if started.any()
                  else float("nan"))
    return out


def finding(label: str, o: Any, st: Any, base: Any | None, cf: dict[str, float]) -> str:
    """One paragraph of findings for an option, in words generated from the numbers."""
    last = max(d for _, d in st.index)

    def med(metric: str, d: int, frame: Any = st) -> float:
        try:
            return float(frame.loc[(metric, d), "median"])
        except KeyError:
            return float("nan")

    s = [f"<b>{_esc(label)}</b>: Kursk is cleared by day "
         f"{o.class_day} in {fmt_percent(o.shares[f'Kursk cleared by day {o.class_day}'])} of runs"]
    if len(o.modes) > 1:
        modes = ", ".join(f"{m.name()} in {fmt_percent(m.share)}" for m in o.modes)
        s[-1] += (f"; the day-{o.class_day} Kursk area is multi-modal ({modes}), so its median "
                  "hides the split")
    s.append(f"On day {last} Ukraine holds a median {_num(med('kursk_ua_km2', last))} km² of "
             f"Kursk and Russia has gained a median {_num(med('donetsk_ru_gain_km2', last))} "
             "km² in Donetsk")
    if base is not None:
        dk = med("kursk_ua_km2", last) - med("kursk_ua_km2", last, base)
        dd = med("donetsk_ru_gain_km2", last) - med("donetsk_ru_gain_km2", last, base)
        s[-1] += (f" ({_delta(dk, 'km²', 'Kursk')} and {_delta(dd, 'km²', 'Donetsk')} "
                  "against the baseline's medians)")
    s.append(f"Losses by day {last}: Russian {_num(med('ru_losses', last))}, Ukrainian "
             f"{_num(med('ua_losses', last))} (medians)")
    if cf["share"] > 0:
        s.append(f"A ceasefire starts in {fmt_percent(cf['share'])} of runs (median day "
                 f"{cf['day']:.0f}), freezing a median {_num(cf['ceasefire_kursk_ua_km2'])} km² "
                 f"of Kursk in Ukrainian hands and {_num(cf['ceasefire_donetsk_ru_gain_km2'])} km²"
                 " of Russian gains in Donetsk")
    else:
        s.append("No ceasefire starts")
    return "<p class='finding'>" + ". ".join(s) + ".</p>"


def first_screen(results: Sequence[Results], labels: Sequence[str], expl: Any) -> list[str]:
    """The question, the calibration status, findings per option, the outcome table on days
    30/60/90/120 and the ceasefire lines."""
    from sim.analysis import calibration_status

    parts = [f"<p class='question'>{QUESTION}</p>"]
    statuses = {lab: calibration_status(r) for lab, r in zip(labels, results, strict=True)}
    bad = [lab for lab, st in statuses.items() if not st.calibrated]
    if bad:
        parts.append(f"<div class='status'>Calibration status: {_esc(statuses[bad[0]].line)} "
                     f"({_esc(', '.join(bad))}).</div>")
    else:
        line = next(iter(statuses.values())).line
        parts.append(f"<div class='status ok'>Calibration status: {_esc(line)}</div>")
    days = _table_days(results[0])
    stats = [_stats(r, days) for r in results]
    cfs = [_ceasefire_lines(r) for r in results]
    parts.append("<h2>Findings</h2>")
    for i, (lab, o) in enumerate(zip(labels, expl.options, strict=True)):
        parts.append(finding(lab, o, stats[i], stats[0] if i else None, cfs[i]))
    parts.append(f"<h2>Outcomes on days {', '.join(map(str, days))}</h2>")
    groups = [[(n, OUTCOME_BY_NAME[n].heading()) for n in names]
              for names in (("kursk_ua_km2", "donetsk_ru_gain_km2"), ("ru_losses", "ua_losses"))]
    for rows in groups:
        parts.append("<table><tr><th rowspan='2'>option</th>"
                     + "".join(f"<th colspan='{len(days)}'>{_esc(name)}</th>" for _, name in rows)
                     + "</tr><tr>" + "".join(f"<th>day {d}</th>" for _ in rows for d in days)
                     + "</tr>")
        for i, lab in enumerate(labels):
            cells = []
            for metric, _ in rows:
                for d in days:
                    try:
                        r = stats[i].loc[(metric, d)]
                        cells.append(f"<td class='num'>{_num(r['median'])}<br><small>"
                                     f"{_num(r['p5'])}–{_num(r['p95'])}</small></td>")
                    except KeyError:
                        cells.append("<td>–</td>")
            parts.append(f"<tr><td>{_esc(lab)}</td>{''.join(cells)}</tr>")
        parts.append("</table>")
    parts.append("<p style='font-size:.85em'>Median of the runs, with their 5–95 % range "
                 "below it.</p>")
    parts.append("<h2>Ceasefire lines</h2><table><tr><th>option</th><th>ceasefire started"
                 "</th><th>median start day</th><th>Kursk held by Ukraine when frozen (km²)"
                 "</th><th>Donetsk gained by Russia when frozen (km²)</th></tr>")
    for lab, cf in zip(labels, cfs, strict=True):
        parts.append(f"<tr><td>{_esc(lab)}</td><td class='num'>{fmt_percent(cf['share'])}</td>"
                     f"<td class='num'>{_num(cf['day'])}</td>"
                     f"<td class='num'>{_num(cf['ceasefire_kursk_ua_km2'])}</td>"
                     f"<td class='num'>{_num(cf['ceasefire_donetsk_ru_gain_km2'])}</td></tr>")
    parts.append("</table><p style='font-size:.85em'>Medians over the runs in which a ceasefire"
                 " started (the lines frozen on its first day; metrics "
                 "<code>ceasefire_kursk_ua_km2</code>, <code>ceasefire_donetsk_ru_gain_km2</code>"
                 " in <code>wargame compare</code>).</p>")
    return parts


def explain_section(results: Sequence[Results], expl: Any) -> list[str]:
    """Why: chains of a representative run per option and class, discovery, robustness."""
    from sim.analysis import CompareError, robustness

    parts = ["<h2>Why: causal chains, outcome classes, scenario discovery</h2>",
             "<p>From <code>wargame explain</code> (docs/ANALYSIS.md): per option the outcome "
             "classes, the modes of the Kursk area, the run features that separate the runs in "
             "which Kursk was cleared (decision-tree boxes with coverage = share of those runs "
             "inside the box and density = share of the box's runs that are of the class), and "
             "the chain of events behind the key outcomes of a representative run of each "
             "class.</p>"]
    for o in expl.options:
        parts.append(f"<h3>{_esc(o.label)}</h3>")
        text = o.to_text() if hasattr(o, "to_text") else ""
        parts.append(f"<pre>{_esc(text)}</pre>")
    if len(results) >= 2:
        try:
            rob = robustness(results)
        except CompareError as exc:
            parts.append(f"<p class='warn'>Robustness not computed: {_esc(exc)}</p>")
        else:
            parts.append(f"<h2>Robustness (regret on day {rob.day})</h2><p>Regret of each "
                         "option against the best option on the same replicate, per side's "
                         "objective (<code>wargame compare --robustness</code>).</p><ul>")
            parts += [f"<li>{_esc(b)}</li>" for b in rob.best()]
            parts.append("</ul>")
            # ",.4g" printed losses as 2.525e+04: whole numbers from 100 up, 3 digits below
            parts.append(rob.regret.to_html(
                index=False, border=0,
                float_format=lambda x: f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"))
    return parts


def write_report(dirs: Sequence[Path | str | Results], out: Path | str = "report.html",
                 baseline: Path | str | Results | None = None, day: int | None = None,
                 sweeps: Sequence[Path | str] = ()) -> Path:
    """Write the self-contained report to ``out`` (atomically) and return its path."""
    out = Path(out)
    text = build_report(dirs, baseline=baseline, day=day, sweeps=sweeps)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(out, text)
    except OSError as exc:  # read-only, disk full: name the file asked for, not a temp name
        from sim.viz.plots import PlotError

        raise PlotError(f"{out}: cannot write: {exc.strerror or exc}") from None
    return out
