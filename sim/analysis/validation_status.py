"""The calibration status of an output, in one line (run table footer, ``compare``, every
figure's source line, the report header).

``calibration_status(source)`` reads what the output was made with and returns a
:class:`CalibrationStatus`; ``status_line(source)`` is its one line. ``source`` is a batch
(:class:`sim.runner.Results`, its folder, or its :class:`sim.runner.Manifest`), a
:class:`sim.scenario.Scenario`, a fit record (the ``fit.json`` dict) or None. A batch's manifest
carries the fit record of the posterior it used (``manifest.calibration``, copied from the
posterior table's metadata when the batch ran) and its parameter mode
(``manifest.parameters.mode``).

A calibrated line also says how good the model's forecasts are, from the committed rolling-origin
backtest (``validation/backtest/summary.csv``, :func:`backtest_clause`: pooled skill against
the best naive forecast per front and the 90 % band's coverage), and the validity envelope
(:data:`ENVELOPE`, docs/VALIDATION.md).

Examples::

    calibrated (ABC-SMC, 2026-11-27) to 11 observations 2024-08-12..2025-01-05; hindcast 5/6
    Kursk, 5/5 Donetsk; backtest skill vs naive Kursk -0.52, Donetsk -1.10, 90 % band covers
    6/15; fit for relative comparisons over 1-2 months; posterior draws (4 runs per draw)

    UNCALIBRATED: no calibration posterior (fixed parameter values)

A posterior batch in which the user set a fitted parameter (``--set combat.lethality=...``:
the manifest's ``parameters.pinned``, which the draws leave alone) starts ``off-calibration:
combat.lethality set by hand (the other parameters calibrated ...)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

UNCALIBRATED = "UNCALIBRATED"
#: The committed backtest (``wargame backtest`` with its defaults writes it).
BACKTEST_DIR = Path(__file__).resolve().parents[2] / "validation" / "backtest"
#: What the model is fit to answer (docs/VALIDATION.md, "Validity envelope").
ENVELOPE = "fit for relative comparisons over 1-2 months"


def backtest_clause(summary: str | Path | None = None) -> str:
    """``backtest skill vs naive Kursk s, Donetsk s, 90 % band covers k/n`` from a backtest's
    ``summary.csv`` (default: the committed one; its ``pooled`` rows), or ``no backtest``."""
    import csv

    path = Path(summary) if summary is not None else BACKTEST_DIR / "summary.csv"
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            pooled = [r for r in csv.DictReader(fh) if r.get("origin") == "pooled"]
        skills = ", ".join(f"{r['front'].capitalize()} {float(r['skill']):+.2f}" for r in pooled)
        n = sum(int(r["n"]) for r in pooled)
        k = round(sum(float(r["cover90"]) * int(r["n"]) for r in pooled))
    except (OSError, KeyError, ValueError):
        return "no backtest"
    if not pooled:
        return "no backtest"
    return f"backtest skill vs naive {skills}, 90 % band covers {k}/{n}"


@dataclass(frozen=True)
class CalibrationStatus:
    """What an output's parameters rest on. ``calibrated`` is False when no fit was used."""

    calibrated: bool
    method: str = ""
    date: str = ""
    observations: int = 0
    first: str = ""
    last: str = ""
    groups: tuple[tuple[str, int, int], ...] = ()   # (group, matched, fitted)
    mode: str = "fixed"                             # posterior | median | fixed
    dice_per_draw: int | None = None
    reason: str = ""
    backtest: str = ""                              # backtest_clause() of the model
    pinned: tuple[str, ...] = ()                    # fitted parameters set by hand

    @property
    def line(self) -> str:
        if not self.calibrated:
            return f"{UNCALIBRATED}: {self.reason}" if self.reason else UNCALIBRATED
        span = f" {self.first}..{self.last}" if self.first else ""
        fit = ", ".join(f"{m}/{n} {g.capitalize()}" for g, m, n in self.groups)
        use = {"posterior": "posterior draws" + (f" ({self.dice_per_draw} runs per draw)"
                                                 if self.dice_per_draw else ""),
               "median": "posterior medians (no parameter uncertainty)",
               "fixed": "fixed best-fit values (no parameter uncertainty)"}.get(self.mode, "")
        parts = [f"calibrated ({self.method}, {self.date}) to {self.observations} "
                 f"observations{span}"]
        if self.pinned:   # the fit's figures no longer describe these runs
            parts[0] = (f"off-calibration: {', '.join(self.pinned)} set by hand (the other "
                        f"parameters {parts[0]})")
        if fit:
            parts.append(f"hindcast {fit}")
        if self.backtest:
            parts += [self.backtest, ENVELOPE]
        if use:
            parts.append(use)
        return "; ".join(parts)

    def rich(self) -> Any:
        """The line as :class:`rich.text.Text`: UNCALIBRATED in bold red."""
        from rich.text import Text

        if self.calibrated:
            return Text(self.line)
        text = Text(UNCALIBRATED, style="bold red")
        return text + Text(self.line[len(UNCALIBRATED):])


