"""The batch runner: seeds, determinism across workers, streaming, interruption and resume."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import SCENARIOS, SMALL_DAYS, SMALL_RUNS

import sim.runner as R
from sim.runner import BatchError, replicate_seed, replicate_seeds, run_batch


def _daily(path) -> pd.DataFrame:
    df = pq.read_table(path / "daily.parquet").to_pandas()
    return df.sort_values(["run", "day"]).reset_index(drop=True)


def _table(path, name) -> pd.DataFrame:
    df = pq.read_table(path / f"{name}.parquet").to_pandas()
    keys = ["run", "day"] if name == "daily" else ["run"]
    if name == "events":
        keys = ["run", "day", "kind", "subject", "detail"]
    return df.sort_values(keys, kind="stable").reset_index(drop=True)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted batch of SMALL_RUNS runs, in this process."""
    from sim.scenario import load_scenario

    scn = load_scenario(SCENARIOS / "reinforce.yaml", overrides=[f"days={SMALL_DAYS}"])
    out = tmp_path_factory.mktemp("reference")
    res = run_batch(scn, out, runs=SMALL_RUNS, workers=1)
    assert res.complete and not res.failed
    return out


# --------------------------------------------------------------------------- seeds


def test_replicate_seeds_follow_seedsequence_and_are_stable_in_n():
    n = 10
    seeds = replicate_seeds(12345, n)
    expected = [
        int(c.generate_state(1, np.uint64)[0] >> np.uint64(1))
        for c in np.random.SeedSequence(12345).spawn(n)
    ]
    assert seeds == expected
    assert replicate_seeds(12345, 3) == seeds[:3]  # replicate i's seed does not depend on N
    assert replicate_seeds(12345, 1000)[:n] == seeds
    assert [replicate_seed(12345, i) for i in range(n)] == seeds
    assert all(0 <= s < 2**63 for s in seeds)  # fits int64
    assert len(set(seeds)) == n
    assert replicate_seeds(12346, n) != seeds


def test_same_replicate_gets_the_same_seed_in_every_scenario(tmp_path, scenario):
    a = run_batch(scenario, tmp_path / "a", runs=3, workers=1)
    other = scenario.model_copy(update={"name": "other"})
    b = run_batch(other, tmp_path / "b", runs=3, workers=1)
    seeds = lambda p: [r.seed for r in R.read_manifest(p).runs]  # noqa: E731
    assert seeds(a.out_dir) == seeds(b.out_dir) == replicate_seeds(scenario.seed, 3)


# --------------------------------------------------------------------------- output format


def test_batch_folder_format(reference):
    m = R.read_manifest(reference)
    assert m.status == "complete"
    assert m.n_runs == SMALL_RUNS and m.days == SMALL_DAYS
    assert len(m.scenario.hash) == 64
    assert m.scenario.name == "reinforce"
    assert "days: 20" in m.scenario.resolved
    assert [r.run for r in m.runs] == list(range(SMALL_RUNS))
    assert all(r.status == "done" and r.part == R.MAIN for r in m.runs)
    assert m.versions["numpy"] and m.package["version"] and m.started and m.finished
    assert (reference / "scenario.yaml").read_text() == m.scenario.resolved
    assert not (reference / R.PARTS_DIR).exists()

    daily = pq.read_table(reference / "daily.parquet")
    schema = daily.schema
    assert str(schema.field("run").type) == "int32"
    assert str(schema.field("seed").type) == "int64"
    assert str(schema.field("day").type) == "int32"
    assert str(schema.field("date").type) == "date32[day]"
    assert str(schema.field("ceasefire").type) == "bool"
    for col in ("kursk_ua_km2", "donetsk_ru_gain_km2", "ua_killed", "ru_ammo",
                "bargaining_value", "ru_domestic_confidence"):
        assert col in schema.names
    assert daily.num_rows == SMALL_RUNS * (SMALL_DAYS + 1)
    df = daily.to_pandas()
    assert df[["run", "day"]].equals(df.sort_values(["run", "day"])[["run", "day"]])
    assert not df.duplicated(["run", "day"]).any()

    runs = pq.read_table(reference / "runs.parquet").to_pandas()
    assert runs["run"].tolist() == list(range(SMALL_RUNS))
    assert runs.seed.tolist() == [r.seed for r in m.runs]
    assert "ceasefire_day" in runs
    events = pq.read_table(reference / "events.parquet")
    assert events.schema.equals(R.EVENT_SCHEMA)
    summary = pd.read_csv(reference / "summary.csv")
    assert {"metric", "day", "median", "p5", "p95"} <= set(summary.columns)
    assert sorted(summary["day"].unique()) == [SMALL_DAYS]  # 30/60/90 are past the horizon
    assert {"kursk_ua_km2", "ua_losses", "ru_losses", "ceasefire_in_force"} <= set(
        summary["metric"])


