"""Property-based fuzzing of the surfaces issue 23 added to the contract: observation files,
``calibrate`` options and fit folders (damaged ones under ``--resume`` too), the posterior a
scenario names (how it is named and used; damage inside the posterior file is fuzzed in the
``rec`` branch) and app uploads. The contract is test_fuzz.py's (exit 0/1/2, no traceback,
one ``error:`` line and nothing written on exit 2) plus: nothing is ever written under
``scenarios/``, and no error quotes a file the user did not name.

Examples scale with the Hypothesis profile like test_fuzz.py's (``default`` in the suite;
``WARGAME_FUZZ_PROFILE=long`` or ``--hypothesis-profile=long`` for the long run).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from unittest import mock

import pytest
from conftest import REPO, SCENARIOS
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_fuzz import (
    SCALARS,
    assert_contract,
    damage,
    dump,
    invoke,
    mutated_trees,
    n_examples,
    snapshot,
    workdir,
)

HINDCAST = SCENARIOS / "hindcast_2024.yaml"
OBS = REPO / "seeds" / "observations.csv"
SECRET = "s3cr3t-never-printed"
TINY_FIT = ["--replicates", "1", "--workers", "1", "--params", "combat.lethality", "-q"]


@pytest.fixture(scope="module", autouse=True)
def no_fan_charts():
    with mock.patch("sim.viz.make_plots", lambda *a, **k: []):
        yield


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A project folder (scenarios/, seeds/) and a secret file beside it that no error may
    quote."""
    root = tmp_path_factory.mktemp("fuzz-project")
    shutil.copytree(SCENARIOS, root / "scenarios", ignore=shutil.ignore_patterns("uploaded-*"))
    shutil.copytree(REPO / "seeds", root / "seeds")
    (root.parent / "secret.yaml").write_text(f"{SECRET}: {SECRET}\n", encoding="utf-8")
    return root


@contextlib.contextmanager
def in_copy(project: Path):
    """A fresh copy of the project as the working folder; asserts scenarios/ is unchanged."""
    with workdir() as work:
        shutil.copytree(project / "scenarios", work / "scenarios", symlinks=True)
        shutil.copytree(project / "seeds", work / "seeds")
        before = snapshot(work / "scenarios")
        yield work
        assert snapshot(work / "scenarios") == before, "something was written under scenarios/"


# --------------------------------------------------------------------------- observations

LINES = OBS.read_text(encoding="utf-8").splitlines(keepends=True)
CELL = st.one_of(
    SCALARS.map(str),
    st.sampled_from(["inf", "-inf", "nan", "1e308", "-1e308", "1e-320", "", " ", "ua_held_aera",
                     "km²", "date", "2024-02-30", "0x10", "\"", "\"\"", "a,b", "\r", "\x00",
                     "x" * 3000]),
)


@st.composite
def observation_files(draw) -> bytes:
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["cell", "cell", "cell", "drop_field", "add_field", "dup",
                                   "delete", "garbage"]))
        fields = lines[i].rstrip("\r\n").split(",")
        if op == "cell":
            fields[draw(st.integers(0, len(fields) - 1))] = draw(CELL)
        elif op == "drop_field" and len(fields) > 1:
            fields.pop(draw(st.integers(0, len(fields) - 1)))
        elif op == "add_field":
            fields.append(draw(CELL))
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "delete" and len(lines) > 1:
            del lines[i]
            continue
        elif op == "garbage":
            lines[i] = draw(st.text(max_size=80)) + "\n"
            continue
        lines[i] = ",".join(fields) + "\n"
    text = "".join(lines)
    enc = draw(st.sampled_from(["utf-8"] * 6 + ["utf-16", "latin-1", "binary"]))
    if enc == "binary":
        return draw(st.binary(min_size=1, max_size=400))
    return text.encode(enc, errors="replace")


