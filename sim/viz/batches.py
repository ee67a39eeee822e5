"""What ``wargame run`` does, as one library call a notebook can make: check every scenario
and output folder, run one batch per scenario on one executor, then write each finished
batch's fan charts and summary.

    for b in run_batches(["scenarios/reinforce.yaml"], runs=40):
        print(b.summary.to_text())
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from sim.analysis import RunSummary, check_output_path, run_summary
from sim.runner import (
    BatchError,
    BatchResult,
    DrawError,
    Executor,
    check_out_dir,
    folder_name,
    make_executor,
    plan_mode,
    run_batch,
)
from sim.scenario import Scenario, load_scenario

__all__ = ["BatchRun", "RESULTS", "default_folder", "plan_batches", "run_batches"]

#: Where batches go by default: ``results/<scenario name>``.
RESULTS = Path("results")


@dataclass
class BatchRun:
    """One finished (or stopped) batch of :func:`run_batches`."""

    scenario: Scenario
    folder: Path
    result: BatchResult
    #: the fan charts written into ``<folder>/figures/``
    figures: list[Path]
    #: why the fan charts could not be written ("" when they were)
    figure_error: str = ""
    #: the run summary (None while no run finished, or when not asked for)
    summary: RunSummary | None = None


def default_folder(name: str, prefix: str = "", results: Path = RESULTS) -> Path:
    """``results/<prefix><slug of name>``; a :class:`BatchError` should it resolve outside
    ``results/``."""
    slug = folder_name(name, prefix=prefix)
    folder = results / slug
    try:
        inside = folder.resolve().is_relative_to(results.resolve())
    except (OSError, RuntimeError):
        inside = False
    if not inside or slug in ("", ".", ".."):
        raise BatchError(f"{folder}: the default output folder must stay inside {results}/; "
                         "use --out")
    return folder


def plan_batches(scenarios: Sequence[Path | str | Scenario], out: Path | str | None = None, *,
                 overrides: Sequence[str] = (), resume: bool = False, force: bool = False,
                 params: str | None = None, dice_per_draw: int | None = None
                 ) -> list[tuple[Scenario, Path]]:
    """Each scenario (loaded with ``overrides``) with its output folder (``out`` for one
    scenario, ``out/<name>`` for several, else ``results/<name>``), every input, parameter
    mode and folder checked before anything is written (:class:`~sim.scenario.ScenarioError`,
    :class:`~sim.runner.BatchError`; :class:`~sim.analysis.FitFolderError` for a folder under
    the scenarios, :func:`~sim.analysis.check_output_path`)."""
    if resume and force:
        raise BatchError("--resume and --force exclude each other")
    loaded = [s if isinstance(s, Scenario) else load_scenario(s, overrides=list(overrides))
              for s in scenarios]
    for scn in loaded:
        try:
            plan_mode(scn, params, dice_per_draw)
        except DrawError as exc:
            raise BatchError(str(exc)) from None
    out = Path(out) if out is not None else None
    folders = [(out if len(loaded) == 1 else out / folder_name(scn.name)) if out
               else default_folder(scn.name) for scn in loaded]
    if len(set(folders)) < len(folders):
        dup = next(f for f in folders if folders.count(f) > 1)
        raise BatchError(f"two scenarios would share the results folder {dup}; rename one")
    for src, folder in zip(scenarios, folders, strict=True):
        check_output_path(folder, None if isinstance(src, Scenario) else Path(src))
        check_out_dir(folder, resume=resume, force=force)
    return list(zip(loaded, folders, strict=True))


def run_batches(
    scenarios: Sequence[Path | str | Scenario] | Sequence[tuple[Scenario, Path]],
    out: Path | str | None = None,
    *,
    overrides: Sequence[str] = (),
    runs: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    executor: str | Executor = "local",
    scheduler: str | None = None,
    resume: bool = False,
    force: bool = False,
    params: str | None = None,
    dice_per_draw: int | None = None,
    pinned: Sequence[str] = (),
    command: str = "",
    progress: Callable[[str, int, int], None] | None = None,
    figures: bool = True,
    summary: bool = True,
) -> Iterator[BatchRun]:
    """Run one batch per scenario (see :func:`plan_batches`; a plan may be passed instead)
    on one executor (``"local"``, ``"dask"`` or an :class:`~sim.runner.Executor` the caller
    owns), yielding each batch as it ends, with its fan charts and summary when ``figures``
    / ``summary``. ``progress(name, finished, total)`` follows the runs. A batch interrupted
    by Ctrl-C is yielded with ``result.interrupted`` and ends the iteration."""
    plan = [s for s in scenarios if isinstance(s, tuple)] or plan_batches(
        scenarios, out, overrides=overrides, resume=resume, force=force,  # type: ignore[arg-type]
        params=params, dice_per_draw=dice_per_draw)
    ex = make_executor(executor, workers, scheduler) if isinstance(executor, str) else executor
    try:
        for scn, folder in plan:
            def step(finished: int, total: int, name: str = scn.name) -> None:
                if progress is not None:
                    progress(name, finished, total)

            result = run_batch(scn, folder, runs=runs, master_seed=seed, workers=workers,
                               resume=resume, force=force, progress=step, command=command,
                               executor=ex, params=params, dice_per_draw=dice_per_draw,
                               pinned=pinned)
            batch = BatchRun(scn, folder, result, [])
            if result.done and figures:
                batch.figures, batch.figure_error = fan_charts(folder)
            if result.done and summary:
                batch.summary = run_summary(folder, f"{scn.name}: {result.done} runs")
            yield batch
            if result.interrupted:
                return
    finally:
        if isinstance(executor, str):
            ex.close()


def fan_charts(folder: Path) -> tuple[list[Path], str]:
    """The fan charts of a batch into ``<folder>/figures/``, or why not (a figure problem
    must never lose a batch)."""
    from sim.viz.plots import make_plots

    try:
        return make_plots([folder], kind="fan", out=folder / "figures"), ""
    except Exception as exc:  # noqa: BLE001 - reported, the batch is kept
        return [], " ".join(str(exc).split()) or type(exc).__name__