def test_load_results_reads_the_folder(reference):
    res = R.load_results(reference)
    assert res.status == "complete" and res.name == "reinforce"
    assert res.done_runs() == list(range(SMALL_RUNS))
    pd.testing.assert_frame_equal(res.daily, _daily(reference))
    assert len(res.runs) == SMALL_RUNS
    assert set(res.events.columns) >= {"run", "day", "kind", "detail"}
    assert len(res.summary()) > 0
    with pytest.raises(FileNotFoundError):
        R.load_results(reference / "nope")


def test_summarize_picks_days_30_60_90_and_last():
    days = np.arange(0, 121)
    df = pd.DataFrame({"run": np.repeat([0, 1], len(days)), "day": np.tile(days, 2),
                       "date": "d", "kursk_ua_km2": np.tile(days, 2) * 1.0,
                       "ceasefire": np.r_[days > 45, days > 200]})
    s = R.summarize(df)
    assert sorted(s["day"].unique()) == [30, 60, 90, 120]
    k = s[(s.metric == "kursk_ua_km2") & (s.day == 60)].iloc[0]
    assert k["median"] == 60 and k["p5"] == 60 and k["p95"] == 60
    c = s[s.metric == "ceasefire_in_force"].set_index("day")["mean"]
    assert c[30] == 0 and c[60] == 0.5


# --------------------------------------------------------------------------- determinism


def test_workers_1_and_2_give_identical_results(tmp_path, scenario, reference):
    out = tmp_path / "w2"
    res = run_batch(scenario, out, runs=SMALL_RUNS, workers=2)
    assert res.complete
    for name in R.TABLES:
        pd.testing.assert_frame_equal(_table(out, name), _table(reference, name))


def test_one_run_is_reproduced_from_its_manifest_seed(reference):
    from sim.model import model
    from sim.scenario import load_scenario, with_values

    m = R.read_manifest(reference)
    k = 3
    seed = m.runs[k].seed
    # the manifest names its scenario file relative to the batch folder (no absolute path)
    assert not Path(m.scenario.file).is_absolute()
    source = R.load_results(reference).scenario_file
    assert source == (SCENARIOS / "reinforce.yaml").resolve()
    scn = load_scenario(source, overrides=[f"days={m.days}"])
    # a posterior-predictive batch also records the run's parameter draw
    scn = with_values(scn, m.runs[k].params or {})
    rerun = model.run(scn, seed=seed, days=m.days)
    want = R.daily_table(rerun.daily, k, seed).to_pandas()
    got = _daily(reference)
    got = got[got["run"] == k].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want[got.columns.tolist()])


# --------------------------------------------------------------------------- interruption


class _StopAfter:
    def __init__(self, k: int) -> None:
        self.k = k
        self.calls = 0

    def __call__(self, finished: int, total: int) -> None:
        self.calls += 1
        if finished >= self.k:
            raise KeyboardInterrupt


