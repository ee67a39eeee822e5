"""Property-based fuzzing of the user-facing contract (issue 14).

Whatever a careless or hostile user gives ``wargame`` — a mutated scenario file, ``--set``
overrides, a damaged results folder — the command:

* exits 0, 1 or 2 (never a crash code);
* prints no traceback;
* on exit 2 says what is wrong on one ``error:`` line (or Click's usage message for an option
  Click itself rejects) and writes nothing (the working folder is unchanged);
* never writes a result with a non-finite value or a negative count.

Examples per test scale with the Hypothesis profile (tests/conftest.py): ``default`` keeps the
file around a minute on two cores, ``--hypothesis-profile=long`` runs > 2000 inputs. Map files
are fuzzed in the maps branch; here only ``--set fronts.kursk.map=<not a map>``.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import math
import os
import shutil
import tempfile
from pathlib import Path
from unittest import mock

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml
from conftest import REPO, SCENARIOS
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from sim.cli import app

REINFORCE = SCENARIOS / "reinforce.yaml"
BASE = settings.default.max_examples  # 40 by default, 600 with --hypothesis-profile=long


def n_examples(weight: float) -> int:
    return max(5, int(BASE * weight))


RUN_ARGS = ["--runs", "2", "--days", "3", "--workers", "1", "-q"]
# columns that may legitimately be negative: signed line positions, ground Russia lost
SIGNED = ("line_", "donetsk_ru_gain_km2")


# --------------------------------------------------------------------------- the contract


def invoke(*args) -> object:
    return CliRunner().invoke(app, [str(a) for a in args])


def snapshot(folder: Path) -> dict[str, tuple[int, float]]:
    """Every file's size and modification time (folders by name only). A batch folder's
    ``.lock`` is left out: it is never deleted, so its appearance in a folder copied without
    it is no change of the batch."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.name == ".lock":
            continue
        with contextlib.suppress(OSError):
            st_ = p.lstat()
            out[str(p.relative_to(folder))] = (
                (0, 0) if p.is_dir() and not p.is_symlink() else (st_.st_size, st_.st_mtime_ns))
    return out


def assert_contract(res, before: dict | None = None, work: Path | None = None) -> None:
    """Exit 0/1/2, no traceback, one-line usage errors, nothing written on exit 2."""
    out = res.output
    assert res.exit_code in (0, 1, 2), (res.exit_code, out, res.exception)
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise AssertionError(f"uncaught {type(res.exception).__name__}: {res.exception}")
    assert "Traceback" not in out, out
    if res.exit_code == 2:
        err = res.stderr  # Click's own usage errors too (sim.cli.common.OneLineUsageErrors)
        lines = [ln for ln in err.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), err
        if before is not None:
            assert snapshot(work) == before, "exit 2 but something was written"


def assert_results_sane(folder: Path) -> None:
    """No non-finite value anywhere, no negative value outside the signed columns."""
    for table in ("daily", "runs"):
        path = folder / f"{table}.parquet"
        if not path.exists():
            continue
        df = pq.read_table(path).to_pandas()
        for col in df.columns:
            if df[col].dtype.kind not in "fiu":
                continue
            values = df[col].to_numpy(dtype=float)
            values = values[~np.isnan(values)] if col.endswith("_day") else values
            assert np.isfinite(values).all(), f"{table}.{col} has non-finite values"
            if not col.startswith(SIGNED):
                assert (values >= 0).all(), f"{table}.{col} has negative values"


@contextlib.contextmanager
def workdir():
    """A fresh empty working folder (Hypothesis cannot use pytest's tmp_path per example)."""
    old = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="fuzz-") as d:
        os.chdir(d)
        try:
            yield Path(d)
        finally:
            os.chdir(old)


@pytest.fixture(scope="module", autouse=True)
def no_fan_charts():
    """Figures are not under test here and cost a second a batch."""
    with mock.patch("sim.viz.make_plots", lambda *a, **k: []):
        yield