def from_fit(fit: Mapping[str, Any] | None, mode: str = "posterior",
             dice_per_draw: int | None = None) -> CalibrationStatus:
    """The status of outputs made with the posterior whose fit record is ``fit``."""
    if not fit:
        return CalibrationStatus(False, reason="the posterior carries no fit record")
    try:
        groups = tuple((g, int(v[0]), int(v[1])) for g, v in (fit.get("groups") or {}).items())
        return CalibrationStatus(True, str(fit.get("method", "?")), str(fit.get("date", "?")),
                                 int(fit.get("observations", 0)), str(fit.get("first") or ""),
                                 str(fit.get("last") or ""), groups, mode, dice_per_draw,
                                 backtest=backtest_clause())
    except (AttributeError, IndexError, KeyError, TypeError, ValueError):
        return CalibrationStatus(False, reason="its fit record is damaged")


def calibration_status(source: Any) -> CalibrationStatus:
    """The calibration status of a batch, a scenario or a fit record (module docstring)."""
    if source is None:
        return CalibrationStatus(False, reason="no calibration posterior")
    if isinstance(source, str | Path):
        from sim.runner import load_results

        source = load_results(source)
    from sim.runner import Manifest

    manifest = source if isinstance(source, Manifest) else getattr(source, "manifest", None)
    if isinstance(manifest, Manifest):
        params = manifest.parameters
        if params.mode == "fixed":
            if manifest.calibration:  # fixed values from a calibration overlay
                return from_fit(manifest.calibration, "fixed")
            return CalibrationStatus(False, reason="no calibration posterior used (fixed "
                                     "parameter values)")
        status = from_fit(manifest.calibration, params.mode, params.dice_per_draw)
        if status.calibrated and params.pinned:
            return replace(status, pinned=tuple(params.pinned))
        return status
    if isinstance(source, Mapping):
        return from_fit(source, mode="")   # a fit record: no batch, no mode
    path = getattr(source, "calibration_posterior", None)
    if path is None:
        fit = getattr(source, "calibration_fit", None)
        if fit:
            return from_fit(fit, "fixed")
        return CalibrationStatus(False, reason="the scenario names no calibration posterior")
    from sim.runner import load_posterior

    return from_fit(load_posterior(path).fit)


def status_line(source: Any) -> str:
    """One line: ``calibrated (method, date) to N observations first..last; hindcast m/n
    Kursk, m/n Donetsk; ...`` or ``UNCALIBRATED: why``."""
    return calibration_status(source).line


def model_output() -> str:
    """What every output's source line starts with: the package and its version."""
    from sim.runner import package_version

    return f"Source: model output (kursk-donetsk-wargame {package_version()})"


def source_line(results: Sequence[Any], labels: Sequence[str]) -> str:
    """The source line every figure of these batches (:class:`sim.runner.Results`, named
    ``labels``) carries: the package and its version, each batch's runs, seed and scenario
    hash, and the calibration status (once if the batches share it)."""
    lines = [status_line(r) for r in results]
    calib = lines[0] if len(set(lines)) == 1 else "; ".join(
        f"{lab}: {c}" for lab, c in zip(labels, lines, strict=True))
    runs = "; ".join(f"{lab}: {len(r.done_runs())} runs, seed {r.master_seed}, scenario hash "
                     f"{(r.manifest.scenario.hash or '')[:7]}"
                     for lab, r in zip(labels, results, strict=True))
    return f"{model_output()}; {runs}. Calibration: {calib}."
