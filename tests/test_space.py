"""Tests for sim/space (the map loader) and the two front map files."""

from __future__ import annotations

import sys
import timeit
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the project is not necessarily pip-installed
    sys.path.insert(0, str(ROOT))

from sim.space import TERRAIN_CLASSES, MapError, load_map  # noqa: E402

KURSK = ROOT / "scenarios" / "maps" / "kursk.yaml"
DONETSK = ROOT / "scenarios" / "maps" / "donetsk.yaml"


@pytest.fixture(scope="module")
def kursk():
    return load_map(KURSK)


@pytest.fixture(scope="module")
def donetsk():
    return load_map(DONETSK)


def test_kursk_start_area_matches_article(kursk):
    area = kursk.ua_area_km2(kursk.zero_line())
    assert 555 <= area <= 615, area
    assert kursk.in_area.sum() * kursk.cell_area_km2 > 20 * 20  # a real map, not a toy


def test_kursk_border_line_has_no_ukrainian_area():
    m = load_map(KURSK, start_line="2024-08-06")
    assert m.ua_area_km2(m.zero_line()) == 0.0
    assert m.control(m.zero_line())[m.always_ua].all()  # Ukraine proper stays Ukrainian
    # a Ukrainian advance (negative line) gains ground in Kursk oblast
    assert m.ua_area_km2(np.full(m.n_sectors, -5.0)) > 100


@pytest.mark.parametrize("path", [KURSK, DONETSK])
def test_zero_line_reproduces_start_control(path):
    from sim.space.raster import Grid, feature_mask  # rebuild the start polygon independently
    from sim.space.reading import read_map_yaml
    from sim.space.schema import parse_map

    m = load_map(path)
    spec = parse_map(path, read_map_yaml(path))
    grid = Grid.of(spec)
    assert grid.shape == m.shape
    ua = m.always_ua.copy()
    for feat in spec.lines["2025-01-05"].ua_held:
        ua |= feature_mask(grid, feat)
    assert np.array_equal(m.control(m.zero_line()), ua)
    assert np.all(m.depth_km[ua & m.in_area] > 0)
    assert np.all(m.depth_km[~ua] < 0)


@pytest.mark.parametrize("path", [KURSK, DONETSK])
def test_raising_lines_shrinks_ukrainian_area_monotonically(path):
    m = load_map(path)
    areas = [m.ua_area_km2(np.full(m.n_sectors, v)) for v in np.arange(-10, 60, 0.5)]
    assert all(a >= b for a, b in zip(areas, areas[1:], strict=False))
    assert areas[0] > areas[-1]
    # one sector at a time also shrinks it
    base = m.ua_area_km2(m.zero_line())
    for s in range(m.n_sectors):
        line = m.zero_line()
        line[s] = 3.0
        assert m.ua_area_km2(line) < base
        assert m.ru_cells(line)[s] > m.ru_cells(m.zero_line())[s]


def test_large_line_clears_kursk(kursk):
    assert kursk.ua_area_km2(np.full(kursk.n_sectors, 1e4)) == 0.0
    assert (kursk.terrain_ahead(np.full(kursk.n_sectors, 1e4)) == -1).all()


@pytest.mark.parametrize("path", [KURSK, DONETSK])
def test_control_agrees_with_area(path):
    m = load_map(path)
    rng = np.random.default_rng(1)
    for _ in range(20):
        line = rng.uniform(-8, 15, m.n_sectors)
        ctl = m.control(line)
        n_ua = int((ctl & m.in_area).sum())
        assert m.ua_area_km2(line) == pytest.approx(n_ua * m.cell_area_km2)
        assert m.ru_area_km2(line) == pytest.approx((~ctl & m.in_area).sum() * m.cell_area_km2)
        per_sector = np.bincount(m.sector[~ctl & m.in_area], minlength=m.n_sectors)
        assert np.array_equal(m.ru_cells(line), per_sector)
        # terrain ahead = terrain of the shallowest Ukrainian-held in-area cell in each sector
        ahead = m.terrain_ahead(line)
        for s in range(m.n_sectors):
            sel = ctl & m.in_area & (m.sector == s)
            if sel.any():
                d = np.where(sel, m.depth_km, np.inf)
                assert ahead[s] == m.terrain[np.unravel_index(np.argmin(d), d.shape)]
            else:
                assert ahead[s] == -1


def test_place_holders_at_start(kursk, donetsk):
    for m, ua, ru in (
        (kursk, ["Sudzha", "Malaya Loknya", "Guevo", "Plekhovo"],
         ["Korenevo", "Bolshoe Soldatskoe"]),
        (donetsk, ["Pokrovsk", "Myrnohrad", "Kostiantynivka", "Dobropillia", "Kramatorsk"],
         ["Selydove", "Vuhledar", "Novohrodivka", "Niu-York"]),
    ):
        held = dict(zip([p.name for p in m.places], m.place_holder_ua(m.zero_line()), strict=True))
        for name in ua:
            assert held[name], f"{name} should be Ukrainian at the start"
        for name in ru:
            assert not held[name], f"{name} should be Russian at the start"
    assert donetsk.place("chasiv_yar").name == "Chasiv Yar"


