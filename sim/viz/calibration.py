"""The calibration report: the fitted hindcast as a batch, its tables and the fit figure."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis import CalibrationError, FitReport
from sim.runner import weighted_quantile
from sim.scenario import Scenario, with_values
from sim.viz.canvas import close, subplots
from sim.viz.plots import fig_history, title_lines


def write_calibration_report(cal: FitReport, scenario: Scenario, out_dir: str | Path,
                 observations: str | Path, runs: int | None = None,
                 workers: int | None = None, force: bool = True,
                 posterior: str | Path | None = None) -> list[Path]:
    """A folder with the fit: the calibrated hindcast as a results batch (``daily.parquet``...),
    ``posterior.csv``, ``fit_table.csv``, ``candidates.csv`` (rejection) or ``particles.csv``
    (SMC), ``history.png`` and ``pairwise.png``.

    With ``posterior`` (the fit's posterior table) the check batch is posterior-predictive: each
    run draws its own particle, so ``history.png``'s bands carry the parameter uncertainty;
    without it every run uses the posterior medians."""
    from sim.runner import run_batch

    out = Path(out_dir)
    n = runs or max(2 * cal.replicates, 20)
    if posterior is not None:
        scn = scenario.model_copy(update={"calibration_posterior": Path(posterior).resolve()})
        res = run_batch(scn, out, runs=n, master_seed=cal.seed + 1, workers=workers,
                        force=force, params="posterior", dice_per_draw=1,
                        command="wargame calibrate (posterior-predictive check)")
    else:
        res = run_batch(with_values(scenario, cal.values), out, runs=n,
                        master_seed=cal.seed + 1, workers=workers, force=force,
                        command="wargame calibrate (fit check)")
    if not res.complete:
        first = next(iter(res.failed.values()), "interrupted")
        raise CalibrationError(f"{out}: the fit-check batch finished {res.done} of {res.runs} "
                               f"runs (first error: {first}); see its manifest.json")
    cal.posterior.to_csv(out / "posterior.csv", index=False)
    table = cal.check if cal.check is not None else cal.fit_table()
    table.to_csv(out / "fit_table.csv", index=False)
    if hasattr(cal, "design"):  # rejection: every candidate
        cand = pd.DataFrame(cal.design, columns=cal.params)
        cand["distance"] = cal.dist
        cand["accepted"] = np.isin(np.arange(cal.budget), cal.accepted)
        cand.to_csv(out / "candidates.csv", index=False)
        third = "candidates.csv"
    else:  # SMC: the last population's weighted particles
        cal.particles.to_csv(out / "particles.csv", index=False)
        third = "particles.csv"
    for fig, name, dpi in ((fig_history(out, observations), "history.png", 110),
                           (fig_pairwise(cal.particles, cal.params, cal.prior),
                            "pairwise.png", 90)):
        fig.savefig(out / name, dpi=dpi)
        close(fig)
    return [out / n for n in ("posterior.csv", "fit_table.csv", third, "history.png",
                              "pairwise.png")]


def fig_pairwise(particles: pd.DataFrame, params: list[str],
                 prior: dict[str, tuple[float, float]]):
    """Pairwise plot of a posterior: weighted histograms on the diagonal, weighted particles
    below it (dot area ~ weight, the weighted median marked), every axis spanning the
    parameter's prior range so a posterior squeezed against a prior edge shows."""
    k = len(params)
    w = particles["weight"].to_numpy(dtype=float)
    w = w / w.sum()
    size = max(1.4, min(2.2, 16 / max(k, 1)))
    fig, axes = subplots(k, k, figsize=(size * k + 1, size * k + 1), squeeze=False)
    vals = {p: particles[p].to_numpy(dtype=float) for p in params}
    med = {p: weighted_quantile(vals[p], w, 0.5) for p in params}
    for i, py in enumerate(params):
        for j, px in enumerate(params):
            ax = axes[i, j]
            if j > i:
                ax.axis("off")
                continue
            ax.set_xlim(prior[px])
            if i == j:
                ax.hist(vals[px], bins=20, range=prior[px], weights=w, color="#0072B2",
                        alpha=0.7)
                ax.axvline(med[px], color="#D55E00", lw=1)
                ax.set_yticks([])
            else:
                ax.scatter(vals[px], vals[py], s=4 + 400 * w, color="#0072B2", alpha=0.35,
                           linewidths=0)
                ax.plot([med[px]], [med[py]], "+", color="#D55E00", ms=8, mew=1.5)
                ax.set_ylim(prior[py])
            ax.tick_params(labelsize=6)
            ax.locator_params(nbins=4)  # 9 ticks of 0.004 .. 0.02 ran together in 2 inches
            if i == k - 1:
                ax.set_xlabel(px, fontsize=7)
            else:
                ax.set_xticklabels([])
            if j == 0 and i > 0:
                ax.set_ylabel(py, fontsize=7)
            elif j > 0:
                ax.set_yticklabels([])
    # wrapped: one fitted parameter makes a 3-inch figure, narrower than the title
    fig.suptitle("\n".join(title_lines(f"Posterior: {len(w)} weighted particles (axes span "
                                        "the prior; + / line: weighted median)",
                                        fig.get_size_inches()[0], 10)), fontsize=10)
    fig.tight_layout()
    return fig
