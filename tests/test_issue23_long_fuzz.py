"""Regression tests for what the long fuzz profile of tests/test_fuzz_surfaces.py found on
the issue-23 surfaces (each failed before its fix): an overlay ``--out`` in a folder not yet
made, outputs under ``scenarios/`` through an enclosing ``--fit-dir`` (and other commands'
``--out``), fit-folder problems reported after the progress banner, and bytes changed inside
a data page of ``abc.db`` that SQLite's own checks miss."""

from __future__ import annotations

import shutil
import sqlite3
import struct
import types
from pathlib import Path

import pytest
from conftest import REPO
from test_issue23 import FIT, HINDCAST, OBS, cli, one_error_line, project, snapshot

from sim.scenario import load_scenario

__all__ = ["project"]  # the fixture, imported from test_issue23

SMC = ["--method", "smc", "--population", "2", "--replicates", "1", "--workers", "1",
       "--set", "days=8", "--params", "combat.lethality", "-q"]


# ------------------------------------------------ --out in a folder not yet made


def test_overlay_out_in_a_new_folder_of_the_fit_dir_is_written(project):
    res = cli("calibrate", "scenarios/hindcast_2024.yaml", *FIT, "--set", "days=8",
              "--fit-dir", "results", "--out", "results/f/o.yaml")
    assert res.exit_code == 0, res.output
    overlay = (project / "results" / "f" / "o.yaml").read_text(encoding="utf-8")
    # the posterior is named relative to the overlay, so the pair loads from where it is
    assert "calibration_posterior: ../posterior.parquet" in overlay


@pytest.mark.parametrize("out", ["results/blocked/o.yaml", "results/blocked/x/o.yaml"])
def test_overlay_out_that_cannot_be_made_is_one_line_before_any_work(project, out):
    (project / "results").mkdir()
    (project / "results" / "blocked").write_text("a file, not a folder")
    before = snapshot(project)
    line = one_error_line(cli("calibrate", "scenarios/hindcast_2024.yaml", *FIT,
                              "--fit-dir", "results", "--out", out))
    assert f"{project / 'results' / 'blocked'}: not a folder" in line
    assert snapshot(project) == before


@pytest.mark.parametrize("report", ["results/f", "results/f/r"])
def test_a_report_in_the_overlays_way_is_one_line_before_any_work(project, report):
    # found by trying every --fit-dir/--out/--report of the fuzz: the overlay, written
    # first, became the file in the way of the report folder
    line = one_error_line(cli("calibrate", "scenarios/hindcast_2024.yaml", *FIT,
                              "--fit-dir", "results", "--out", "results/f",
                              "--report", report))
    assert "cannot be (inside) the overlay file" in line
    assert not (project / "results").exists()


# ------------------------------------------------ nothing lands under scenarios/


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> Path:
    from sim.runner import run_batch

    out = tmp_path_factory.mktemp("batch") / "b"
    run_batch(load_scenario(REPO / "scenarios" / "reinforce.yaml", ["days=2"]), out, runs=2,
              workers=1)
    return out


@pytest.mark.parametrize("args", [
    # a fit folder enclosing scenarios/ (here the project) let these through
    ["calibrate", "scenarios/hindcast_2024.yaml", *FIT, "--fit-dir", ".", "--report",
     "scenarios/r"],
    ["calibrate", "scenarios/hindcast_2024.yaml", *FIT, "--fit-dir", ".", "--out",
     "scenarios/calibrated.yaml"],
    ["run", "scenarios/reinforce.yaml", "--runs", "1", "--days", "1", "--workers", "1",
     "--out", "scenarios/x"],
    ["plot", "BATCH", "--kind", "fan", "--out", "scenarios/f"],
    ["report", "BATCH", "--out", "scenarios/calibrated.yaml"],
    ["explain", "BATCH", "--out", "scenarios/e"],
    ["backtest", "--out", "scenarios/bt"],
    ["sweep", REPO / "experiments" / "focus_containment.yaml", "--out", "scenarios/s"],
], ids=lambda a: f"{a[0]}-{a[-2]}")
def test_no_output_lands_under_scenarios(project, batch, args):
    before = snapshot(project)
    line = one_error_line(cli(*[batch if a == "BATCH" else a for a in args]))
    assert "writes nothing under" in line and "scenarios" in line
    assert snapshot(project) == before


# ------------------------------------------------ fit-folder checks before the banner


@pytest.fixture(scope="module")
def tiny_fit(tmp_path_factory) -> Path:
    """A finished one-population ABC-SMC fit (population 2, 8 days)."""
    from sim.analysis import calibrate_smc

    out = tmp_path_factory.mktemp("tiny") / "fit"
    calibrate_smc(load_scenario(HINDCAST, ["days=8"]), OBS, ["combat.lethality"], out,
                  population=2, generations=1, workers=1, check_replicates=0)
    return out


def _copy(fit: Path, tmp_path: Path) -> Path:
    out = tmp_path / "fit"
    shutil.copytree(fit, out, ignore=shutil.ignore_patterns(".lock"))
    return out


