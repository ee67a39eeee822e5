"""Hand-worked and limiting cases for the pure kernels (combat, logistics, morale, diplomacy).

Every expected value is computed by hand in the comment next to it; formulas are those of
docs/MODEL.md (section "Submodels").
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.model.kernels import combat, diplomacy, logistics, morale


def rng(seed: int = 12345) -> np.random.Generator:
    return np.random.default_rng(seed)


# ============================================================================ combat_power


POWER_KW = dict(armour_bonus_per_1000=0.02, artillery_share=0.5, reference_rounds_per_troop=0.1)


def test_combat_power_hand_worked():
    # N=1000, q=1.2, armour 10 -> 10 per 1000 troops -> 1 + 0.02*10 = 1.2
    # rounds 50 -> 50 / (1000*0.1) = 0.5 of reference -> A = 0.5 + 0.5*0.5 = 0.75
    # m=0.9, s=0.8: P = 1000 * 1.2 * 1.2 * 0.75 * 0.9 * 0.8 = 777.6
    p = combat.combat_power(np.array([1000.0]), np.array([1.2]), np.array([10.0]),
                            np.array([50.0]), np.array([0.9]), np.array([0.8]), **POWER_KW)
    assert p[0] == pytest.approx(777.6)


def test_combat_power_reference_fire_is_worth_its_infantry():
    # rounds = N * reference = 2000 * 0.1 = 200 -> A = 1; no armour, q=m=s=1 -> P = N = 2000
    p = combat.combat_power(np.array([2000.0]), np.ones(1), np.zeros(1), np.array([200.0]),
                            np.ones(1), np.ones(1), **POWER_KW)
    assert p[0] == pytest.approx(2000.0)


def test_combat_power_artillery_cap_and_no_fire():
    # 10,000 rounds for 1000 troops = 100x reference -> capped at 2 -> A = 0.5 + 0.5*2 = 1.5
    # no rounds -> A = 0.5 (only the infantry half)
    p = combat.combat_power(np.array([1000.0, 1000.0]), np.ones(2), np.zeros(2),
                            np.array([10_000.0, 0.0]), np.ones(2), np.ones(2), **POWER_KW)
    np.testing.assert_allclose(p, [1500.0, 500.0])


def test_combat_power_zero_personnel_is_zero_and_finite():
    p = combat.combat_power(np.array([0.0]), np.ones(1), np.array([30.0]), np.array([500.0]),
                            np.ones(1), np.ones(1), **POWER_KW)
    assert np.isfinite(p).all() and p[0] == 0.0


# ============================================================================ fire multipliers


def test_fire_multipliers_attacker_faces_defence():
    # X attacks, Y defends, D = 2.5: X receives 2.5x fire, Y receives 1/2.5 = 0.4x
    on_x, on_y = combat.fire_multipliers(np.array([True]), np.array([False]), np.array([2.5]))
    assert on_x[0] == pytest.approx(2.5) and on_y[0] == pytest.approx(0.4)


def test_fire_multipliers_symmetric_in_meeting_engagement_and_static_front():
    d = np.array([2.5, 4.0, 2.5, 4.0])
    ax = np.array([True, True, False, False])
    ay = np.array([True, True, False, False])
    on_x, on_y = combat.fire_multipliers(ax, ay, d)
    np.testing.assert_array_equal(on_x, on_y)
    np.testing.assert_array_equal(on_x, np.ones(4))


def test_fire_multipliers_swap_sides():
    ax = np.array([True, False, True, False])
    ay = np.array([False, True, True, False])
    d = np.array([2.0, 3.0, 4.0, 5.0])
    on_x, on_y = combat.fire_multipliers(ax, ay, d)
    on_y2, on_x2 = combat.fire_multipliers(ay, ax, d)
    np.testing.assert_array_equal(on_x, on_x2)
    np.testing.assert_array_equal(on_y, on_y2)


# ============================================================================ sector casualties


def test_sector_casualties_hand_worked():
    # P_X=1000 attacks P_Y=2000, D=2, I=0.5, k=0.01
    # C_X = 0.01 * 0.5 * 2   * 2000 = 20
    # C_Y = 0.01 * 0.5 * 0.5 * 1000 = 2.5
    cx, cy = combat.sector_casualties(np.array([1000.0]), np.array([2000.0]), np.array([True]),
                                      np.array([False]), np.array([2.0]), np.array([0.5]), 0.01)
    assert cx[0] == pytest.approx(20.0) and cy[0] == pytest.approx(2.5)


def test_sector_casualties_zero_enemy_power_zero_casualties():
    cx, cy = combat.sector_casualties(np.array([1000.0, 0.0]), np.array([0.0, 1000.0]),
                                      np.array([True, False]), np.array([False, True]),
                                      np.array([2.5, 2.5]), np.ones(2), 0.009)
    assert cx[0] == 0.0 and cy[1] == 0.0  # nobody to shoot at you
    assert cy[0] > 0.0 and cx[1] > 0.0


def test_sector_casualties_zero_intensity_or_lethality():
    args = (np.array([1000.0]), np.array([1000.0]), np.array([True]), np.array([True]),
            np.array([2.5]))
    cx, cy = combat.sector_casualties(*args, np.zeros(1), 0.01)
    assert cx[0] == 0.0 and cy[0] == 0.0
    cx, cy = combat.sector_casualties(*args, np.ones(1), 0.0)
    assert cx[0] == 0.0 and cy[0] == 0.0


def test_attrition_recovers_lanchester_square_law():
    # Meeting engagement (multipliers 1), intensity = dt, power = strength: Euler steps of the
    # kernel integrate dA/dt = -k B, dB/dt = -k A, i.e. the square law with alpha = beta = k.
    k, a, b, dt = 0.009, 10_000.0, 6_000.0, 0.01
    t_end = 60.0
    for _ in range(int(t_end / dt)):
        ca, cb = combat.sector_casualties(np.array([a]), np.array([b]), np.array([True]),
                                          np.array([True]), np.array([2.5]), np.array([dt]), k)
        a, b = a - ca[0], b - cb[0]
    ea, eb = combat.lanchester_square(10_000.0, 6_000.0, k, k, t_end)
    assert a == pytest.approx(float(ea), rel=2e-3)
    assert b == pytest.approx(float(eb), rel=2e-3)


# ============================================================================ split casualties


def test_split_casualties_sums_exactly():
    g = rng(1)
    losses = g.integers(0, 500, size=1000)
    share = g.uniform(0, 1, size=1000)
    k, w, c = combat.split_casualties(g, losses, 0.3, share)
    np.testing.assert_array_equal(k + w + c, losses)
    assert (k >= 0).all() and (w >= 0).all() and (c >= 0).all()
    assert k.dtype.kind == "i" and w.dtype.kind == "i" and c.dtype.kind == "i"


def test_split_casualties_shares_statistically():
    # 20,000 groupings x 100 losses, captured 10 %, killed 30 % of the rest:
    # E[captured] = 10, E[killed] = 0.3 * 90 = 27, E[wounded] = 63 per grouping.
    # Standard error of a mean over 20,000: sqrt(100*0.1*0.9)/sqrt(20000) = 0.021 for captured;
    # tolerance 0.15 is > 5 standard errors for all three.
    g = rng(2)
    losses = np.full(20_000, 100)
    k, w, c = combat.split_casualties(g, losses, 0.3, np.full(20_000, 0.1))
    assert c.mean() == pytest.approx(10.0, abs=0.15)
    assert k.mean() == pytest.approx(27.0, abs=0.15)
    assert w.mean() == pytest.approx(63.0, abs=0.15)


def test_split_casualties_limits():
    g = rng(3)
    losses = np.array([0, 40, 40, 40])
    k, w, c = combat.split_casualties(g, losses, 1.0, np.array([0.0, 0.0, 1.0, 1.7]))
    np.testing.assert_array_equal(c, [0, 0, 40, 40])  # share 1 (and >1 clipped): all captured
    np.testing.assert_array_equal(k, [0, 40, 0, 0])   # killed share 1 of the rest
    np.testing.assert_array_equal(w, [0, 0, 0, 0])


def test_split_casualties_reproducible_with_seed():
    a = combat.split_casualties(rng(7), np.array([100, 200]), 0.3, np.array([0.02, 0.3]))
    b = combat.split_casualties(rng(7), np.array([100, 200]), 0.3, np.array([0.02, 0.3]))
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


# ============================================================================ advance


def test_advance_hand_worked_and_limits():
    # v = 0.3 * R^2 / (R^2 + 1.5^2)
    # R=0 -> 0; R=1.5 -> 0.15 (half); R=3 -> 0.3 * 9 / 11.25 = 0.24; R=inf -> 0.3
    v = combat.advance_km(np.array([0.0, 1.5, 3.0, np.inf]), 0.3, 1.5, 2.0)
    np.testing.assert_allclose(v, [0.0, 0.15, 0.24, 0.3])


def test_advance_saturates_and_is_monotone():
    r = np.linspace(0.0, 1000.0, 5001)
    v = combat.advance_km(r, 0.3, 1.5, 2.0)
    assert (np.diff(v) >= 0).all()
    assert v[-1] == pytest.approx(0.3, rel=1e-5) and v.max() <= 0.3


def test_advance_negative_ratio_is_zero():
    assert combat.advance_km(np.array([-1.0]), 0.3, 1.5, 2.0)[0] == 0.0


@pytest.mark.parametrize("steepness", [0.5, 1.0, 3.0])
def test_advance_half_at_half_ratio_for_any_steepness(steepness):
    assert combat.advance_km(np.array([2.0]), 1.0, 2.0, steepness)[0] == pytest.approx(0.5)


# ============================================================================ lanchester


def test_lanchester_square_satisfies_its_odes():
    a0, b0, alpha, beta = 10_000.0, 8_000.0, 0.012, 0.008
    t = np.linspace(0.0, 40.0, 4001)  # B is still > 0 at t = 40 (checked below)
    a, b = combat.lanchester_square(a0, b0, alpha, beta, t)
    assert (b[-1] > 0) and (a[-1] > 0)
    h = t[1] - t[0]
    da = (a[2:] - a[:-2]) / (2 * h)  # central differences
    db = (b[2:] - b[:-2]) / (2 * h)
    np.testing.assert_allclose(da, -beta * b[1:-1], rtol=1e-5)
    np.testing.assert_allclose(db, -alpha * a[1:-1], rtol=1e-5)


def test_lanchester_square_law_invariant():
    # alpha A^2 - beta B^2 = const = 0.012 * 1e8 - 0.008 * 6.4e7 = 1.2e6 - 5.12e5 = 6.88e5
    a, b = combat.lanchester_square(10_000.0, 8_000.0, 0.012, 0.008, np.linspace(0, 40, 81))
    inv = 0.012 * a**2 - 0.008 * b**2
    np.testing.assert_allclose(inv, 6.88e5, rtol=1e-9)


def test_lanchester_loser_stops_at_zero():
    # alpha = beta: B reaches 0 when tanh(g t) = b0/a0 = 0.5, t = atanh(0.5)/0.01 = 54.93 days;
    # the winner is left with sqrt(a0^2 - b0^2) = sqrt(7500) = 86.60 (square law)
    a, b = combat.lanchester_square(100.0, 50.0, 0.01, 0.01, np.array([54.0, 56.0, 100.0]))
    assert b[0] > 0 and b[1] == 0.0 and b[2] == 0.0
    assert a[1] == pytest.approx(math.sqrt(100**2 - 50**2), rel=1e-3)


def test_lanchester_winner_constant_after_annihilation():
    # After B is gone the winner keeps sqrt(a0^2 - beta/alpha * b0^2) = sqrt(7500) = 86.60;
    # the raw closed form would grow again (95.5 at t=100, 194.9 at t=200).
    a, _ = combat.lanchester_square(100.0, 50.0, 0.01, 0.01, np.array([60.0, 100.0, 200.0]))
    np.testing.assert_allclose(a, math.sqrt(100**2 - 50**2), rtol=1e-9)


# ============================================================================ logistics


def test_corridor_interdiction_cut_and_far():
    # cut (margin <= 0): 1
    assert logistics.corridor_interdiction(0.0, 0.1, 0.9, 6.0) == 1.0
    assert logistics.corridor_interdiction(-3.0, 0.1, 0.9, 6.0) == 1.0
    # margin = range: 0.1 + 0.8 * e^-1 = 0.1 + 0.29430 = 0.39430
    assert logistics.corridor_interdiction(6.0, 0.1, 0.9, 6.0) == pytest.approx(0.394304, 1e-5)
    # far away -> base
    assert logistics.corridor_interdiction(600.0, 0.1, 0.9, 6.0) == pytest.approx(0.1)
    assert logistics.corridor_interdiction(math.inf, 0.1, 0.9, 6.0) == pytest.approx(0.1)


def test_corridor_interdiction_monotone_in_margin():
    m = np.linspace(0.01, 50, 500)
    i = np.array([logistics.corridor_interdiction(x, 0.1, 0.9, 6.0) for x in m])
    assert (np.diff(i) < 0).all() and i.max() <= 0.9 and i.min() >= 0.1


def test_fire_ammunition_hand_worked():
    fired, left = logistics.fire_ammunition(np.array([100.0, 50.0]), np.array([30.0, 80.0]))
    np.testing.assert_array_equal(fired, [30.0, 50.0])  # at most the stock
    np.testing.assert_array_equal(left, [70.0, 0.0])


def test_deliver_ammunition_pro_rata_and_interdiction():
    # asks = 0.5 * shortfall = [50, 25]; depot 50 covers 2/3 -> sent [33.33, 16.67]
    # arrived = sent * (1 - [0.1, 0.5]) = [30, 8.333]; destroyed 3.333 + 8.333 = 11.667
    stock, depot, lost = logistics.deliver_ammunition(
        np.array([0.0, 50.0]), np.array([100.0, 100.0]), 50.0, 0.5, np.array([0.1, 0.5]))
    np.testing.assert_allclose(stock, [30.0, 50.0 + 25.0 / 3.0])
    assert depot == pytest.approx(0.0, abs=1e-12)
    assert lost == pytest.approx(35.0 / 3.0)


def test_deliver_ammunition_ample_depot_and_conservation():
    # depot 1000 covers asks [50, 25]: depot 925; what left = arrived + destroyed
    s0 = np.array([0.0, 50.0])
    stock, depot, lost = logistics.deliver_ammunition(
        s0, np.array([100.0, 100.0]), 1000.0, 0.5, np.array([0.1, 0.5]))
    np.testing.assert_allclose(stock, [45.0, 62.5])
    assert depot == pytest.approx(925.0)
    assert (stock - s0).sum() + lost == pytest.approx(1000.0 - depot)


def test_deliver_ammunition_nothing_to_do():
    s0 = np.array([100.0, 120.0])
    stock, depot, lost = logistics.deliver_ammunition(s0, np.array([100.0, 100.0]), 500.0, 0.5,
                                                      np.zeros(2))
    np.testing.assert_array_equal(stock, s0)  # at or above target: no ask
    assert depot == 500.0 and lost == 0.0
    stock, depot, lost = logistics.deliver_ammunition(np.zeros(2), np.full(2, 100.0), 0.0, 0.5,
                                                      np.zeros(2))
    np.testing.assert_array_equal(stock, np.zeros(2))  # empty depot
    assert depot == 0.0 and lost == 0.0


def test_supply_step_hand_worked_and_bounds():
    # 5 - 1 + 1.6*0.9 = 5.44; 0.2 - 1 + 0 = -0.8 -> 0; 9.9 - 1 + 1.6 = 10.5 -> 10
    s = logistics.supply_step(np.array([5.0, 0.2, 9.9]), 1.6, np.array([0.1, 1.0, 0.0]), 10.0)
    np.testing.assert_allclose(s, [5.44, 0.0, 10.0])


def test_supply_stays_in_bounds_over_random_days():
    g = rng(4)
    s = g.uniform(0, 10, size=200)
    for _ in range(100):
        s = logistics.supply_step(s, g.uniform(0, 5), g.uniform(0, 1, size=200), 10.0)
        assert (s >= 0).all() and (s <= 10.0).all()


def test_supply_factor_hand_worked():
    # floor 0.35, full 4 days: 0 -> 0.35; 2 -> 0.35 + 0.65*0.5 = 0.675; 4 and 8 -> 1
    f = logistics.supply_factor(np.array([0.0, 2.0, 4.0, 8.0]), 4.0, 0.35)
    np.testing.assert_allclose(f, [0.35, 0.675, 1.0, 1.0])


def test_allocate_sums_exactly_and_is_proportional():
    g = rng(5)
    for total in (1, 7, 900, 12_345):
        out = logistics.allocate(g, total, g.uniform(0, 10, size=13))
        assert out.sum() == total and (out >= 0).all()
    # statistically: weights 1:3 over 40,000 draws of 100 -> mean 25 and 75
    draws = np.array([logistics.allocate(g, 100, np.array([1.0, 3.0])) for _ in range(40_000)])
    assert draws[:, 0].mean() == pytest.approx(25.0, abs=0.1)


def test_fill_to_room_hand_worked():
    # Kursk asks 300 with room for 120; Donetsk asks 700 with room for 1,000: Kursk takes 120,
    # Donetsk its 700 plus the 180 Kursk could not take
    np.testing.assert_array_equal(logistics.fill_to_room(np.array([300, 700]),
                                                         np.array([120, 1000])), [120, 880])
    # both fronts full: nobody takes anything (all of it waits in the pool)
    np.testing.assert_array_equal(logistics.fill_to_room(np.array([300, 700]),
                                                         np.array([0, 0])), [0, 0])
    # room for all: each front takes exactly its ask
    np.testing.assert_array_equal(logistics.fill_to_room(np.array([300, 700]),
                                                         np.array([500, 900])), [300, 700])


def test_allocate_nothing_to_give_or_no_taker():
    g = rng(6)
    np.testing.assert_array_equal(logistics.allocate(g, 0, np.ones(3)), [0, 0, 0])
    np.testing.assert_array_equal(logistics.allocate(g, 50, np.zeros(3)), [0, 0, 0])
    out = logistics.allocate(g, 50, np.array([0.0, 2.0, 0.0]))
    np.testing.assert_array_equal(out, [0, 50, 0])


# ============================================================================ morale


MORALE_KW = dict(loss_sensitivity=1.5, supply_sensitivity=0.03, ground_sensitivity=0.02,
                 recovery_rate=0.05, reserve_recovery_rate=0.08)


def test_morale_step_hand_worked():
    # line:    0.6 + 0.05*(0.7-0.6) - (1.5*0.02 + 0.03*0.5 + 0.02*0.3) = 0.6 + 0.005 - 0.051 = 0.554
    # reserve: 0.6 + 0.08*0.1 - 0.051 = 0.557
    # ground gained (-1 km) does not raise morale: 0.6 + 0.005 - 0.045 = 0.560
    m = morale.morale_step(np.full(3, 0.6), np.full(3, 0.7), np.full(3, 0.02), np.full(3, 0.5),
                           np.array([0.3, 0.3, -1.0]), np.array([False, True, False]),
                           **MORALE_KW)
    np.testing.assert_allclose(m, [0.554, 0.557, 0.560])


def test_morale_stays_in_unit_interval():
    g = rng(8)
    m = g.uniform(0, 1, 500)
    for _ in range(50):
        m = morale.morale_step(m, g.uniform(0, 1, 500), g.uniform(0, 0.5, 500),
                               g.uniform(0, 1, 500), g.uniform(-5, 5, 500),
                               g.uniform(size=500) < 0.3, **MORALE_KW)
        assert (m >= 0).all() and (m <= 1).all()
    # a huge loss drives it to exactly 0; a full-morale, quiet day stays at 1
    assert morale.morale_step(np.ones(1), np.ones(1), np.full(1, 5.0), np.zeros(1), np.zeros(1),
                              np.zeros(1, bool), **MORALE_KW)[0] == 0.0
    assert morale.morale_step(np.ones(1), np.ones(1), np.zeros(1), np.zeros(1), np.zeros(1),
                              np.zeros(1, bool), **MORALE_KW)[0] == 1.0


def test_update_broken_hysteresis():
    # thresholds: break below 0.2, rally at 0.5
    m = np.array([0.3, 0.1, 0.3, 0.1, 0.5, 0.6])
    was = np.array([False, False, True, True, True, True])
    now = morale.update_broken(m, was, 0.2, 0.5)
    # intact at 0.3 stays intact; intact at 0.1 breaks; broken at 0.3 stays broken (between the
    # thresholds the state is kept); broken at 0.1 stays broken; broken at 0.5 and 0.6 rally
    np.testing.assert_array_equal(now, [False, True, True, True, False, False])


def test_morale_factor_hand_worked():
    # floor 0.5: m=0 -> 0.5, m=0.4 -> 0.5 + 0.5*0.4 = 0.7, m=1 -> 1
    np.testing.assert_allclose(morale.morale_factor(np.array([0.0, 0.4, 1.0]), 0.5),
                               [0.5, 0.7, 1.0])


# ============================================================================ diplomacy


def test_logistic_and_willingness_hand_worked():
    assert diplomacy.logistic(0.0) == 0.5
    assert diplomacy.logistic(math.log(3.0)) == pytest.approx(0.75)  # 1/(1+1/3)
    # -1 + 2.5 (seek) + 1*0.8 (bargaining) + 1.5*0.1 (confidence) - 0.15*2 (momentum) = 2.15
    w = diplomacy.willingness(-1.0, seek=True, seek_bonus=2.5, bargaining_value=0.8,
                              bargaining_weight=1.0, confidence_lost=0.1, confidence_weight=1.5,
                              momentum_km2_per_day=2.0, momentum_weight=0.15)
    assert w == pytest.approx(2.15)
    assert diplomacy.willingness(-1.0, seek=False, seek_bonus=2.5) == -1.0  # no bonus


def test_agreement_probability_hand_worked_and_bounds():
    # p = 0.04 * 0.5 * 0.5 = 0.01
    assert diplomacy.agreement_probability(0.0, 0.0, 0.04) == pytest.approx(0.01)
    # p = 0.04 * 0.75 * 0.5 = 0.015
    assert diplomacy.agreement_probability(math.log(3.0), 0.0, 0.04) == pytest.approx(0.015)
    grid = np.linspace(-50, 50, 41)
    ps = [diplomacy.agreement_probability(a, b, 0.04) for a in grid for b in grid]
    assert min(ps) >= 0.0 and max(ps) <= 0.04
    assert diplomacy.agreement_probability(50, 50, 0.04) == pytest.approx(0.04)
    assert diplomacy.agreement_probability(-50, 50, 0.04) < 1e-20  # one unwilling side suffices
    assert diplomacy.agreement_probability(3, 3, 0.0) == 0.0


def test_logistic_extreme_arguments():
    # math.exp(1000) would overflow; the logistic must saturate instead
    assert diplomacy.logistic(-1000.0) == 0.0
    assert diplomacy.logistic(1000.0) == 1.0
    assert diplomacy.agreement_probability(-1e6, 1e6, 0.04) == 0.0


def test_bargaining_value_hand_worked_and_zero():
    # 585/585 * (1 + 0.5 * 146/365) = 1 * (1 + 0.2) = 1.2
    assert diplomacy.bargaining_value(585.0, 585.0, 146.0, 0.5) == pytest.approx(1.2)
    # 292.5/585 * (1 + 0) = 0.5
    assert diplomacy.bargaining_value(292.5, 585.0, 0.0, 0.5) == pytest.approx(0.5)
    assert diplomacy.bargaining_value(0.0, 585.0, 500.0, 0.5) == 0.0


def test_confidence_step_hand_worked():
    # held 292.5 km2: 0.8 - 0.002 * 0.5 = 0.799; none held: 0.8 + 0.01 * (1 - 0.8) = 0.802
    assert diplomacy.confidence_step(0.8, 292.5, 585.0, 0.002, 0.01) == pytest.approx(0.799)
    assert diplomacy.confidence_step(0.8, 0.0, 585.0, 0.002, 0.01) == pytest.approx(0.802)


def test_confidence_step_bounds_and_recovery_only_at_zero_area():
    assert diplomacy.confidence_step(0.001, 1e6, 585.0, 0.002, 0.01) == 0.0
    assert diplomacy.confidence_step(1.0, 0.0, 585.0, 0.002, 1.0) == 1.0
    assert diplomacy.confidence_step(0.999, 0.0, 585.0, 0.002, 5.0) <= 1.0
    # any ground held, however little: no recovery
    assert diplomacy.confidence_step(0.5, 1e-9, 585.0, 0.0, 0.5) == 0.5
    assert diplomacy.confidence_step(0.5, 1.0, 585.0, 0.002, 0.5) < 0.5
    c = 0.3
    for _ in range(2000):
        c = diplomacy.confidence_step(c, 0.0, 585.0, 0.002, 0.01)
        assert 0.0 <= c <= 1.0
    assert c == pytest.approx(1.0, abs=1e-6)