# --------------------------------------------------------------------------- strategies

NASTY_FLOATS = st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -1e308, 1e-320, -0.0,
                                9e18, -1.0, 0.0, 2**63, -(2**63)])
SCALARS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    NASTY_FLOATS,
    st.booleans(),
    st.none(),
    st.text(max_size=30),
    st.sampled_from(["1e999", "-1e999", "nan", "inf", "12 km", "5 %", "300 m/day", "2025-02-30",
                     "9999-12-31", "../../etc", "", " ", "\u202e", "x\x00y", "0x10", "1_000"]),
    st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12,
)


def base_tree() -> dict:
    """reinforce.yaml fully resolved, with absolute map paths (a file that stands alone)."""
    from sim.scenario import load_scenario, scenario_dict

    scn = load_scenario(REINFORCE)
    tree = scenario_dict(scn)
    for front in ("kursk", "donetsk"):
        tree["fronts"][front]["map"] = str(scn.map_path(front))
    return tree


BASE_TREE = base_tree()


def paths(node, prefix=()):
    """Every key path in the tree (dict keys and list indexes)."""
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from paths(v, (*prefix, i))


ALL_PATHS = [p for p in paths(BASE_TREE) if p]


def get(tree, path):
    for p in path:
        tree = tree[p]
    return tree


@st.composite
def mutated_trees(draw):
    tree = copy.deepcopy(BASE_TREE)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(ALL_PATHS))
        try:
            parent = get(tree, path[:-1])
            key = path[-1]
            parent[key]  # noqa: B018 - still there after earlier mutations?
        except (KeyError, IndexError, TypeError):
            continue
        op = draw(st.sampled_from(["replace", "replace", "replace", "drop", "add", "scale"]))
        if op == "replace":
            parent[key] = draw(VALUES)
        elif op == "drop":
            del parent[key]
        elif op == "add" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=10))] = draw(VALUES)
        elif op == "scale" and isinstance(parent[key], int | float) and not isinstance(
                parent[key], bool):
            parent[key] = parent[key] * draw(st.sampled_from([-1, 0, 1e3, 1e9, 1e300, 10**30]))
    return tree


def dump(tree) -> str | None:
    try:
        return yaml.safe_dump(tree, allow_unicode=True, sort_keys=False)
    except (yaml.YAMLError, ValueError, RecursionError):
        return None


# --------------------------------------------------------------------------- scenario files


@settings(max_examples=n_examples(2.5), suppress_health_check=[HealthCheck.too_slow])
@given(tree=mutated_trees(), also_run=st.integers(0, 9))
def test_fuzz_mutated_scenario_files(tree, also_run):
    text = dump(tree)
    assume(text is not None)
    with workdir() as work:
        (work / "s.yaml").write_text(text, encoding="utf-8")
        before = snapshot(work)
        res = invoke("validate", "s.yaml")
        assert_contract(res)
        assert res.exit_code in (0, 1)
        assert snapshot(work) == before  # validate never writes
        if res.exit_code == 0 and also_run == 0:  # every tenth valid mutation is also run
            res = invoke("run", "s.yaml", *RUN_ARGS, "--out", "out")
            assert_contract(res, before, work)
            assert res.exit_code == 0, f"validated, then failed: {res.output}"
            assert_results_sane(work / "out")


@settings(max_examples=n_examples(0.5))
@given(text=st.one_of(
    st.text(max_size=200),
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
    st.sampled_from(["a: 1\na: 2\n", "{", "- [", "&a [*a]", "!!python/object:os.system x",
                     "name: x\n" * 3, "[" * 5000, "a: " + "{b: " * 200 + "1" + "}" * 200,
                     "\x00\x01", "extends: s.yaml\n", "extends: /dev/zero\nname: x\n"]),
))
def test_fuzz_garbage_scenario_files(text):
    with workdir() as work:
        (work / "s.yaml").write_text(text, encoding="utf-8", errors="surrogateescape")
        before = snapshot(work)
        for args in (["validate", "s.yaml"], ["run", "s.yaml", *RUN_ARGS]):
            res = invoke(*args)
            assert_contract(res, before, work)
            assert res.exit_code in (1, 2)


