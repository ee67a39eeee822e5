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

import yaml

from sim.runner import Results, atomic_write_text, load_results

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;max-width:1250px;
margin:1.5em auto;padding:0 1em;color:#222;line-height:1.4}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;padding-bottom:.2em;
margin-top:1.8em}
table{border-collapse:collapse;font-size:.82em;margin:.6em 0}
th,td{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f2f2f2}tr.base td{background:#f7f7f7;color:#555}
td.num{text-align:right}code{font-size:.95em}
figure{margin:1em 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.85em;color:#555}.warn{color:#8a4b00}.note{color:#333}
"""


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
    a = flatten(yaml.load(base.scenario_yaml, Loader=_Loader))
    b = flatten(yaml.load(option.scenario_yaml, Loader=_Loader))
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

    from sim.analysis import compare
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
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts.append(f"<p>Model output generated {now}. Outcomes compared on day {cmp.day} "
                 f"({_esc(cmp.date)}); baseline <b>{_esc(cmp.baseline)}</b>. Each option is a "
                 "batch of stochastic runs; with the same master seed the options share their "
                 "replicate seeds (common random numbers), so differences are paired run by "
                 "run.</p>")
    # batches
    parts.append("<h2>Batches</h2><table><tr><th>option</th><th>scenario file</th>"
                 "<th>runs</th><th>master seed</th><th>days</th><th>scenario hash</th>"
                 "<th>status</th><th>folder</th></tr>")
    for bt in batches:
        m = bt.res.manifest
        parts.append(
            f"<tr><td>{_esc(bt.label)}</td><td>{_esc(m['scenario'].get('file', ''))}</td>"
            f"<td class='num'>{bt.n}</td><td class='num'>{bt.res.master_seed}</td>"
            f"<td class='num'>{bt.days}</td><td><code>{_esc(m['scenario'].get('hash', '')[:12])}"
            f"</code></td><td>{_esc(bt.res.status)}</td><td>{_esc(bt.res.path)}</td></tr>")
    parts.append("</table>")
    # what the options change
    parts.append("<h2>What each option changes relative to the baseline</h2>")
    base = results[0]
    for bt, r in zip(batches[1:], results[1:], strict=True):
        diff = scenario_diff(base, r)
        desc = yaml.load(r.scenario_yaml, Loader=_Loader).get("description", "")
        parts.append(f"<h3>{_esc(bt.label)}</h3><p>{_esc(desc)}</p>")
        if not diff:
            parts.append("<p>No difference in the resolved scenario.</p>")
            continue
        parts.append(f"<table><tr><th>parameter</th><th>{_esc(batches[0].label)}</th>"
                     f"<th>{_esc(bt.label)}</th></tr>")
        parts += [f"<tr><td><code>{_esc(k)}</code></td><td>{_esc(a)}</td><td>{_esc(b)}</td>"
                  "</tr>" for k, a, b in diff]
        parts.append("</table>")
    # comparison
    parts.append(f"<h2>Outcomes on day {cmp.day} ({_esc(cmp.date)})</h2>")
    parts.append("<p>Median, mean with 95 % confidence interval and 5–95 % range over runs; "
                 "Δ = option − baseline, paired on matched seeds where possible, with a "
                 "bootstrap (BCa) 95 % CI; '?' marks an interval that includes 0. "
                 "“better / tie / worse for Russia” are the shares of matched runs in which the "
                 "option's value is strictly better, equal or strictly worse from Russia's point "
                 "of view (for outcomes without a direction: higher / tie / lower). Methods: "
                 "docs/ANALYSIS.md.</p>")
    parts.append(cmp.to_html())
    for n in cmp.notes:
        parts.append(f"<p class='note'>Note: {_esc(n)}</p>")
    if cmp.warnings:
        parts.append("<details><summary class='warn'>"
                     f"{len(cmp.warnings)} difference(s) the runs cannot separate</summary><ul>")
        parts += [f"<li class='warn'>{_esc(w)}</li>" for w in cmp.warnings]
        parts.append("</ul></details>")
    # figures
    parts.append("<h2>Figures</h2>")
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
    parts.append("<hr><p style='font-size:.8em;color:#555'>Source: model output "
                 "(kursk-donetsk-wargame). Not a forecast: distributions over runs of a model "
                 "whose assumptions are documented in docs/MODEL.md.</p></body></html>")
    return "\n".join(parts)


def write_report(dirs: Sequence[Path | str | Results], out: Path | str = "report.html",
                 baseline: Path | str | Results | None = None, day: int | None = None,
                 sweeps: Sequence[Path | str] = ()) -> Path:
    """Write the self-contained report to ``out`` (atomically) and return its path."""
    out = Path(out)
    text = build_report(dirs, baseline=baseline, day=day, sweeps=sweeps)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out, text)
    return out