@pytest.mark.parametrize("workers", [1, 2])
def test_interrupted_batch_keeps_finished_runs_and_resumes(tmp_path, scenario, reference,
                                                           workers):
    out = tmp_path / "b"
    k = 2 if workers == 1 else 1
    res = run_batch(scenario, out, runs=SMALL_RUNS, workers=workers, progress=_StopAfter(k))
    assert res.interrupted and not res.complete
    # in worker processes the chunks already running are finished and kept
    assert k <= res.done < SMALL_RUNS
    m = R.read_manifest(out)
    assert m.status == "interrupted"
    done = [r.run for r in m.runs if r.status == "done"]
    assert len(done) == res.done
    # the finished runs are on disk and readable
    part = _daily(out)
    assert sorted(part["run"].unique()) == done
    assert len(R.load_results(out).daily) == res.done * (SMALL_DAYS + 1)
    # without --resume/--force the folder is refused
    with pytest.raises(BatchError, match="already holds a batch"):
        run_batch(scenario, out, runs=SMALL_RUNS, workers=workers)
    calls = []
    res2 = run_batch(scenario, out, runs=SMALL_RUNS, workers=workers, resume=True,
                     progress=lambda f, t: calls.append(f))
    assert res2.complete and not res2.interrupted
    assert calls[0] == res.done  # finished runs were not redone
    assert R.read_manifest(out).status == "complete"
    for name in R.TABLES:
        pd.testing.assert_frame_equal(_table(out, name), _table(reference, name))


def test_failed_run_is_recorded_kept_apart_and_retried_on_resume(tmp_path, scenario, reference,
                                                                 monkeypatch):
    from sim.model import model

    real_run = model.run
    bad = replicate_seed(scenario.seed, 2)

    def flaky(scn, seed, days=None):
        if seed == bad:
            raise RuntimeError("injected failure")
        return real_run(scn, seed=seed, days=days)

    out = tmp_path / "f"
    monkeypatch.setattr(model, "run", flaky)
    res = run_batch(scenario, out, runs=SMALL_RUNS, workers=1)
    assert not res.complete and list(res.failed) == [2]
    assert "injected failure" in res.failed[2]
    m = R.read_manifest(out)
    assert m.status == "failed"
    assert m.runs[2].status == "failed" and "RuntimeError" in m.runs[2].error
    assert sorted(_daily(out)["run"].unique()) == [r for r in range(SMALL_RUNS) if r != 2]

    monkeypatch.setattr(model, "run", real_run)
    res2 = run_batch(scenario, out, runs=SMALL_RUNS, workers=1, resume=True)
    assert res2.complete
    for name in R.TABLES:
        pd.testing.assert_frame_equal(_table(out, name), _table(reference, name))


def test_resume_after_a_crash_ignores_unrecorded_parts(tmp_path, scenario, reference):
    """A chunk whose part was written but not yet recorded in the manifest (the process died in
    between) must not be duplicated: resume deletes it and redoes its runs."""
    out = tmp_path / "c"
    run_batch(scenario, out, runs=SMALL_RUNS, workers=1, progress=_StopAfter(3))
    m = R.read_manifest(out)
    pending = [r for r in m.runs if r.status != "done"]
    assert pending
    # forge an orphan part holding a copy of a finished run relabelled as a pending one
    (out / R.PARTS_DIR).mkdir()
    for name in R.TABLES:
        t = pq.read_table(out / f"{name}.parquet")
        pq.write_table(t, R.part_path(out, "000000-000001-deadbeef", name))
    m.status = "running"  # as if killed
    R.write_manifest(out, m)
    res = run_batch(scenario, out, runs=SMALL_RUNS, workers=1, resume=True)
    assert res.complete
    for name in R.TABLES:
        pd.testing.assert_frame_equal(_table(out, name), _table(reference, name))


def test_resume_can_add_runs(tmp_path, scenario, reference):
    out = tmp_path / "g"
    run_batch(scenario, out, runs=SMALL_RUNS - 2, workers=1)
    res = run_batch(scenario, out, runs=SMALL_RUNS, workers=2, resume=True)
    assert res.complete and res.runs == SMALL_RUNS
    pd.testing.assert_frame_equal(_daily(out), _daily(reference))
    with pytest.raises(BatchError, match="would drop"):
        run_batch(scenario, out, runs=2, workers=1, resume=True)