# --------------------------------------------------------------------------- --set overrides

SET_KEYS = sorted({".".join(str(p) for p in path) for path in ALL_PATHS}
                  | {"name", "start_date", "days", "seed", "nonexistent.key", "groupings.99.x",
                     "combat", "logistics.rounds_per_gun", "groupings.RU-K-west-1.personnel"})
SET_VALUES = st.one_of(
    SCALARS.map(lambda v: yaml.safe_dump(v, default_flow_style=True).strip()
                .removesuffix("...").strip() if not isinstance(v, str) else v),
    st.sampled_from([".inf", "-.inf", ".nan", "1e999", "{attack: 1}", "[1, 2", "{a: 1, a: 2}",
                     "2025-02-30", "9999-12-31", "1899-12-31", "2025-01-05", "!!binary AAAA",
                     "*x", "&x 1", "'", "\\", "{}", "[]", "~", "null", "-1", "0", "1e308"]),
)


@settings(max_examples=n_examples(1.0))
@given(sets=st.lists(st.tuples(st.sampled_from(SET_KEYS), SET_VALUES), min_size=1,
                     max_size=3),
       command=st.sampled_from(["validate", "show", "run", "run"]))
def test_fuzz_set_overrides(sets, command):
    args = [a for k, v in sets for a in ("--set", f"{k}={v}")]
    with workdir() as work:
        before = snapshot(work)
        extra = [*RUN_ARGS, "--out", "out"] if command == "run" else []
        res = invoke(command, REINFORCE, *args, *extra)
        assert_contract(res, before, work)
        if command == "run" and res.exit_code in (0, 1):
            assert res.exit_code == 0, f"accepted, then failed: {res.output}"
            assert_results_sane(work / "out")


@settings(max_examples=n_examples(0.5))
@given(runs=st.one_of(st.integers(-2, 3), st.sampled_from([10**6 + 1, 10**7, 2**64])),
       days=st.one_of(st.integers(-2, 4), st.sampled_from([1001, 10**6, 2**40])),
       seed=st.one_of(st.integers(-5, 5), st.sampled_from([2**63 - 1, 2**63, 2**70])),
       workers=st.integers(-2, 1), out=st.one_of(
           st.text(max_size=40), st.sampled_from(["/proc", "/dev/null", "a" * 300, ".", "..",
                                                  "/", "results/../..", "x/" * 40])))
def test_fuzz_run_options(runs, days, seed, workers, out):
    valid = 1 <= runs <= 10**6 and 1 <= days <= 1000
    assume(not valid or runs * days <= 20)  # what is run must stay cheap
    with workdir() as work:
        (work / "results").mkdir()
        before = snapshot(work)
        res = invoke("run", REINFORCE, "--runs", runs, "--days", days, "--seed", seed,
                     "--workers", workers, "-q", "--out", out or "o")
        assert_contract(res, before, work)


# --------------------------------------------------------------------------- map paths

NOT_MAPS = {
    "png": REPO / "docs" / "img" / "fan_territory.png",
    "toml": REPO / "pyproject.toml",
    "scenario": REINFORCE,
    "python": REPO / "sim" / "__init__.py",
    "dev_null": Path("/dev/null"),
    "dev_zero": Path("/dev/zero"),
    "folder": REPO / "scenarios",
    "missing": REPO / "no-such-map.yaml",
}


