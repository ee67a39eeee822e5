"""The wargame model: a ``mesa.Model`` that wires groupings, commands, maps and kernels.

``run(scenario, seed)`` is the pure, seedable function from (scenario, seed) to a daily record
and an event list that the batch runner, calibration and experiments build on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import mesa
import numpy as np
import pandas as pd

from sim.model.agents import (
    ATTACK,
    DEFEND,
    DONETSK,
    FRONTS,
    KURSK,
    POSTURE_NAMES,
    RESERVE,
    RU,
    SIDES,
    TRANSIT,
    UA,
    WITHDRAWING,
    Grouping,
    RussianCommand,
    UkrainianCommand,
)
from sim.model.kernels import combat, diplomacy, logistics, morale
from sim.scenario import Scenario
from sim.space import TERRAIN_CLASSES, FrontMap, load_map

# Diplomacy states
NO_TALKS, TALKS, AGREED, CEASEFIRE = range(4)

RECORD_COLUMNS = (
    "kursk_ua_km2", "donetsk_ru_gain_km2",
    "ua_kursk_personnel", "ru_kursk_personnel", "ua_donetsk_personnel", "ru_donetsk_personnel",
    "ua_transit_personnel", "ru_transit_personnel",
    "ua_killed", "ua_wounded", "ua_captured", "ru_killed", "ru_wounded", "ru_captured",
    "ua_ammo", "ru_ammo", "ceasefire", "bargaining_value", "ru_domestic_confidence",
    # extras
    "talks_open", "ua_replacements", "ru_replacements", "ua_returned", "ru_returned",
    "ua_arrived", "ru_arrived",
    "ua_armour", "ru_armour", "ua_artillery", "ru_artillery", "ua_rounds_fired", "ru_rounds_fired",
    "dprk_casualties", "kursk_corridor_interdiction", "ua_kursk_supply_days",
    "ru_kursk_attack_sectors", "ru_donetsk_attack_sectors", "ua_kursk_attack_sectors",
    "ua_donetsk_attack_sectors",
)
BOOL_COLUMNS = ("ceasefire", "talks_open")


@dataclass
class RunResult:
    """One run: its daily record, its events and the scenario's place names."""

    daily: pd.DataFrame
    events: pd.DataFrame
    place_changes: dict[str, int | None]
    ceasefire_day: int | None
    ceasefire_lines: dict[str, float]

    def summary(self) -> dict:
        """Final-day values, the ceasefire day and lines, and the day each place changed hands."""
        last = self.daily.iloc[-1]
        out = {c: last[c].item() if hasattr(last[c], "item") else last[c]
               for c in self.daily.columns if c not in ("day", "date")}
        out["days"] = int(last["day"])
        out["ceasefire_day"] = self.ceasefire_day
        for key in ("kursk_ua_km2", "donetsk_ru_gain_km2"):
            out[f"ceasefire_{key}"] = self.ceasefire_lines.get(key)
        out.update({f"changed_{slug}_day": d for slug, d in self.place_changes.items()})
        return out