def test_pokrovsk_is_5_to_8_km_from_russian_ground(donetsk):
    m = donetsk
    p = m.place("Pokrovsk")
    ru = ~m.control(m.zero_line())
    X, Y = np.meshgrid(m.x_km, m.y_km)
    d = np.hypot(X[ru] - p.x_km, Y[ru] - p.y_km).min()
    assert 5.0 <= d <= 8.0, d
    k = m.place("Kostiantynivka")
    dk = np.hypot(X[ru] - k.x_km, Y[ru] - k.y_km).min()
    assert 8.0 <= dk <= 16.0, dk


TINY = """
name: tiny
projection: {{lat0: 50.0, lon0: 30.0}}
extent: {{lat_min: 50.0, lat_max: 50.2, lon_min: 30.0, lon_max: 30.6}}
cell_km: 1.0
terrain:
  default: open
  {extra_terrain}
terrain_cost: {{open: 1.0, forest: 1.5, river: 2.5, urban: 3.0}}
lines:
  "2025-01-05":
    ua_held:
      - polygon: [[49.9, 29.9], [50.3, 29.9], [50.3, 30.05], [49.9, 30.05]]
sectors:
  all: {{anchor: [50.1, 30.3]}}
places:
  - {{name: Town, lat: {town_lat}, lon: 30.3, kind: town, radius_km: {radius}}}
"""


def _write(tmp_path, name="tiny.yaml", extra_terrain="", town_lat=50.1, radius=3.0):
    p = tmp_path / name
    p.write_text(TINY.format(extra_terrain=extra_terrain, town_lat=town_lat, radius=radius))
    return p


def test_urban_cells_cost_more(tmp_path):
    # a north-south band of town across the whole map: no way around it
    band = "urban: [{polygon: [[49.9, 30.25], [50.3, 30.25], [50.3, 30.35], [49.9, 30.35]]}]"
    m = load_map(_write(tmp_path, extra_terrain=band, radius=0.1))
    row = m.shape[0] // 2
    depth = -m.depth_km[row]  # Russian side: distance grows eastwards away from the line
    urban = m.terrain[row] == TERRAIN_CLASSES.index("urban")
    steps = np.diff(depth)
    assert urban.any() and (~urban).any()
    u = urban[1:] & urban[:-1]
    o = ~urban[1:] & ~urban[:-1]
    assert steps[u].mean() == pytest.approx(3.0)
    assert steps[o].mean() == pytest.approx(1.0)
    # the same map without the band is shallower at the far edge by ~2 km per urban cell
    flat = load_map(_write(tmp_path, "flat.yaml", radius=0.1))
    extra = -m.depth_km[row, -1] - (-flat.depth_km[row, -1])
    assert extra == pytest.approx(2.0 * u.sum() + 2.0, abs=1.5)
    # a round town can be bypassed, but still makes the far side deeper
    town = load_map(_write(tmp_path, "town.yaml", radius=3.0))
    assert -flat.depth_km[row, -1] < -town.depth_km[row, -1] < -m.depth_km[row, -1]


def test_sudzha_corridor_margin(kursk):
    assert kursk.route_margin_km("sudzha_corridor", kursk.zero_line()) > 0
    assert kursk.route_margin_km("sudzha_corridor", np.full(kursk.n_sectors, 15.0)) <= 0
    assert kursk.routes["sudzha_corridor"].side == "ua"
    assert kursk.routes["sudzha_corridor"].cells.size > 3


def test_missing_file_raises(tmp_path):
    with pytest.raises(MapError, match="nope.yaml"):
        load_map(tmp_path / "nope.yaml")


def test_unknown_terrain_class_raises(tmp_path):
    p = _write(tmp_path, "swampy.yaml",
               extra_terrain="swamp: [{polygon: [[50.0, 30.1], [50.1, 30.1], [50.1, 30.2]]}]")
    with pytest.raises(MapError, match=r"swampy\.yaml.*terrain\.swamp.*allowed"):
        load_map(p)


def test_place_outside_extent_raises(tmp_path):
    p = _write(tmp_path, "faraway.yaml", town_lat=51.5)
    with pytest.raises(MapError, match=r"faraway\.yaml: places\.0: .*outside the extent"):
        load_map(p)


def test_missing_key_and_bad_yaml_raise(tmp_path):
    p = tmp_path / "nosectors.yaml"
    p.write_text(_write(tmp_path).read_text().replace("sectors:", "sectorz:"))
    with pytest.raises(MapError, match=r"nosectors\.yaml.*sectors.*missing"):
        load_map(p)
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(MapError, match="bad.yaml"):
        load_map(bad)


def test_load_is_cached():
    assert load_map(KURSK) is load_map(str(KURSK))
    assert load_map(KURSK, "2024-08-06") is not load_map(KURSK)


def test_per_day_calls_are_fast(kursk, donetsk):
    for m in (kursk, donetsk):
        line = np.full(m.n_sectors, 2.0)
        n = 2000
        t_area = timeit.timeit(lambda m=m, line=line: m.ua_area_km2(line), number=n) / n
        t_ahead = timeit.timeit(lambda m=m, line=line: m.terrain_ahead(line), number=n) / n
        # the target is ~20 us; allow slack for slow or busy test machines
        assert t_area < 100e-6 and t_ahead < 100e-6, (t_area, t_ahead)
