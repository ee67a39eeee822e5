"""Every bad map input is refused at the door with one clean line (a ``MapError`` naming the
file and the key path), never a traceback: files that are not maps, YAML that is too deep, too
big or ambiguous, and values of the wrong type or outside the limits (issue 14)."""

from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest
import yaml
from conftest import REPO

from sim.space import MapError, load_map
from sim.space.reading import MAX_FILE_BYTES

BASE = {
    "name": "tiny",
    "projection": {"lat0": 50.0, "lon0": 30.0},
    "extent": {"lat_min": 50.0, "lat_max": 50.2, "lon_min": 30.0, "lon_max": 30.6},
    "cell_km": 1.0,
    "terrain": {"default": "open", "forest": [
        {"name": "wood", "polygon": [[50.05, 30.2], [50.1, 30.2], [50.1, 30.3]]}]},
    "terrain_cost": {"open": 1.0, "forest": 1.5, "river": 2.5, "urban": 3.0},
    "lines": {"2025-01-05": {"ua_held": [
        {"polygon": [[49.9, 29.9], [50.3, 29.9], [50.3, 30.05], [49.9, 30.05]]}]}},
    "sectors": {"all": {"anchor": [50.1, 30.3]}},
    "places": [{"name": "Town", "lat": 50.1, "lon": 30.3, "kind": "town"}],
    "routes": {"road": {"side": "ua", "polyline": [[50.1, 30.0], [50.1, 30.5]]}},
    "railheads": [{"name": "Depot", "side": "ua", "lat": 49.5, "lon": 30.0}],
}


def _set(doc: dict, path: str, value) -> dict:
    doc = copy.deepcopy(doc)
    *parents, last = path.split(".")
    node = doc
    for p in parents:
        node = node[int(p)] if isinstance(node, list) else node[p]
    if value is _DELETE:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return doc


_DELETE = object()