@settings(max_examples=n_examples(1.0), suppress_health_check=[HealthCheck.too_slow])
@given(data=observation_files(), via_cli=st.integers(0, 9))
def test_fuzz_observation_files(project, data, via_cli):
    from sim.analysis import ObservationError, load_observations

    with in_copy(project) as work:
        f = work / "obs.csv"
        f.write_bytes(data)
        try:
            obs = load_observations(f)
        except ObservationError as exc:
            assert exc.problems and all(p.startswith(str(f)) for p in exc.problems)
            assert all(len(p) < 700 for p in exc.problems), "an error quotes a whole field"
            ok = False
        else:
            assert all(o.is_event or o.low <= o.value <= o.high for o in obs)
            ok = True
        if not ok or via_cli == 0:  # a bad file exits 2 before any fit; every 10th good one fits
            before = snapshot(work)
            res = invoke("calibrate", "scenarios/hindcast_2024.yaml", "--observations", f,
                         "--method", "rejection", "--budget", "2", "--set", "days=8", *TINY_FIT)
            assert_contract(res, before, work)
            # a valid file may still hold nothing to fit in 8 days: exit 2, one line
            assert res.exit_code in ((0, 2) if ok else (2,)), res.output


# --------------------------------------------------------------------------- calibrate options

FIT_DIRS = st.sampled_from(["results/f", "scenarios/f", "scenarios", "scenarios/posterior",
                            "results/../scenarios/f", "seeds/observations.csv", "/proc/f",
                            "results/x\x00y", "a" * 300, "..", "", "results/link"])


@settings(max_examples=n_examples(0.4), suppress_health_check=[HealthCheck.too_slow])
@given(method=st.sampled_from(["rejection", "smc", "abc", ""]),
       budget=st.one_of(st.none(), st.integers(-1, 3)),
       fit_dir=st.one_of(st.none(), FIT_DIRS),
       out=st.one_of(st.none(), st.sampled_from(["scenarios/calibrated.yaml", "o.yaml",
                                                 "results/f/o.yaml", "results/f"])),
       report=st.one_of(st.none(), st.sampled_from(["scenarios/r", "results/f/r", "r"])),
       params=st.sampled_from(["combat.lethality", "combat.lethality,", "combat.nothing",
                               "", "days", "combat.lethality,combat.lethality"]),
       flags=st.lists(st.sampled_from(["--resume", "--force"]), max_size=2, unique=True),
       days=st.sampled_from(["8", "0", "-1", "x", "20"]))
def test_fuzz_calibrate_options(project, method, budget, fit_dir, out, report, params, flags,
                                days):
    with in_copy(project) as work:
        (work / "results").mkdir()
        (work / "results" / "link").symlink_to(work / "scenarios")
        args = ["calibrate", "scenarios/hindcast_2024.yaml", "--method", method,
                "--set", f"days={days}", "--params", params, "--replicates", "1",
                "--workers", "1", "-q", "--population", "2", "--generations", "1", *flags]
        for opt, value in (("--budget", budget), ("--fit-dir", fit_dir), ("--out", out),
                           ("--report", report)):
            if value is not None:
                args += [opt, value]
        before = snapshot(work)
        res = invoke(*args)
        assert_contract(res, before, work)


# --------------------------------------------------------------------------- damaged fit folders


@pytest.fixture(scope="module")
def smc_fit(tmp_path_factory):
    from sim.analysis import calibrate_smc
    from sim.scenario import load_scenario

    out = tmp_path_factory.mktemp("fuzz-fit") / "fit"
    calibrate_smc(load_scenario(HINDCAST, ["days=8"]), OBS, ["combat.lethality"], out,
                  population=2, generations=1, workers=1, check_replicates=0)
    return out


FIT_DAMAGE = st.tuples(st.sampled_from(["abc.db", "smc.json"]),
                       st.sampled_from(["truncate", "empty", "delete", "flip", "flips",
                                        "append", "folder", "symlink", "garbage", "json"]),
                       st.integers(0, 10**6))


def damage_fit(fit: Path, name: str, how: str, n: int) -> None:
    """test_fuzz.damage's ways, and: 32 bytes flipped, a symbolic link to the secret file,
    random bytes, other JSON."""
    path = fit / name
    if how in ("truncate", "empty", "delete", "flip", "append", "folder"):
        damage(fit, fit, name, how, n)
    elif how == "symlink":   # replaces whatever an earlier damage left there (a folder too)
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        path.unlink(missing_ok=True)
        path.symlink_to(fit.parent.parent / "secret.yaml")
    elif path.is_file():
        data = bytearray(path.read_bytes())
        if how == "flips" and data:
            for k in range(32):
                data[(n + 997 * k) % len(data)] ^= 0xFF
        elif how == "garbage":
            data = bytearray(os.urandom(max(1, len(data))))
        elif how == "json":
            data = bytearray(b'{"params": 3, "seed": "x"}' if n % 2 else b"[1, 2]")
        path.write_bytes(bytes(data))


