"""``wargame check``, ``validate`` and ``show``: is a folder intact, is a scenario valid, what
does it resolve to."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from sim.cli.common import (
    EXIT_PROBLEMS,
    SetOption,
    console,
    err_console,
    fail,
    load_or_exit,
    one_line,
)


def check(
    folder: Annotated[Path, typer.Argument(
        help="Batch folder written by wargame run, or a fit folder / posterior table.")],
) -> None:
    """Verify a batch folder (its manifest's digest, every file's checksum, the posterior it
    drew from), a fit folder (its ABC-SMC database against the digests in smc.json, its
    posterior) or a posterior (its digest in fit.json, its values): exit 0 intact, 1 damaged."""
    from sim.analysis import DB_NAME
    from sim.runner import NotABatchFolder, ResultsError, posterior_file, read_manifest, verify

    try:
        manifest = read_manifest(folder)
    except NotABatchFolder as exc:
        post = posterior_file(folder)
        db = folder / DB_NAME
        if post is None and not (db.exists() or db.is_symlink()):
            raise fail(exc) from None
        if db.exists() or db.is_symlink():
            _check_fit_db(folder)
        if post is not None:
            _check_posterior(post)
        return
    except ResultsError as exc:
        problems, repair = [str(exc)], "--force (the manifest itself is damaged)"
    else:
        problems, repair = verify(folder, manifest, dependencies=True), "--resume"
    if problems:
        err_console.print(Text(f"{folder}: damaged, {len(problems)} problem(s)"), soft_wrap=True)
        for p in problems:
            err_console.print(Text(f"  - {one_line(p)}"), soft_wrap=True)
        err_console.print(Text(f"  repair: wargame run <scenario> --out {folder} {repair}"),
                          soft_wrap=True)
        raise typer.Exit(EXIT_PROBLEMS)
    files = len(manifest.files) + sum(len(p) for p in manifest.parts.values())
    note = f"{files} files match their checksums" if files else "no checksums recorded"
    console.print(Text(f"{folder}: ok ({manifest.status}, {len(manifest.done_runs())}/"
                       f"{len(manifest.runs)} runs done, {note})"), soft_wrap=True)


def _check_fit_db(folder: Path) -> None:
    from sim.analysis import DB_NAME, db_problem, recorded_digests

    problem = db_problem(folder)
    if problem:
        err_console.print(Text(one_line(problem)), soft_wrap=True)
        err_console.print(Text(f"  repair: restore it from a copy, or start the fit afresh "
                               f"(wargame calibrate ... --fit-dir {folder} --force)"),
                          soft_wrap=True)
        raise typer.Exit(EXIT_PROBLEMS)
    note = ("matches its sha256 in smc.json" if recorded_digests(folder) is not None
            else "no sha256 recorded in smc.json: checked as SQLite only")
    console.print(Text(f"{folder / DB_NAME}: ok ({note})"), soft_wrap=True)


def _check_posterior(path: Path) -> None:
    from sim.runner import DrawError, load_posterior, recorded_digest

    try:
        post = load_posterior(path)
        digest = recorded_digest(path)
    except DrawError as exc:
        err_console.print(Text(one_line(str(exc))), soft_wrap=True)
        err_console.print(Text("  repair: restore the file or re-run the fit (wargame "
                               "calibrate)"), soft_wrap=True)
        raise typer.Exit(EXIT_PROBLEMS) from None
    note = "matches the digest in fit.json" if digest else "no digest recorded in a fit.json"
    console.print(Text(f"{path}: ok ({len(post.weights)} particles of {len(post.names)} "
                       f"parameters, {note})"), soft_wrap=True)


def validate(
    scenarios: Annotated[list[Path], typer.Argument(help="Scenario YAML file(s).")],
    sets: SetOption = None,
) -> None:
    """Check scenario files; list every problem (exit 1) or say ok."""
    from sim.runner import DrawError, make_plan
    from sim.scenario import ScenarioError, load_scenario

    bad = 0
    for path in scenarios:
        try:
            scn = load_scenario(path, overrides=list(sets or []))
            make_plan(scn, None, scn.seed)  # its posterior: digest, metadata, every particle
        except (ScenarioError, DrawError) as exc:
            bad += 1
            problems = getattr(exc, "problems", None) or [str(exc)]
            err_console.print(Text(f"{path}: {len(problems)} problem(s)"), soft_wrap=True)
            for p in problems:
                err_console.print(Text(f"  - {p}"), soft_wrap=True)
        else:
            console.print(f"{path}: ok")
    raise typer.Exit(EXIT_PROBLEMS if bad else 0)


def show(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    sets: SetOption = None,
) -> None:
    """Print the fully resolved scenario (extends and --set applied) as YAML."""
    from sim.scenario import resolved_yaml

    scn = load_or_exit(scenario, sets or [])
    # paths relative to the working folder: the text holds no absolute path, and saved here
    # (`wargame show s.yaml > r.yaml`) it reads back
    typer.echo(resolved_yaml(scn, relative_to=Path.cwd()), nl=False)