# (case id, key path to change, new value, expected text in the one problem line)
VALUE_CASES = [
    ("cell_km NaN", "cell_km", float("nan"), "cell_km: got nan; allowed: a finite number"),
    ("cell_km inf", "cell_km", float("inf"), "cell_km: got inf; allowed: a finite number"),
    ("cell_km 1e9 (negative areas before)", "cell_km", 1000000000.0,
     "cell_km: got 1000000000.0; allowed: <= 50"),
    ("cell_km too small", "cell_km", 0.001, "cell_km: got 0.001; allowed: >= 0.05"),
    ("cell_km zero", "cell_km", 0, "cell_km: got 0; allowed: >= 0.05"),
    ("cell_km text", "cell_km", "1.0", "cell_km: got '1.0'; allowed: a number"),
    ("cell_km bool", "cell_km", True, "cell_km: got True; allowed: a number"),
    ("cell_km huge int", "cell_km", 10**400, "cell_km: got 1000"),
    ("place lat inf", "places.0.lat", float("inf"), "places.0.lat: got inf; allowed: a finite"),
    ("polygon NaN", "lines.2025-01-05.ua_held.0.polygon.1.0", float("nan"),
     "lines.2025-01-05.ua_held.0.polygon.1.0: got nan; allowed: a finite number"),
    ("extent lat > 90", "extent.lat_max", 95.0, "extent.lat_max: got 95.0; allowed: <= 90"),
    ("extent lon < -180", "extent.lon_min", -200.0, "extent.lon_min: got -200.0; allowed: >= -180"),
    ("lon0 > 180", "projection.lon0", 181.0, "projection.lon0: got 181.0; allowed: <= 180"),
    ("lat0 huge", "projection.lat0", 1e300, "projection.lat0: got 1e+300; allowed: <= 90"),
    ("railhead lon huge", "railheads.0.lon", -1e308,
     "railheads.0.lon: got -1e+308; allowed: >= -180"),
    ("extent reversed", "extent.lat_min", 50.3, "extent: got lat 50.3..50.2"),
    ("extent too large", "extent", {"lat_min": -80.0, "lat_max": 80.0, "lon_min": -170.0,
                                    "lon_max": 170.0}, "allowed: at most 2,000 km each way"),
    ("too many cells", "extent", {"lat_min": 42.0, "lat_max": 58.0, "lon_min": 20.0,
                                  "lon_max": 45.0}, "allowed: at most 1,000,000 cells"),
    ("terrain cost zero", "terrain_cost.open", 0.0, "terrain_cost.open: got 0.0; allowed: >= 0.01"),
    ("terrain cost text", "terrain_cost.urban", "high", "terrain_cost.urban: got 'high'"),
    ("terrain cost missing", "terrain_cost.river", _DELETE,
     "terrain_cost.river: required key is missing"),
    ("unknown terrain class", "terrain.swamp", [], "terrain.swamp: unknown key; allowed: default"),
    ("unknown default class", "terrain.default", "swamp",
     "terrain.default: got 'swamp'; allowed: 'open', 'urban', 'forest', 'river'"),
    ("misspelt top key", "cel_km", 1.0, "cel_km: unknown key (did you mean 'cell_km'?)"),
    ("places a mapping", "places", {"Town": 1}, "places: got a dict; allowed: a list"),
    ("places empty", "places", [], "places: got 0 entries; allowed: at least 1"),
    ("sectors a list", "sectors", [1, 2], "sectors: got a list; allowed: a mapping"),
    ("point of 3 values", "sectors.all.anchor", [50.1, 30.3, 7.0],
     "sectors.all.anchor: got 3 [lat, lon] values; allowed: at most 2"),
    ("polygon of 2 points", "terrain.forest.0.polygon", [[50.05, 30.2], [50.1, 30.2]],
     "terrain.forest.0.polygon: got 2 entries; allowed: at least 3"),
    ("two shapes", "terrain.forest.0.circle", {"lat": 50.1, "lon": 30.2, "radius_km": 1.0},
     "terrain.forest.0: got polygon, circle; allowed: exactly one of polygon, polyline, circle"),
    ("route side", "routes.road.side", "nato", "routes.road.side: got 'nato'; allowed: 'ru', 'ua'"),
    ("width_km negative", "terrain.river", [{"polyline": [[50.0, 30.1], [50.2, 30.1]],
                                            "width_km": -1.0}],
     "terrain.river.0.width_km: got -1.0; allowed: > 0"),
    ("population float", "places.0.population", 12.5,
     "places.0.population: got 12.5; allowed: a whole number"),
    ("active text", "railheads.0.active", "yes", "railheads.0.active: got 'yes'; allowed: true"),
    ("name a number", "places.0.name", 7, "places.0.name: got 7; allowed: text"),
    ("place outside extent", "places.0.lat", 51.5, "places.0: place 'Town' at 51.5, 30.3 is "
     "outside the extent; allowed: lat 50.0..50.2, lon 30.0..30.6"),
    ("anchor outside extent", "sectors.all.anchor", [10.0, 30.3],
     "sectors.all.anchor: [10.0, 30.3] is outside the extent"),
    ("duplicate place", "places.1", {"name": "town", "lat": 50.1, "lon": 30.4},
     "places.1.name: duplicate place 'town'"),
    ("no counted area", "area", {"outside_other": [
        {"polygon": [[49.0, 29.0], [51.0, 29.0], [51.0, 31.0], [49.0, 31.0]]}]},
     "area: no cell is left in the counted area"),
    ("lines empty", "lines", {}, "lines: got 0 entries; allowed: at least 1"),
]


def _one_problem(path: Path, expect: str, start_line: str = "2025-01-05") -> str:
    with pytest.raises(MapError) as info:
        load_map(path, start_line)
    exc = info.value
    assert isinstance(exc, ValueError)
    assert len(exc.problems) == 1, exc.problems
    line = exc.problems[0]
    assert "\n" not in line and line.startswith(f"{path.resolve()}: ")
    assert expect in line, line
    return line


def test_base_map_loads(tmp_path):
    p = tmp_path / "tiny.yaml"
    p.write_text(yaml.safe_dump(BASE))
    m = load_map(p)
    assert m.shape == (23, 43) and m.routes["road"].cells.size > 0


@pytest.mark.parametrize("key,value,expect", [c[1:] for c in VALUE_CASES],
                         ids=[c[0] for c in VALUE_CASES])
def test_bad_value_gives_one_line(tmp_path, key, value, expect):
    if key == "places.1":
        doc = copy.deepcopy(BASE)
        doc["places"].append(value)
    else:
        doc = _set(BASE, key, value)
    p = tmp_path / "bad.yaml"
    p.write_text(yaml.safe_dump(doc, allow_unicode=True))
    _one_problem(p, expect)


def _text(tmp_path, text: str | bytes) -> Path:
    p = tmp_path / "map.yaml"
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text)
    return p


def _deep(n: int) -> str:
    return "a: " + "[" * n + "]" * n + "\n"


def _bomb() -> str:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, "
              f"*a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 9)]
    return "\n".join(lines) + "\n"