@settings(max_examples=n_examples(0.4), suppress_health_check=[HealthCheck.too_slow])
@given(damages=st.lists(FIT_DAMAGE, min_size=1, max_size=3))
def test_fuzz_damaged_fit_folders(project, smc_fit, damages):
    with in_copy(project) as work:
        fit = work / "results" / "fit"
        shutil.copytree(smc_fit, fit, ignore=shutil.ignore_patterns(".lock"))
        for name, how, n in damages:
            damage_fit(fit, name, how, n)
        before = snapshot(work)
        res = invoke("calibrate", "scenarios/hindcast_2024.yaml", "--method", "smc",
                     "--set", "days=8", "--population", "2", "--generations", "2",
                     "--fit-dir", fit, "--resume", *TINY_FIT)
        assert_contract(res, before, work)
        assert SECRET not in res.output


# --------------------------------------------------------------------------- posterior naming


@settings(max_examples=n_examples(0.4), suppress_health_check=[HealthCheck.too_slow])
@given(posterior=st.sampled_from(["posterior/posterior.parquet", "posterior/particles.csv",
                                  "posterior", "missing.parquet", "../seeds/observations.csv",
                                  "/dev/null", "base.yaml", "", "posterior/\x00x"]),
       params=st.sampled_from([None, "posterior", "median", "fixed", "draws"]),
       dice=st.one_of(st.none(), st.integers(-1, 3)),
       command=st.sampled_from(["validate", "run"]))
def test_fuzz_posterior_options(project, posterior, params, dice, command):
    with in_copy(project) as work:
        (work / "scenarios" / "p.yaml").write_text(
            f"extends: reinforce.yaml\ncalibration_posterior: {posterior!r}\n", encoding="utf-8")
        args = [command, "scenarios/p.yaml"]
        if command == "run":
            args += ["--runs", "2", "--days", "2", "--workers", "1", "-q", "--out", "o"]
            for opt, v in (("--params", params), ("--dice-per-draw", dice)):
                if v is not None:
                    args += [opt, v]
        before = snapshot(work)
        res = invoke(*args)
        assert_contract(res, before, work)
        assert SECRET not in res.output
        # the test's own scenario, written after in_copy's snapshot of scenarios/, goes again
        # (the snapshot then checks that the command itself wrote nothing there)
        (work / "scenarios" / "p.yaml").unlink()


# --------------------------------------------------------------------------- app uploads

EXTENDS = st.sampled_from(["reinforce.yaml", "base.yaml", "../../secret.yaml", "/etc/passwd",
                           "/dev/zero", "posterior/fit.json", "maps", "uploaded-x.yaml", "",
                           "../seeds/observations.csv", "x\x00y"])


@st.composite
def uploads(draw) -> tuple[str, bytes]:
    name = draw(st.one_of(st.text(max_size=20), st.sampled_from(
        ["x.yaml", "../../evil.yaml", "/etc/passwd", ".hidden", "a" * 300])))
    kind = draw(st.sampled_from(["mutated", "mutated", "extends", "garbage"]))
    if kind == "garbage":
        return name, draw(st.binary(max_size=300))
    if kind == "extends":
        body = f"extends: {draw(EXTENDS)!r}\nname: up\n"
        return name, body.encode()
    text = dump(draw(mutated_trees()))
    assume(text is not None)
    return name, text.encode("utf-8", errors="surrogateescape")


@settings(max_examples=n_examples(1.0), suppress_health_check=[HealthCheck.too_slow])
@given(upload=uploads())
def test_fuzz_app_uploads(project, upload):
    pytest.importorskip("solara")
    from sim.app.session import check_upload
    from sim.scenario import ScenarioError, load_scenario

    name, data = upload
    with workdir() as work:
        shutil.copytree(project / "scenarios", work / "scenarios")
        before = snapshot(work / "scenarios")
        try:
            saved = check_upload(name, data, root=work)
        except ScenarioError as exc:
            text = str(exc)
            assert SECRET not in text and "root:x:" not in text
            assert all(len(p) < 2000 for p in exc.problems)
            assert snapshot(work / "scenarios") == before, "a refused upload was written"
        else:
            after = snapshot(work / "scenarios")
            assert set(after) - set(before) <= {saved}
            assert (work / "scenarios" / saved).read_bytes() == data
            load_scenario(work / "scenarios" / saved)