def test_resume_refuses_another_scenario_or_seed(tmp_path, scenario):
    out = tmp_path / "h"
    run_batch(scenario, out, runs=2, workers=1)
    before = (out / "manifest.json").read_text()
    with pytest.raises(BatchError, match="master seed"):
        run_batch(scenario, out, runs=2, master_seed=7, workers=1, resume=True)
    with pytest.raises(BatchError, match="scenario differs"):
        run_batch(scenario, out, runs=2, days=SMALL_DAYS + 1, workers=1, resume=True)
    with pytest.raises(BatchError, match="exclude"):
        run_batch(scenario, out, runs=2, workers=1, resume=True, force=True)
    assert (out / "manifest.json").read_text() == before
    # a complete batch resumes to itself, nothing redone
    res = run_batch(scenario, out, runs=2, workers=1, resume=True)
    assert res.complete
    # --force replaces it
    res = run_batch(scenario, out, runs=3, workers=1, force=True)
    assert res.complete and json.loads((out / "manifest.json").read_text())["n_runs"] == 3


def test_refuses_bad_arguments_before_writing(tmp_path, scenario):
    for kwargs in ({"runs": 0}, {"days": 0}, {"workers": 0}, {"master_seed": -1}):
        with pytest.raises(BatchError):
            run_batch(scenario, tmp_path / "x", **kwargs)
    assert not (tmp_path / "x").exists()
    (tmp_path / "file").write_text("")
    with pytest.raises(BatchError, match="not a folder"):
        run_batch(scenario, tmp_path / "file", runs=1)