class WarModel(mesa.Model):
    """Kursk and Donetsk fronts from the scenario's start date, one step per day."""

    def __init__(self, scenario: Scenario, rng: int | np.random.Generator | None = None,
                 days: int | None = None) -> None:
        super().__init__(rng=rng)
        self.scn = scenario
        self.switches = scenario.switches
        self.days = int(days if days is not None else scenario.days)
        self.day = 0
        self.maps: dict[str, FrontMap] = {
            f: load_map(scenario.map_path(f), getattr(scenario.fronts, f).start_line)
            for f in FRONTS}
        self._build_space()
        self._build_forces()
        self.ru_command = RussianCommand(self, scenario.policy.ru)
        self.ua_command = UkrainianCommand(self, scenario.policy.ua)
        self._build_state()
        self._record_row()

    # ------------------------------------------------------------------ construction
    def _build_space(self) -> None:
        fmaps = [self.maps[f] for f in FRONTS]
        counts = [len(m.sector_names) for m in fmaps]
        self.sector_offset = np.array([0, counts[0]])
        self.n_sectors = sum(counts)
        self.sector_front = np.repeat([KURSK, DONETSK], counts)
        self.line = np.zeros(self.n_sectors)  # effective km, + = Russian advance
        lo = [np.array([m.depth_km[m.in_area & (m.sector == s)].min(initial=0.0)
                        for s in range(len(m.sector_names))]) for m in fmaps]
        hi = [np.array([m.depth_km[m.in_area & (m.sector == s)].max(initial=0.0)
                        for s in range(len(m.sector_names))]) for m in fmaps]
        # A line may move one cell past the last cell of its sector, no further.
        self.depth_lo, self.depth_hi = np.concatenate(lo), np.concatenate(hi)
        self.line_min = self.depth_lo - fmaps[0].cell_km
        self.line_max = self.depth_hi + fmaps[0].cell_km
        self.places = [(f, p) for f in FRONTS for p in self.maps[f].places]
        self.place_index = {p.name: k for k, (_, p) in enumerate(self.places)}
        self.place_ua = self._place_holders()
        self.place_changed: dict[str, int | None] = {p.slug: None for _, p in self.places}
        self.ru_donetsk_cells0 = self.maps["donetsk"].ru_cells(self._front_line(DONETSK)).sum()
        self.terrain_defence = np.array(
            [self.scn.combat.terrain_defence.get(t, 1.0) for t in TERRAIN_CLASSES])

    def _build_forces(self) -> None:
        specs = self.scn.groupings
        n = len(specs)
        f64 = lambda vals: np.array(vals, dtype=float)  # noqa: E731
        self.side = np.array([SIDES.index(g.side) for g in specs], dtype=np.int8)
        self.front = np.array([FRONTS.index(g.front) for g in specs], dtype=np.int8)
        self.sector = np.array([self.maps[g.front].sector_names.index(g.sector) for g in specs],
                               dtype=np.int16)
        self.gsec = self.sector_offset[self.front] + self.sector
        self.posture = np.array([("attack", "defend", "reserve").index(g.posture) for g in specs],
                                dtype=np.int8)
        self.personnel = f64([g.personnel for g in specs])
        self.establishment = self.personnel.copy()
        self.armour = f64([g.armour for g in specs])
        self.artillery = f64([g.artillery for g in specs])
        self.quality = f64([g.quality for g in specs])
        self.morale = f64([g.morale for g in specs])
        self.morale0 = self.morale.copy()
        self.broken = np.zeros(n, dtype=bool)
        self.transit_left = np.zeros(n, dtype=np.int16)
        self.dest_front = self.front.copy()
        self.dest_gsec = self.gsec.copy()
        self.dprk = np.array([g.contingent == "dprk" for g in specs])
        # Groupings that enter the theatre later wait off-map: in transit, out of every count.
        arrival = np.array([(g.arrives - self.scn.start_date).days if g.arrives else 0
                            for g in specs], dtype=np.int16)
        self.pending = arrival > 0
        self.posture[self.pending] = TRANSIT
        self.transit_left[:] = arrival
        lg = self.scn.logistics
        self.rounds_per_gun = np.array([lg.rounds_per_gun[p] for p in POSTURE_NAMES])
        self.ammo = self.artillery * lg.rounds_per_gun["defend"] * lg.stock_days
        self.supply_days = np.full(n, lg.supply_max_days)
        self.groupings = [Grouping(self, i, g) for i, g in enumerate(specs)]

    def _build_state(self) -> None:
        s = self.scn
        self.depot = np.array([s.sides.ru.ammo_depot_rounds, s.sides.ua.ammo_depot_rounds])
        self.start_personnel = np.array([self.personnel[(self.side == k) & ~self.pending].sum()
                                         for k in (RU, UA)])
        self.arrived = np.zeros(2)
        self.killed = np.zeros(2)
        self.wounded = np.zeros(2)
        self.captured = np.zeros(2)
        self.replaced = np.zeros(2)
        self.returned = np.zeros(2)
        self.fired = np.zeros(2)
        self.dprk_casualties = 0.0
        self.attack_sectors = np.zeros((2, 2))  # [side, front]: sectors where the side attacks
        self.returns_due = np.zeros((2, s.combat.wounded_return_days + 1), dtype=np.int64)
        self.diplo = NO_TALKS
        self.ceasefire_start_day: int | None = None
        self.first_ceasefire_day: int | None = None
        self.ceasefire_lines: dict[str, float] = {}
        self.kursk_ua_km2 = self.maps["kursk"].ua_area_km2(self._front_line(KURSK))
        self.kursk_ever_held = self.kursk_ua_km2 > 0
        self.donetsk_gain_km2 = 0.0
        self.confidence = s.indices.confidence_start
        self.held_days = float((s.start_date - s.indices.incursion_start).days)
        self.interdiction = np.full(len(self.groupings), s.logistics.base_interdiction)
        self.corridor_margin_km = self._corridor_margin()
        self.corridor_interdiction = self._corridor_interdiction()
        self.events: list[tuple[int, str, str, str]] = []
        self.rec = {c: np.zeros(self.days + 1) for c in RECORD_COLUMNS}
        self.rec_line = np.zeros((self.days + 1, self.n_sectors))

    # ------------------------------------------------------------------ views used by commands
    def front_sectors(self, front: int) -> np.ndarray:
        return np.flatnonzero(self.sector_front == front)

    def is_front_sector(self, front: int) -> np.ndarray:
        return self.sector_front == front

    def sector_label(self, gsec: int) -> str:
        f = int(self.sector_front[gsec])
        return f"{FRONTS[f]}/{self.maps[FRONTS[f]].sector_names[gsec - self.sector_offset[f]]}"

    def in_contact(self) -> np.ndarray:
        return (self.posture == ATTACK) | (self.posture == DEFEND) | (self.posture == WITHDRAWING)

    def sector_power(self, side: int, power: np.ndarray | None = None) -> np.ndarray:
        """Combat power per global sector for ``side`` (troop-equivalents)."""
        p = self.plan_power if power is None else power
        mask = (self.side == side) & self.in_contact()
        return np.bincount(self.gsec[mask], weights=p[mask], minlength=self.n_sectors)

    def nothing_to_take(self, side: int) -> np.ndarray:
        """Per global sector: True where ``side`` already holds all of the sector's ground."""
        return self.line > self.depth_hi if side == RU else self.line <= self.depth_lo

    def log(self, kind: str, subject: str, detail: str) -> None:
        self.events.append((self.day, kind, subject, detail))

    def order_transfer(self, i: int, front: int, gsec: int, cause: str) -> None:
        """Put grouping ``i`` on the move to ``gsec`` of ``front``; it arrives after the
        side's ``transfer_days``."""
        side = SIDES[self.side[i]]
        self.posture[i] = TRANSIT
        self.transit_left[i] = getattr(self.scn.sides, side).transfer_days
        self.dest_front[i] = front
        self.dest_gsec[i] = gsec
        self.log("transfer_departed", self.groupings[i].name,
                 f"{FRONTS[self.front[i]]} -> {self.sector_label(gsec)}, "
                 f"{self.personnel[i]:.0f} troops; {cause}")

    # ------------------------------------------------------------------ the day
    def step(self) -> None:
        """One day: diplomacy, orders, movement, logistics, combat, morale, indices, record."""
        self.day += 1
        if self.switches.diplomacy:
            self._diplomacy()
        if self.switches.commands:
            self.plan_power = self._power()  # what each grouping could bring to bear today
            self.ru_command.step()
            self.ua_command.step()
        self._transit()
        fired = self._logistics()
        self._combat(fired)
        self._indices()
        self._record_row()
        if self.day >= self.days:
            self.running = False
        self.check_invariants()

    def _front_line(self, front: int) -> np.ndarray:
        return self.line[self.sector_front == front]

    def _place_holders(self) -> np.ndarray:
        return np.concatenate([self.maps[f].place_holder_ua(self._front_line(k))
                               for k, f in enumerate(FRONTS)])

    def _corridor_margin(self) -> float:
        """How far Russian ground is from the Sudzha corridor (km); inf while Ukraine does not
        hold the route's far end (before the incursion reaches Sudzha, or after losing it),
        since then no salient hangs on the route."""
        kmap = self.maps["kursk"]
        route = kmap.routes.get("sudzha_corridor")
        if route is None or route.cells.size == 0:
            return np.inf
        line = self._front_line(KURSK)
        if route.depth_km[-1] < line[route.sectors[-1]]:
            return np.inf
        return kmap.route_margin_km("sudzha_corridor", line)

    def _corridor_interdiction(self) -> float:
        lg = self.scn.logistics
        return logistics.corridor_interdiction(self.corridor_margin_km, lg.base_interdiction,
                                               lg.corridor_interdiction_max, lg.corridor_range_km)

    def _supply_factor(self) -> np.ndarray:
        if not self.switches.logistics:
            return np.ones(len(self.groupings))
        lg = self.scn.logistics
        return logistics.supply_factor(self.supply_days, lg.supply_full_days, lg.supply_floor)

    def _morale_factor(self) -> np.ndarray:
        if not self.switches.morale:
            return np.ones(len(self.groupings))
        return morale.morale_factor(self.morale, self.scn.morale.power_floor)

    def _demand(self) -> np.ndarray:
        cf = self.scn.diplomacy.violation_intensity if self.diplo == CEASEFIRE else 1.0
        return self.artillery * self.rounds_per_gun[self.posture] * cf

    def _power(self, fired: np.ndarray | None = None) -> np.ndarray:
        c = self.scn.combat
        if fired is None:  # planning view: what the grouping could fire from its stock
            d = self._demand()
            fired = d if not self.switches.logistics else np.minimum(self.ammo, d)
        return combat.combat_power(
            self.personnel, self.quality, self.armour, fired, self._morale_factor(),
            self._supply_factor(), armour_bonus_per_1000=c.armour_bonus_per_1000,
            artillery_share=c.artillery_share,
            reference_rounds_per_troop=c.reference_rounds_per_troop)

    def _diplomacy(self) -> None:
        d = self.scn.diplomacy
        date = self.scn.start_date + dt.timedelta(days=self.day)
        if self.diplo == NO_TALKS:
            if d.talks_open is None or date < d.talks_open:
                return
            self.diplo = TALKS
            self.log("talks_opened", "diplomacy", f"talks open on {date}")
        if self.diplo == TALKS:
            momentum = self._ru_momentum()
            lost = self.scn.indices.confidence_start - self.confidence
            w_ru = diplomacy.willingness(
                d.ru_willingness, seek=d.ru_seeks, seek_bonus=d.seek_bonus,
                confidence_lost=max(lost, 0.0), confidence_weight=d.confidence_weight,
                momentum_km2_per_day=momentum, momentum_weight=d.momentum_weight)
            w_ua = diplomacy.willingness(
                d.ua_willingness, bargaining_value=self.rec["bargaining_value"][self.day - 1],
                bargaining_weight=d.bargaining_weight,
                momentum_km2_per_day=-momentum, momentum_weight=d.momentum_weight)
            p = diplomacy.agreement_probability(w_ru, w_ua, d.max_daily_probability)
            if self.rng.random() < p:
                self.diplo = AGREED
                self.ceasefire_start_day = self.day + d.lag_days
                self.log("agreement", "diplomacy",
                         f"agreement (daily probability {p:.3f}); ceasefire from day "
                         f"{self.ceasefire_start_day}")
        if self.diplo == AGREED and self.day >= self.ceasefire_start_day:
            self.diplo = CEASEFIRE
            conceded = self.kursk_ua_km2 / self.scn.indices.reference_area_km2
            self.confidence = max(0.0, self.confidence - self.scn.indices.concession_cost
                                  * conceded)
            if self.first_ceasefire_day is None:
                self.first_ceasefire_day = self.day
                self.ceasefire_lines = {"kursk_ua_km2": self.kursk_ua_km2,
                                        "donetsk_ru_gain_km2": self.donetsk_gain_km2}
            self.log("ceasefire_started", "diplomacy",
                     f"line frozen: Ukraine holds {self.kursk_ua_km2:.0f} km2 of Kursk; Russia "
                     f"has gained {self.donetsk_gain_km2:.0f} km2 in Donetsk")
        elif self.diplo == CEASEFIRE and self.rng.random() < d.collapse_probability:
            self.diplo = TALKS
            self.log("ceasefire_collapsed", "diplomacy", "ceasefire breaks down; fighting resumes")

    def _ru_momentum(self) -> float:
        """Russia's net ground gained per day over the last 14 days (km2/day, both fronts)."""
        t0 = max(0, self.day - 15)
        t1 = self.day - 1
        if t1 <= t0:
            return 0.0
        r = self.rec
        gain = ((r["donetsk_ru_gain_km2"][t1] - r["donetsk_ru_gain_km2"][t0])
                - (r["kursk_ua_km2"][t1] - r["kursk_ua_km2"][t0]))
        return gain / (t1 - t0)

    def _transit(self) -> None:
        moving = self.posture == TRANSIT
        if not moving.any():
            return
        self.transit_left[moving] -= 1
        for i in np.flatnonzero(moving & (self.transit_left <= 0)):
            self.front[i] = self.dest_front[i]
            self.gsec[i] = self.dest_gsec[i]
            self.sector[i] = self.gsec[i] - self.sector_offset[self.front[i]]
            self.posture[i] = DEFEND
            if self.pending[i]:
                self.pending[i] = False
                self.arrived[self.side[i]] += self.personnel[i]
                self.log("grouping_entered", self.groupings[i].name,
                         f"enters at {self.sector_label(int(self.gsec[i]))}, "
                         f"{self.personnel[i]:.0f} troops")
                continue
            self.log("transfer_arrived", self.groupings[i].name,
                     f"at {self.sector_label(int(self.gsec[i]))}, {self.personnel[i]:.0f} troops")

    def _logistics(self) -> np.ndarray:
        """Interdiction, ammunition, general supply, replacements and returning wounded.
        Returns the rounds each grouping fires today."""
        s, lg = self.scn, self.scn.logistics
        self.corridor_margin_km = self._corridor_margin()
        self.corridor_interdiction = self._corridor_interdiction()
        salient = (self.side == UA) & (self.front == KURSK) & (self.posture != TRANSIT)
        self.interdiction = np.where(salient, self.corridor_interdiction, lg.base_interdiction)
        self._reinforcements()
        demand = self._demand()
        if not self.switches.logistics:
            return demand
        fired, self.ammo = logistics.fire_ammunition(self.ammo, demand)
        for k, side in ((RU, s.sides.ru), (UA, s.sides.ua)):
            mine = self.side == k
            self.depot[k] += side.ammo_production_per_day
            target = self.artillery[mine] * lg.rounds_per_gun["defend"] * lg.stock_days
            stock, self.depot[k], _ = logistics.deliver_ammunition(
                self.ammo[mine], target, self.depot[k],
                lg.delivery_share_per_day, self.interdiction[mine])
            self.ammo[mine] = stock
        moving = self.posture == TRANSIT
        self.supply_days = np.where(
            moving, self.supply_days,
            logistics.supply_step(self.supply_days, lg.resupply_days_per_day, self.interdiction,
                                  lg.supply_max_days))
        return fired

    def _reinforcements(self) -> None:
        """New troops and returning wounded join groupings, split between fronts by the
        command's share and within a front by each grouping's shortfall."""
        s = self.scn
        slot = self.day % self.returns_due.shape[1]
        for k, side, policy in ((RU, s.sides.ru, s.policy.ru), (UA, s.sides.ua, s.policy.ua)):
            back = int(self.returns_due[k, slot])
            self.returns_due[k, slot] = 0
            new = side.replacements_per_day
            total = new + back
            if total == 0:
                continue
            to_kursk = int(self.rng.binomial(total, policy.replacement_share_kursk))
            weights = np.maximum(self.establishment - self.personnel, 0.0) + 1.0
            here = (self.side == k) & (self.posture != TRANSIT)
            if not here.any():  # every grouping on the move: the troops wait a day
                nxt = (slot + 1) % self.returns_due.shape[1]
                self.returns_due[k, nxt] += back
                continue
            for front, n in ((KURSK, to_kursk), (DONETSK, total - to_kursk)):
                mask = here & (self.front == front)
                if not mask.any():
                    mask = here
                self.personnel[mask] += logistics.allocate(self.rng, n, weights[mask])
            self.replaced[k] += new
            self.returned[k] += back

    def _by_side_sector(self, values: np.ndarray) -> np.ndarray:
        """Sum ``values`` per (side, global sector): an array of shape (2, n_sectors)."""
        key = self.side * self.n_sectors + self.gsec
        return np.bincount(key, weights=values, minlength=2 * self.n_sectors).reshape(2, -1)

    def _combat(self, fired: np.ndarray) -> None:
        s, c, adv = self.scn, self.scn.combat, self.scn.advance
        cease = self.diplo == CEASEFIRE
        contact = self.in_contact()
        self.fired += np.bincount(self.side, weights=fired, minlength=2)
        # Force-to-space: only so many troops per km of the current line fight at once, so a
        # shrinking salient thickens its defence and caps what the attacker can bring to bear.
        frontage = np.maximum(c.min_frontage_km, np.concatenate(
            [self.maps[f].frontage_at(self._front_line(k)) for k, f in enumerate(FRONTS)]))
        in_line = self._by_side_sector(self.personnel * contact)
        engaged = np.minimum(1.0, frontage * c.max_troops_per_km
                             / np.where(in_line > 0, in_line, 1.0))
        power = self._power(fired) * contact * engaged[self.side, self.gsec]
        p_ru, p_ua = self._by_side_sector(power)
        att_ru, att_ua = self._by_side_sector(power * (self.posture == ATTACK))
        a_ru, a_ua = att_ru > 0, att_ua > 0
        kursk = self.sector_front == KURSK
        self.attack_sectors = np.array([[a_ru[kursk].sum(), a_ru[~kursk].sum()],
                                        [a_ua[kursk].sum(), a_ua[~kursk].sum()]])
        terrain = np.concatenate([self.maps[f].terrain_ahead(self._front_line(k))
                                  for k, f in enumerate(FRONTS)])
        defence = c.prepared_defence * np.where(terrain >= 0, self.terrain_defence[terrain], 1.0)
        noise = (self.rng.gamma(c.daily_noise_shape, 1.0 / c.daily_noise_shape, self.n_sectors)
                 if self.switches.noise else np.ones(self.n_sectors))
        intensity = np.where(a_ru | a_ua, 1.0, c.static_intensity) * noise
        if cease:
            intensity = intensity * s.diplomacy.violation_intensity
        cas = np.stack(combat.sector_casualties(p_ru, p_ua, a_ru, a_ua, defence, intensity,
                                                c.lethality))

        # Share each sector's casualties among its groupings by exposure: troops in contact
        # over quality (less skilled troops are more exposed per soldier).
        exposure = self.personnel * contact / self.quality
        t_side = self._by_side_sector(exposure)
        sec_troops = t_side[self.side, self.gsec]
        mean = cas[self.side, self.gsec] * exposure / np.where(sec_troops > 0, sec_troops, 1.0)
        captured_share = np.full(len(mean), c.captured_share)
        if self.switches.morale:
            mean = np.where(self.broken & contact, mean * c.broken_loss_multiplier, mean)
            captured_share[self.broken] = c.broken_captured_share
        if self.corridor_margin_km <= 0 and a_ru[self.sector_front == KURSK].any():
            enveloped = (self.side == UA) & (self.front == KURSK) & contact
            mean = np.where(enveloped, np.maximum(mean, c.enveloped_loss_rate * self.personnel
                                                  * intensity[self.gsec]), mean)
            captured_share[enveloped] = c.enveloped_captured_share
        moving = (self.posture == TRANSIT) & ~self.pending
        mean = np.where(moving, c.transit_loss_rate * self.personnel, mean)
        losses = np.minimum(self.rng.poisson(mean), self.personnel).astype(np.int64)
        self._apply_losses(losses, captured_share)

        # Advance of the line (effective km; + = Russian advance).
        if self.switches.manoeuvre:
            t_ru, t_ua = t_side
            intact_ru, intact_ua = self._by_side_sector((contact & ~self.broken) * 1.0) > 0
            # a defence multiplier only for a side that holds; not in a meeting engagement
            d_ua, d_ru = np.where(a_ua, 1.0, defence), np.where(a_ru, 1.0, defence)
            with np.errstate(divide="ignore", invalid="ignore"):
                fr_ru = np.where(p_ua > 0, att_ru / (p_ua * d_ua), np.inf)
                fr_ua = np.where(p_ru > 0, att_ua / (p_ru * d_ru), np.inf)
            v = combat.advance_km(np.stack([fr_ru, fr_ua]), adv.max_km_per_day,
                                  adv.half_force_ratio, adv.steepness)
            attack = np.stack([a_ru, a_ua])
            intact_enemy = np.stack([intact_ua, intact_ru])
            enemy_troops = np.stack([t_ua, t_ru])
            v = np.where(attack & ~intact_enemy, np.maximum(v, adv.broken_km_per_day), v)
            v = np.where(attack & (enemy_troops <= 0), adv.breakthrough_km_per_day, v)
            v = np.where(attack, v, 0.0)
            step = (v[0] - v[1]) * noise * (s.diplomacy.freeze_advance_factor if cease else 1.0)
            new = np.clip(self.line + step, self.line_min, self.line_max)
            moved = new - self.line
            self.line = new
        else:
            moved = np.zeros(self.n_sectors)
        self._update_territory()
        if self.switches.morale:
            self._morale_step(losses, moved)

    def _apply_losses(self, losses: np.ndarray, captured_share: np.ndarray) -> None:
        c = self.scn.combat
        before = np.maximum(self.personnel, 1.0)
        killed, wounded, captured = combat.split_casualties(self.rng, losses, c.killed_share,
                                                            captured_share)
        self.personnel -= losses
        frac = losses / before
        self.armour -= self.rng.binomial(self.armour.astype(np.int64),
                                         np.clip(frac * c.armour_loss_factor, 0, 1))
        self.artillery -= self.rng.binomial(self.artillery.astype(np.int64),
                                            np.clip(frac * c.artillery_loss_factor, 0, 1))
        back_slot = (self.day + c.wounded_return_days) % self.returns_due.shape[1]
        for k in (RU, UA):
            m = self.side == k
            self.killed[k] += killed[m].sum()
            self.wounded[k] += wounded[m].sum()
            self.captured[k] += captured[m].sum()
            w = int(wounded[m].sum())
            if w:
                self.returns_due[k, back_slot] += self.rng.binomial(w, c.wounded_return_share)
        self.dprk_casualties += float(losses[self.dprk].sum())
        self._last_loss_fraction = frac

    def _morale_step(self, losses: np.ndarray, moved: np.ndarray) -> None:
        mp = self.scn.morale
        ground_lost = np.where(self.side == UA, moved[self.gsec], -moved[self.gsec])
        contact = self.in_contact()
        shortfall = 1.0 - self._supply_factor()
        self.morale = morale.morale_step(
            self.morale, self.morale0, self._last_loss_fraction, shortfall,
            np.where(contact, ground_lost, 0.0), self.posture == RESERVE,
            loss_sensitivity=mp.loss_sensitivity, supply_sensitivity=mp.supply_sensitivity,
            ground_sensitivity=mp.ground_sensitivity, recovery_rate=mp.recovery_rate,
            reserve_recovery_rate=mp.reserve_recovery_rate)
        was = self.broken
        self.broken = morale.update_broken(self.morale, was, mp.break_threshold,
                                           mp.rally_threshold) & (self.posture != TRANSIT)
        for i in np.flatnonzero(self.broken & ~was):
            self.posture[i] = WITHDRAWING
            self.log("grouping_broken", self.groupings[i].name,
                     f"morale {self.morale[i]:.2f} at {self.sector_label(int(self.gsec[i]))}")
        for i in np.flatnonzero(was & ~self.broken):
            if self.posture[i] == WITHDRAWING:
                self.posture[i] = DEFEND
            self.log("grouping_rallied", self.groupings[i].name, f"morale {self.morale[i]:.2f}")

    def _update_territory(self) -> None:
        self.kursk_ua_km2 = self.maps["kursk"].ua_area_km2(self._front_line(KURSK))
        self.kursk_ever_held |= self.kursk_ua_km2 > 0
        dmap = self.maps["donetsk"]
        cells = dmap.ru_cells(self._front_line(DONETSK)).sum()
        self.donetsk_gain_km2 = float(cells - self.ru_donetsk_cells0) * dmap.cell_area_km2
        holders = self._place_holders()
        for k in np.flatnonzero(holders != self.place_ua):
            front, place = self.places[k]
            new = "Ukraine" if holders[k] else "Russia"
            self.log("place_captured", place.name, f"taken by {new} ({front})")
            if self.place_changed[place.slug] is None:
                self.place_changed[place.slug] = self.day
        self.place_ua = holders

    def _indices(self) -> None:
        ix = self.scn.indices
        area = self.kursk_ua_km2
        self.held_days = self.held_days + 1.0 if area > 0 else 0.0
        self.confidence = diplomacy.confidence_step(
            self.confidence, area, ix.reference_area_km2, ix.confidence_cost,
            ix.confidence_recovery)

    def _record_row(self) -> None:
        t, r = self.day, self.rec
        ix = self.scn.indices
        # where each grouping is: 0 Kursk, 1 Donetsk, 2 in transit, 3 not yet arrived
        where = np.where(self.posture == TRANSIT, np.where(self.pending, 3, 2), self.front)
        troops = np.bincount(self.side * 4 + where, weights=self.personnel,
                             minlength=8).reshape(2, 4)
        stock = np.bincount(self.side, weights=self.ammo, minlength=2) + self.depot
        armour = np.bincount(self.side, weights=self.armour, minlength=2)
        guns = np.bincount(self.side, weights=self.artillery, minlength=2)
        for k, side in ((RU, "ru"), (UA, "ua")):
            r[f"{side}_kursk_personnel"][t] = troops[k, 0]
            r[f"{side}_donetsk_personnel"][t] = troops[k, 1]
            r[f"{side}_transit_personnel"][t] = troops[k, 2]
            r[f"{side}_arrived"][t] = self.arrived[k]
            r[f"{side}_killed"][t] = self.killed[k]
            r[f"{side}_wounded"][t] = self.wounded[k]
            r[f"{side}_captured"][t] = self.captured[k]
            r[f"{side}_ammo"][t] = stock[k]
            r[f"{side}_replacements"][t] = self.replaced[k]
            r[f"{side}_returned"][t] = self.returned[k]
            r[f"{side}_armour"][t] = armour[k]
            r[f"{side}_artillery"][t] = guns[k]
            r[f"{side}_rounds_fired"][t] = self.fired[k]
            r[f"{side}_kursk_attack_sectors"][t] = self.attack_sectors[k, 0]
            r[f"{side}_donetsk_attack_sectors"][t] = self.attack_sectors[k, 1]
        r["kursk_ua_km2"][t] = self.kursk_ua_km2
        r["donetsk_ru_gain_km2"][t] = self.donetsk_gain_km2
        r["ceasefire"][t] = self.diplo == CEASEFIRE
        r["talks_open"][t] = self.diplo != NO_TALKS
        r["bargaining_value"][t] = diplomacy.bargaining_value(
            self.kursk_ua_km2, ix.reference_area_km2, self.held_days, ix.duration_weight)
        r["ru_domestic_confidence"][t] = self.confidence
        r["dprk_casualties"][t] = self.dprk_casualties
        r["kursk_corridor_interdiction"][t] = self.corridor_interdiction
        salient = (self.side == UA) & (self.front == KURSK) & (where == KURSK)
        r["ua_kursk_supply_days"][t] = self.supply_days[salient].mean() if salient.any() else 0.0
        self.rec_line[t] = self.line

    # ------------------------------------------------------------------ outputs
    def line_columns(self) -> list[str]:
        return [f"line_{self.sector_label(g).replace('/', '_')}_km" for g in range(self.n_sectors)]

    def record(self) -> pd.DataFrame:
        """The daily record so far: one row per day from day 0."""
        n = self.day + 1
        start = np.datetime64(self.scn.start_date, "D")
        cols: dict[str, np.ndarray] = {
            "day": np.arange(n, dtype=np.int32),
            "date": start + np.arange(n).astype("timedelta64[D]"),
        }
        for c in RECORD_COLUMNS:
            cols[c] = self.rec[c][:n].astype(bool) if c in BOOL_COLUMNS else self.rec[c][:n]
        for j, name in enumerate(self.line_columns()):
            cols[name] = self.rec_line[:n, j]
        return pd.DataFrame(cols)

    def event_frame(self) -> pd.DataFrame:
        start = np.datetime64(self.scn.start_date, "D")
        ev = self.events
        return pd.DataFrame({
            "day": np.array([e[0] for e in ev], dtype=np.int32),
            "date": start + np.array([e[0] for e in ev], dtype="timedelta64[D]"),
            "kind": [e[1] for e in ev], "subject": [e[2] for e in ev],
            "detail": [e[3] for e in ev]})

    def result(self) -> RunResult:
        return RunResult(self.record(), self.event_frame(), dict(self.place_changed),
                         self.first_ceasefire_day, dict(self.ceasefire_lines))

    def check_invariants(self) -> None:
        """Fail the run, naming the quantity, if a stock is not finite or negative or an area
        leaves its map (one vectorised test per day; the loop only runs on failure)."""
        stocks = {"personnel": self.personnel, "ammo": self.ammo, "armour": self.armour,
                  "artillery": self.artillery, "supply_days": self.supply_days,
                  "morale": self.morale, "depot": self.depot, "killed": self.killed,
                  "wounded": self.wounded, "captured": self.captured, "line": self.line}
        limits = getattr(self, "_area_limits", None)
        if limits is None:
            limits = self._area_limits = tuple(
                float(self.maps[f].in_area.sum() * self.maps[f].cell_area_km2) for f in FRONTS)
        values = np.concatenate(list(stocks.values()))
        k, d = self.kursk_ua_km2, self.donetsk_gain_km2
        if (np.isfinite(values).all() and values[: -len(self.line)].min(initial=0.0) >= 0
                and -1e-6 <= k <= limits[0] * (1 + 1e-9) + 1e-6
                and abs(d) <= limits[1] * (1 + 1e-9) + 1e-6):
            return
        for name, v in stocks.items():
            if not np.isfinite(v).all():
                raise FloatingPointError(f"model invariant broken on day {self.day}: {name} "
                                         "is not finite")
            if name != "line" and v.size and v.min() < 0:
                raise FloatingPointError(f"model invariant broken on day {self.day}: {name} "
                                         f"is negative ({v.min():.6g})")
        raise FloatingPointError(
            f"model invariant broken on day {self.day}: an area left its map (kursk_ua_km2 "
            f"{k:.6g} of {limits[0]:.6g}, donetsk_ru_gain_km2 {d:.6g} of {limits[1]:.6g})")

def run(scenario: Scenario, seed: int, days: int | None = None) -> RunResult:
    """Run one replicate of ``scenario`` with ``seed`` to the horizon and return its record."""
    model = WarModel(scenario, rng=seed, days=days)
    while model.running:
        model.step()
    return model.result()