FILE_CASES = [
    ("missing", lambda t: t / "nope.yaml", "map file does not exist"),
    ("directory", lambda t: t, "is a directory, not a map file"),
    ("png image", lambda t: REPO / "docs" / "img" / "fan_territory.png", "not a text file"),
    ("/dev/zero", lambda t: Path("/dev/zero"), "not a regular file"),
    ("fifo", lambda t: _fifo(t), "not a regular file"),
    ("empty", lambda t: _text(t, ""), "file is empty"),
    ("blank", lambda t: _text(t, "\n  \n"), "file is empty"),
    ("comment only", lambda t: _text(t, "# nothing\n"), "file holds no YAML mapping"),
    ("too large", lambda t: _text(t, "#" * (MAX_FILE_BYTES + 1)),
     f"a map is at most {MAX_FILE_BYTES} bytes"),
    ("NUL bytes", lambda t: _text(t, b"name: x\x00\n"), "not a text file (binary data)"),
    ("latin-1", lambda t: _text(t, "name: K\xf6ln\n".encode("latin-1")), "not UTF-8"),
    ("bad YAML", lambda t: _text(t, "name: [unclosed\n"), "not valid YAML at line"),
    ("top-level list", lambda t: _text(t, "- 1\n- 2\n"), "expected a mapping of keys, got list"),
    ("nested 5000 levels", lambda t: _text(t, _deep(5000)), "YAML nested too deeply"),
    ("nested 40 levels", lambda t: _text(t, _deep(40)), "YAML nested deeper than 32 levels"),
    ("alias bomb", lambda t: _text(t, _bomb()), "more than 200000 values"),
    ("duplicate key", lambda t: _text(t, yaml.safe_dump(BASE) + "cell_km: 2.0\n"),
     "duplicate key 'cell_km' (first at line 1)"),   # safe_dump sorts keys: cell_km first
]


def _fifo(tmp_path: Path) -> Path:
    p = tmp_path / "pipe.yaml"
    os.mkfifo(p)
    return p


@pytest.mark.parametrize("make,expect", [c[1:] for c in FILE_CASES],
                         ids=[c[0] for c in FILE_CASES])
def test_bad_file_gives_one_line(tmp_path, make, expect):
    path = make(tmp_path)
    with pytest.raises(MapError) as info:
        load_map(path)
    assert len(info.value.problems) == 1 and "\n" not in str(info.value), info.value.problems
    assert expect in str(info.value), str(info.value)


def test_unknown_start_line(tmp_path):
    p = tmp_path / "tiny.yaml"
    p.write_text(yaml.safe_dump(BASE))
    _one_problem(p, "lines.2099-01-01: no such line; available: 2025-01-05", "2099-01-01")


def test_every_problem_is_listed(tmp_path):
    doc = _set(_set(BASE, "cell_km", float("nan")), "places.0.kind", "hamlet")
    p = tmp_path / "two.yaml"
    p.write_text(yaml.safe_dump(doc))
    with pytest.raises(MapError) as info:
        load_map(p)
    assert len(info.value.problems) == 2
    assert any("places.0.kind: got 'hamlet'" in line for line in info.value.problems)


def test_edited_file_is_reloaded(tmp_path):
    p = tmp_path / "tiny.yaml"
    p.write_text(yaml.safe_dump(BASE))
    assert load_map(p).cell_km == 1.0
    p.write_text(yaml.safe_dump(_set(BASE, "cell_km", 2.0)) + "\n# changed\n")
    assert load_map(p).cell_km == 2.0


def test_shipped_maps_are_small():
    for name in ("kursk", "donetsk"):
        size = (REPO / "scenarios" / "maps" / f"{name}.yaml").stat().st_size
        assert size < MAX_FILE_BYTES / 50


# ------------------------------------------------------------ mutation fuzz
try:  # the `test` extra installs hypothesis; without it only this test is skipped
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover
    st = None


def _paths(node, prefix=()):
    """Every key path in the base map (to pick one to mutate)."""
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*prefix, i))


PATHS = [p for p in _paths(BASE) if p]


def _mutate(path: tuple, value, drop: bool) -> dict:
    doc = copy.deepcopy(BASE)
    node = doc
    for part in path[:-1]:
        node = node[part]
    if drop and isinstance(node, dict):
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return doc


def _loads_or_one_line_per_problem(p: Path) -> None:
    try:
        m = load_map(p)
    except MapError as exc:
        assert exc.problems and all("\n" not in line and line.startswith(f"{p}: ")
                                    for line in exc.problems), exc.problems
    else:
        assert m.depth_km.shape == m.shape and m.cell_area_km2 > 0