def test_chunks_cover_every_run_once():
    from sim.runner import ProcessExecutor, SerialExecutor

    for jobs in (list(range(1)), list(range(7)), list(range(200)), list(range(1000))):
        for ex in (SerialExecutor(), ProcessExecutor(2), ProcessExecutor(5)):
            chunks = ex.split(jobs)
            assert [j for c in chunks for j in c] == jobs
            assert all(1 <= len(c) <= 25 for c in chunks)
            # several chunks per worker where there are enough runs, for progress and balance
            assert len(chunks) >= min(len(jobs), 4 * ex.workers)
            if ex.workers > 1 and len(jobs) >= 200:  # guided: small tasks last, for balance
                assert [len(c) for c in chunks[-ex.workers:]] == [1] * ex.workers
                assert len(chunks) <= 2 * -(-len(jobs) // ex.chunk_size(len(jobs)))


def test_consolidate_streams_sources_in_run_order(tmp_path):
    """Synthetic sources: an earlier consolidated table (``main``, 150 runs, read in pieces)
    and interleaved parts; the result is every assigned run once, sorted, extra rows dropped."""
    import pyarrow as pa

    def rows(runs, days=3):
        return pa.table({"run": pa.array([r for r in runs for _ in range(days)], pa.int32()),
                         "seed": pa.array([10 * r for r in runs for _ in range(days)], pa.int64()),
                         "day": pa.array([d for _ in runs for d in range(days)], pa.int32()),
                         "x": pa.array([r + d / 10 for r in runs for d in range(days)])})

    (tmp_path / R.PARTS_DIR).mkdir()
    main_runs = [r for r in range(150) if r % 7]  # holes filled by parts
    sources = {R.MAIN: main_runs, "p1": [0, 7, 14], "p2": [r for r in range(150) if r % 7 == 0
                                                          and r > 14] + [150, 151]}
    for src, runs in sources.items():
        for table in R.TABLES:
            t = rows(runs) if table != "runs" else rows(runs, days=1).drop_columns(["day"])
            pq.write_table(t, R.part_path(tmp_path, src, table), row_group_size=40)
    assignment = {r: src for src, runs in sources.items() for r in runs if r < 150}
    R.consolidate(tmp_path, assignment, rows_per_group=100)
    daily = pq.read_table(tmp_path / "daily.parquet")
    assert daily.column("run").to_pylist() == [r for r in range(150) for _ in range(3)]
    assert daily.column("day").to_pylist() == [d for _ in range(150) for d in range(3)]
    assert pq.read_table(tmp_path / "runs.parquet").column("run").to_pylist() == list(range(150))
    assert pq.ParquetFile(tmp_path / "daily.parquet").metadata.num_row_groups > 1


def test_events_keep_their_causes_and_an_old_batch_reads_them_as_empty(reference, tmp_path):
    import shutil

    import pyarrow.parquet as pq

    res = R.load_results(reference)
    ev = res.events
    assert {"event_id", "causes", "conditions"} <= set(ev.columns)
    for _, g in ev.groupby("run"):
        assert list(g["event_id"]) == list(range(len(g)))
        assert all(c < e for e, cs in zip(g["event_id"], g["causes"], strict=True) for c in cs)
    assert ev["conditions"].ne("").any() and ev["causes"].map(len).gt(0).any()
    # a batch written before the cause columns: ids are the row within the run, no causes
    old = tmp_path / "old"
    shutil.copytree(reference, old)
    t = pq.read_table(old / "events.parquet").drop_columns(list(R.EVENT_CAUSE_COLUMNS))
    pq.write_table(t, old / "events.parquet")
    manifest = json.loads((old / R.MANIFEST).read_text())  # ... in the format of that time
    manifest["format_version"] = 1
    manifest.pop("files", None)
    (old / R.MANIFEST).write_text(json.dumps(manifest))
    back = R.load_results(old).events
    assert list(back["event_id"]) == list(ev["event_id"])
    assert back["causes"].map(len).eq(0).all() and back["conditions"].eq("").all()


def test_run_digests_hash_rows_as_pandas_does(reference):
    """The per-run digests hash each row as ``pd.util.hash_pandas_object`` hashes the batch's
    DataFrame (the definition the manifests' digests were written with), computed one column
    at a time: every table of a real batch, and a table with nulls, lists, text and dates."""
    import datetime as dt

    import pyarrow as pa

    tables = [pq.read_table(reference / f"{t}.parquet") for t in R.TABLES]
    tables.append(pa.table({
        "run": pa.array([0, 0, 1, 2], pa.int32()),
        "n": pa.array([1, None, 3, 4], pa.int32()),
        "flag": pa.array([True, None, False, True]),
        "x": pa.array([0.5, float("nan"), None, 2.0]),
        "text": pa.array(["a", None, "", "d"]),
        "date": pa.array([dt.date(2025, 1, 5), None, dt.date(2025, 2, 1), dt.date(2025, 3, 1)]),
        "causes": pa.array([[1, 2], None, [], [3]], pa.list_(pa.int32())),
    }))
    for t in tables:
        for batch in t.to_batches():
            df = batch.to_pandas()
            for i, f in enumerate(batch.schema):
                if pa.types.is_list(f.type):
                    df[f.name] = [",".join(map(str, v)) if v is not None else ""
                                  for v in batch.column(i).to_pylist()]
            want = pd.util.hash_pandas_object(df, index=False).to_numpy(np.uint64)
            assert np.array_equal(R.row_hashes(batch), want)


def test_run_digests_do_not_depend_on_the_batch_size(reference, tmp_path):
    """Small record batches (where no integer or boolean column has a null) give the digests
    of the original 65,536-row batches; a table with such nulls is read as before."""
    import pyarrow as pa

    def by_definition(path):
        out = {}
        for batch in pq.ParquetFile(path).iter_batches(batch_size=R.DIGEST_BATCH_ROWS):
            h = R.row_hashes(batch)
            for run, hh in zip(batch.column("run").to_numpy(), h, strict=True):
                acc = out.setdefault(int(run), [0, 0])
                acc[0] += 1
                acc[1] = int(np.uint64(acc[1]) + hh * np.uint64(acc[0]))
        return {k: tuple(v) for k, v in out.items()}

    n = 100 * (3 * R.SMALL_DIGEST_BATCH_ROWS // 100 + 1)
    runs = np.repeat(np.arange(n // 100, dtype=np.int32), 100)
    nullable = pa.array([None if i % 5000 == 0 else i for i in range(n)], pa.int64())
    pq.write_table(pa.table({"run": runs, "x": np.arange(n, dtype=float)}), tmp_path / "a.pq")
    pq.write_table(pa.table({"run": runs, "n": nullable}), tmp_path / "b.pq")
    assert R.digest_batch_rows(pq.ParquetFile(tmp_path / "a.pq")) < R.DIGEST_BATCH_ROWS
    assert R.digest_batch_rows(pq.ParquetFile(tmp_path / "b.pq")) == R.DIGEST_BATCH_ROWS
    with np.errstate(over="ignore"):
        for path in [tmp_path / "a.pq", tmp_path / "b.pq",
                     *(reference / f"{t}.parquet" for t in R.TABLES)]:
            assert R.run_digests(path) == by_definition(path), path