def test_resume_without_a_database_and_smc_json_a_folder_is_one_line(tiny_fit, tmp_path):
    fit = _copy(tiny_fit, tmp_path)
    (fit / "abc.db").unlink()
    (fit / "smc.json").unlink()
    (fit / "smc.json").mkdir()
    line = one_error_line(cli("calibrate", HINDCAST, "--observations", OBS, *SMC,
                              "--generations", "2", "--fit-dir", fit, "--resume"))
    assert f"{fit / 'smc.json'}: expected a file" in line


@pytest.mark.parametrize("method", [[*SMC, "--force"], FIT], ids=["smc", "rejection"])
def test_a_fit_file_that_is_a_folder_is_one_line_before_any_work(tiny_fit, tmp_path, method):
    fit = _copy(tiny_fit, tmp_path)
    (fit / "posterior.parquet").unlink(missing_ok=True)  # calibrate_smc alone writes none
    (fit / "posterior.parquet").mkdir()
    before = snapshot(fit)
    line = one_error_line(cli("calibrate", HINDCAST, "--observations", OBS, *method,
                              "--fit-dir", fit))
    assert f"{fit / 'posterior.parquet'}: expected a file" in line
    assert snapshot(fit) == before


def test_a_new_fit_on_a_folder_holding_a_database_is_one_line(tiny_fit, tmp_path):
    fit = _copy(tiny_fit, tmp_path)
    line = one_error_line(cli("calibrate", HINDCAST, "--observations", OBS, *SMC,
                              "--fit-dir", fit))
    assert "holds an ABC-SMC database; use --resume" in line


# ------------------------------------------------ abc.db: a changed data page is detected


def _change_a_stored_parameter(db: Path) -> None:
    """Flip the last byte of a particle's stored parameter value (a big-endian double in a
    data page): the database stays well-formed, the value is garbage."""
    con = sqlite3.connect(db)
    (value,) = con.execute("SELECT value FROM parameters LIMIT 1").fetchone()
    con.close()
    data = bytearray(db.read_bytes())
    at = data.find(struct.pack(">d", value))
    assert at >= 100, "the value is stored in a data page"
    data[at + 7] ^= 0xFF
    db.write_bytes(bytes(data))


def test_a_changed_data_page_of_abc_db_is_refused(tiny_fit, tmp_path):
    fit = _copy(tiny_fit, tmp_path)
    _change_a_stored_parameter(fit / "abc.db")
    con = sqlite3.connect(fit / "abc.db")
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)  # SQLite misses it
    con.close()
    before = snapshot(fit)
    line = one_error_line(cli("calibrate", HINDCAST, "--observations", OBS, *SMC,
                              "--generations", "2", "--fit-dir", fit, "--resume"))
    assert f"{fit / 'abc.db'}: damaged (its sha256" in line
    assert snapshot(fit) == before
    res = cli("check", fit)
    assert res.exit_code == 1 and f"{fit / 'abc.db'}: damaged" in res.stderr, res.output
    assert cli("check", tiny_fit).exit_code == 0


@pytest.fixture(scope="module")
def two_populations(tmp_path_factory):
    """The particles of an uninterrupted two-population fit (population 2, 8 days)."""
    from sim.analysis import calibrate_smc

    out = tmp_path_factory.mktemp("two") / "fit"
    return calibrate_smc(load_scenario(HINDCAST, ["days=8"]), OBS, ["combat.lethality"], out,
                         population=2, generations=2, workers=1, check_replicates=0).particles


class Killed(Exception):
    """Stands for the process being killed at that point."""


@pytest.mark.parametrize("where", ["before the digest is recorded", "before the swap"])
def test_a_fit_killed_while_storing_a_population_resumes_to_the_same_result(
        tmp_path, monkeypatch, two_populations, where):
    import sim.analysis.smc as smc
    from sim.analysis import calibrate_smc

    calls = []

    def killed_on_the_second(real):
        def call(*args):
            calls.append(args)
            if len(calls) == 2:  # the second population's
                raise Killed
            return real(*args)
        return call

    if where == "before the digest is recorded":
        monkeypatch.setattr(smc, "file_sha256", killed_on_the_second(smc.file_sha256))
    else:
        monkeypatch.setattr(smc, "os", types.SimpleNamespace(
            replace=killed_on_the_second(smc.os.replace)))
    scn, out = load_scenario(HINDCAST, ["days=8"]), tmp_path / "fit"
    with pytest.raises(Killed):
        calibrate_smc(scn, OBS, ["combat.lethality"], out, population=2, generations=2,
                      workers=1, check_replicates=0)
    monkeypatch.undo()
    res = cli("check", out)  # the one stored population, its digest recorded
    assert res.exit_code == 0 and "abc.db: ok (matches its sha256" in res.stdout, res.output
    cal = calibrate_smc(scn, OBS, ["combat.lethality"], out, population=2, generations=2,
                        workers=1, check_replicates=0, resume=True)
    assert cal.particles.equals(two_populations)
