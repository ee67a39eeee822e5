"""Regression tests for issue 23, items 3, 6 and 7: every file a batch or a fit depends on is
checksummed and verified. Each test fails on main 19483a7 (a damaged posterior was used, a
0-byte part made a batch unrecoverable, valid-JSON edits of a manifest passed ``check``)."""

from __future__ import annotations

import hashlib
import json
import shutil

import pandas as pd
import pytest
from conftest import SCENARIOS, SMALL_DAYS
from typer.testing import CliRunner

import sim.runner as R
from sim.cli import app
from sim.runner import batch as B
from sim.scenario import load_scenario

REINFORCE = SCENARIOS / "reinforce.yaml"
RUNS = 4
SMALL = ("--runs", str(RUNS), "--days", str(SMALL_DAYS), "--workers", "1", "--quiet")


def cli(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def one_line_error(res, *words: str) -> str:
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


def tables_equal(a, b) -> None:
    for t in R.TABLES:
        pd.testing.assert_frame_equal(pd.read_parquet(a / f"{t}.parquet"),
                                      pd.read_parquet(b / f"{t}.parquet"), check_exact=True)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("ref") / "ref"
    res = cli("run", REINFORCE, *SMALL, "--out", out)
    assert res.exit_code == 0, res.output
    return out


# ------------------------------------------------ 3: a damaged posterior is refused


def option_on(tmp_path, posterior) -> object:
    """An option extending reinforce.yaml that draws from ``posterior``."""
    f = tmp_path / "option.yaml"
    f.write_text(f"extends: {REINFORCE}\nname: option\ncalibration_posterior: {posterior}\n",
                 encoding="utf-8")
    return f


def small_posterior(folder, lethality=(0.010, 0.011, 0.012, 0.013), fit=None):
    """Four particles of two parameters, written as ``wargame calibrate`` writes them."""
    folder.mkdir(parents=True, exist_ok=True)
    df = pd.DataFrame({"combat.lethality": list(lethality),
                       "advance.max_km_per_day": [0.5, 0.6, 0.7, 0.8],
                       "weight": [0.25] * 4})
    return R.write_posterior(folder / "posterior.parquet", df, fit or {"integer": []})


def test_item3_flipped_bytes_in_the_shipped_posterior_are_refused(tmp_path):
    fit_dir = tmp_path / "posterior"
    shutil.copytree(SCENARIOS / "posterior", fit_dir)
    p = fit_dir / "posterior.parquet"
    data = bytearray(p.read_bytes())
    mid = len(data) // 2
    data[mid: mid + 32] = bytes(b ^ 0xFF for b in data[mid: mid + 32])
    p.write_bytes(bytes(data))
    option = option_on(tmp_path, p)
    out = tmp_path / "out"
    one_line_error(cli("run", option, *SMALL, "--out", out), "posterior.parquet", "damaged")
    assert not out.exists()  # nothing written
    res = cli("validate", option)
    assert res.exit_code == 1 and "posterior.parquet: damaged" in res.output, res.output
    res = cli("check", fit_dir)
    assert res.exit_code == 1 and "fit.json" in res.output, res.output


def test_item3_the_shipped_posterior_digest_is_recorded_and_in_the_manifest(reference):
    sha = hashlib.sha256((SCENARIOS / "posterior" / "posterior.parquet").read_bytes()).hexdigest()
    fit = json.loads((SCENARIOS / "posterior" / "fit.json").read_text(encoding="utf-8"))
    assert fit[R.DIGEST_KEY] == sha
    assert R.read_manifest(reference).parameters.sha256 == sha
    assert cli("check", SCENARIOS / "posterior").exit_code == 0


@pytest.mark.parametrize("bad", [1.5, -0.01])  # lethality is a fraction per day, 0..1
def test_item3_a_garbage_particle_is_refused_before_any_run(bad, tmp_path):
    post = small_posterior(tmp_path / "fit", lethality=(0.010, 0.011, bad, 0.013))
    out = tmp_path / "out"
    one_line_error(cli("run", option_on(tmp_path, post), *SMALL, "--out", out),
                   "particle 2", "combat.lethality")
    assert not out.exists()
    assert cli("validate", option_on(tmp_path, post)).exit_code == 1


@pytest.mark.parametrize("fit, words", [
    ({"integer": ["combat.lethality"]}, ("combat.lethality", "whole number")),
    ({"integer": ["combat.nothing"]}, ("combat.nothing", "no such column")),
    ({"integer": "combat.lethality"}, ("'integer'",)),
])
def test_item3_damaged_metadata_is_refused(fit, words, tmp_path):
    post = small_posterior(tmp_path / "fit", fit=fit)
    out = tmp_path / "out"
    one_line_error(cli("run", option_on(tmp_path, post), *SMALL, "--out", out), *words)
    assert not out.exists()


def test_item3_a_fit_records_its_posterior_digest(tmp_path):
    """What ``wargame calibrate`` writes: fit.json holds the digest of the posterior beside it,
    and a later change to the table is refused."""
    from sim.analysis.calibration import FitReport, write_fit

    class Fit(FitReport):  # the least a fit report needs to be written
        posterior = pd.DataFrame()
        check = pd.DataFrame()
        particles = pd.DataFrame({"combat.lethality": [0.01, 0.02], "weight": [1, 1]})

        def __init__(self) -> None:
            pass

        def fit_record(self, observations=None):
            return {"method": "test", "integer": []}

    files = write_fit(Fit(), tmp_path / "fit")
    sha = hashlib.sha256(files[0].read_bytes()).hexdigest()
    assert json.loads((tmp_path / "fit" / "fit.json").read_text())[R.DIGEST_KEY] == sha
    R.load_posterior(files[0])
    small_posterior(tmp_path / "fit")  # the table replaced, its fit record not
    with pytest.raises(R.DrawError, match="damaged"):
        R.load_posterior(files[0])


# ------------------------------------------------ 6: a damaged part file is repaired


def crashed_batch(out, monkeypatch) -> None:
    """A batch killed after 2 of its runs: its manifest says running, its runs are in parts."""

    def die(finished: int, total: int) -> None:
        if finished >= 2:
            raise SystemExit(137)

    monkeypatch.setattr(B, "MANIFEST_INTERVAL", 0.0)  # every finished run recorded at once
    with pytest.raises(SystemExit):
        R.run_batch(load_scenario(REINFORCE), out, runs=RUNS, days=SMALL_DAYS, workers=1,
                    progress=die)
    assert R.read_manifest(out).status == "running"


@pytest.mark.parametrize("damage", ["zero_bytes", "flipped"])
def test_item6_a_damaged_part_is_named_by_check_and_repaired_by_resume(damage, reference,
                                                                      tmp_path, monkeypatch):
    out = tmp_path / "X"
    crashed_batch(out, monkeypatch)
    part = sorted((out / R.PARTS_DIR).glob("*.daily.parquet"))[0]
    if damage == "zero_bytes":
        part.write_bytes(b"")
    else:
        data = bytearray(part.read_bytes())
        data[len(data) // 2] ^= 0xFF
        part.write_bytes(bytes(data))
    res = cli("check", out)
    assert res.exit_code == 1 and part.name in res.output, res.output
    res = cli("run", REINFORCE, *SMALL, "--out", out, "--resume")
    assert res.exit_code == 0, res.output
    assert "repaired" in res.output and part.name in res.output
    assert cli("check", out).exit_code == 0
    tables_equal(out, reference)


# ------------------------------------------------ 7: valid-JSON edits of the manifest


def _edit(m: dict, what: str) -> None:
    runs = m["runs"]
    if what == "days":
        m["days"] = 10
    elif what == "seed":
        runs[1]["seed"] += 1
    elif what == "status":
        runs[2]["status"] = "failed"
    elif what == "runs":
        del runs[3]
    elif what == "name":
        m["scenario"]["name"] = "baseline"
    elif what == "resolved":
        m["scenario"]["resolved"] = m["scenario"]["resolved"].replace("lethality: 0.0",
                                                                      "lethality: 0.1", 1)
    elif what == "digest":
        runs[0]["digest"] = "0" * 48


@pytest.mark.parametrize("what", ["days", "seed", "status", "runs", "name", "resolved",
                                  "digest"])
def test_item7_an_edited_manifest_is_refused(what, reference, tmp_path):
    x = tmp_path / "X"
    shutil.copytree(reference, x)
    path = x / R.MANIFEST
    m = json.loads(path.read_text(encoding="utf-8"))
    _edit(m, what)
    path.write_text(json.dumps(m), encoding="utf-8")
    res = cli("check", x)
    assert res.exit_code == 1 and "manifest.json" in res.output and "digest" in res.output
    with pytest.raises(R.ResultsError, match="digest"):
        R.load_results(x)
    one_line_error(cli("run", REINFORCE, *SMALL, "--out", x, "--resume"), "--force")


def test_item7_a_batch_written_before_the_digest_is_still_read(reference, tmp_path):
    """Format 2 (no manifest digest, no part checksums) stays readable and checkable."""
    x = tmp_path / "X"
    shutil.copytree(reference, x)
    path = x / R.MANIFEST
    m = json.loads(path.read_text(encoding="utf-8"))
    m.pop("digest")
    m.pop("parts")
    m["format_version"] = 2
    path.write_text(json.dumps(m), encoding="utf-8")
    assert cli("check", x).exit_code == 0
    res = R.load_results(x)
    assert res.scenario.name == "reinforce" and len(res.daily) == RUNS * (SMALL_DAYS + 1)