if st is None:
    @pytest.mark.skip(reason="hypothesis is not installed (pip install -e .[test])")
    def test_mutated_map_loads_or_gives_one_line_per_problem():
        pass
else:
    VALUES = st.one_of(
        st.none(), st.booleans(), st.integers(-10**30, 10**30),
        st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8),
        st.lists(st.floats(-200, 200), max_size=4),
        st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
    )

    @settings(max_examples=40, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(path=st.sampled_from(PATHS), value=VALUES, drop=st.booleans())
    def test_mutated_map_loads_or_gives_one_line_per_problem(tmp_path, path, value, drop):
        # a fresh name per example: load_map caches by path and file version
        p = tmp_path / f"m{abs(hash((path, repr(value), drop)))}.yaml"
        p.write_text(yaml.safe_dump(_mutate(path, value, drop)))
        _loads_or_one_line_per_problem(p)


# --------------------------------------------------------------- the two YAML parsers


def _python_loader(text: str):
    from sim.space.reading import UniqueKeyLoader

    return yaml.load(text, Loader=UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass


SHIPPED_YAML = sorted([*(REPO / "scenarios").rglob("*.yaml"),
                       *(REPO / "experiments").glob("*.yaml"), *(REPO / "tests").rglob("*.yaml")])


@pytest.mark.parametrize("path", SHIPPED_YAML, ids=[str(p.relative_to(REPO)) for p in SHIPPED_YAML])
def test_libyaml_and_the_python_loader_read_every_shipped_file_alike(path):
    from sim.space import load_yaml

    text = path.read_text(encoding="utf-8")
    try:
        want = _python_loader(text)
    except (yaml.YAMLError, ValueError) as exc:  # a fixture that is bad on purpose
        with pytest.raises(type(exc)) as got:
            load_yaml(text)
        assert str(got.value) == str(exc)
        return
    assert load_yaml(text) == want


@pytest.mark.parametrize("text", [
    "a: 1\nb: 2\na: 3\n",                       # duplicate key
    "a: [1, 2\n",                               # unclosed flow sequence
    "a: b: c\n",                                # mapping value where none may be
    "a: !!python/object:os.system x\n",         # an unsafe tag
    "- a\nb: 1\n",                              # sequence then mapping at the top
    "a: &x [1]\nb: *y\n",                       # unknown alias
])
def test_problems_are_reported_in_the_python_loaders_words(text):
    from sim.space import load_yaml

    with pytest.raises(yaml.YAMLError) as want:
        _python_loader(text)
    with pytest.raises(yaml.YAMLError) as got:
        load_yaml(text)
    assert type(got.value) is type(want.value) and str(got.value) == str(want.value)


@pytest.mark.parametrize("text", ["[" * 5000 + "]" * 5000, "- " * 5000 + "x\n",
                                  "{a: " * 3000 + "1" + "}" * 3000])
def test_deep_documents_are_left_to_the_python_loader(text):
    # libyaml's composer recurses in C: 5,000 levels could crash the process; the Python
    # loader raises RecursionError, which every reader turns into one line
    from sim.space import load_yaml

    with pytest.raises(RecursionError):
        load_yaml(text)


def test_a_moderately_nested_document_reads_the_same_on_both():
    from sim.space import load_yaml
    from sim.space.reading import MAX_DEPTH

    for depth in (MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1):
        text = "[" * depth + "1" + "]" * depth
        assert load_yaml(text) == _python_loader(text)


def test_a_deep_map_file_is_one_line(tmp_path):
    p = tmp_path / "deep.yaml"
    p.write_text("a: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(MapError) as exc:
        load_map(p)
    assert len(str(exc.value).splitlines()) == 1 and "nested" in str(exc.value)


def test_a_shipped_map_is_parsed_by_libyaml_where_pyyaml_has_it(monkeypatch):
    from sim.space import load_yaml
    from sim.space.reading import FastUniqueKeyLoader

    if FastUniqueKeyLoader is None:
        pytest.skip("PyYAML built without libyaml")
    used, real = [], yaml.load

    def spy(text, Loader):  # noqa: N803 - yaml.load's own argument name
        used.append(Loader)
        return real(text, Loader=Loader)  # noqa: S506 - the project's safe loaders

    monkeypatch.setattr(yaml, "load", spy)
    load_yaml((REPO / "scenarios" / "maps" / "kursk.yaml").read_text(encoding="utf-8"))
    assert used == [FastUniqueKeyLoader]