@pytest.mark.parametrize("kind", list(NOT_MAPS))
def test_fuzz_set_map_to_a_non_map_file(kind):
    path = NOT_MAPS[kind]
    with workdir() as work:
        before = snapshot(work)
        for command in (["validate"], ["run", *RUN_ARGS]):
            res = invoke(command[0], REINFORCE, "--set", f"fronts.kursk.map={path}",
                         *command[1:])
            assert_contract(res, before, work)
            assert res.exit_code in (1, 2)


# --------------------------------------------------------------------------- damaged folders

SMALL = ["--runs", "4", "--days", "5", "--workers", "1", "-q"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("fuzz-ref")
    ref, other = out / "ref", out / "other"
    assert invoke("run", REINFORCE, *SMALL, "--out", ref).exit_code == 0
    assert invoke("run", REINFORCE, *SMALL, "--seed", "99", "--out", other).exit_code == 0
    return {"ref": ref, "other": other}


FILES = ["manifest.json", "daily.parquet", "runs.parquet", "events.parquet", "summary.csv",
         "scenario.yaml"]
DAMAGE = st.tuples(
    st.sampled_from(FILES),
    st.sampled_from(["truncate", "empty", "delete", "swap", "flip", "append", "folder",
                     "json_garbage", "json_keys"]),
    st.integers(0, 10**6),
)


def damage(folder: Path, other: Path, name: str, how: str, n: int) -> None:
    path = folder / name
    if how in ("delete", "folder"):
        if path.is_dir():
            shutil.rmtree(path)
        path.unlink(missing_ok=True)
        if how == "folder":
            path.mkdir()
    elif not path.is_file():
        return
    elif how == "swap":
        shutil.copy(other / name, path)
    else:
        data = bytearray(path.read_bytes())
        if how == "truncate":
            data = data[: n % max(1, len(data))]
        elif how == "empty":
            data = bytearray()
        elif how == "flip" and data:
            data[n % len(data)] ^= 1 << (n % 8)
        elif how == "append":
            data += b"\x00garbage"
        elif how == "json_garbage":
            data = bytearray(b'{"runs": [1, 2], "status": {}, "scenario": 3')
        elif how == "json_keys" and name == "manifest.json":
            import json

            try:
                m = json.loads(data)
            except ValueError:  # an earlier damage already broke it: nothing to re-key
                m = None
            if isinstance(m, dict) and m:
                key = sorted(m)[n % len(m)]
                m[key] = [None, "x", -1, {"a": 1}][n % 4]
                data = bytearray(json.dumps(m).encode())
        path.write_bytes(bytes(data))


@settings(max_examples=n_examples(0.6))
@given(damages=st.lists(DAMAGE, min_size=1, max_size=3), resume=st.booleans())
def test_fuzz_damaged_result_folders(reference, damages, resume):
    from sim.runner import ResultsError, load_results

    with workdir() as work:
        x = work / "X"
        shutil.copytree(reference["ref"], x, ignore=shutil.ignore_patterns(".lock", "figures"))
        for name, how, n in damages:
            damage(x, reference["other"], name, how, n)
        with contextlib.suppress(ResultsError):
            load_results(x).daily  # noqa: B018 - either a one-line ResultsError or the data
        check = invoke("check", x)
        assert_contract(check)
        for args in (["compare", x], ["compare", x, "--format", "json"]):
            res = invoke(*args)
            assert_contract(res)
            if check.exit_code == 1:
                assert res.exit_code == 2, "a damaged folder was read without complaint"
        if resume:
            before = snapshot(work)
            res = invoke("run", REINFORCE, *SMALL, "--out", x, "--resume")
            assert_contract(res, before, work)
            if res.exit_code == 0:  # repaired: intact and equal to the reference
                assert invoke("check", x).exit_code == 0
                for t in ("daily", "runs", "events"):
                    a = pq.read_table(x / f"{t}.parquet").to_pandas()
                    b = pq.read_table(reference["ref"] / f"{t}.parquet").to_pandas()
                    assert a.equals(b), f"{t} differs after the repair"
