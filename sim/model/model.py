"""The wargame model: a ``mesa.Model`` that wires groupings, commands, maps and kernels.

``run(scenario, seed)`` is the pure, seedable function from (scenario, seed) to a daily record
and an event list that the batch runner, calibration and experiments build on.

The groupings' numbers live in one :class:`~sim.model.state.ForceState` (structure of arrays);
:class:`~sim.model.agents.Grouping` agents are named views of its rows, and the two
:class:`~sim.model.agents.Command` agents change it only through its methods. ``model.steps``
(Mesa's step counter) is the day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Iterable, Sequence

import mesa
import numpy as np
import pandas as pd

from sim.model.agents import (
    Command,
    Grouping,
    OrderError,  # noqa: F401 - re-exported by sim.model
    PlayerCommand,
    RussianCommand,
    UkrainianCommand,
)
from sim.model.kernels import combat, diplomacy, logistics, morale, operations
from sim.model.picture import DayPicture, read_only
from sim.model.record import COLUMN, DailyRecord, RunResult, side_columns
from sim.model.state import (
    ATTACK,
    DONETSK,
    FRONTS,
    KURSK,
    POSTURE_NAMES,
    RESERVE,
    RU,
    TRANSIT,
    UA,
    ForceState,
)
from sim.model.streams import Streams
from sim.scenario import Scenario
from sim.space import SIDES, TERRAIN_CLASSES, FrontMap, Theatre

# Diplomacy states
NO_TALKS, TALKS, AGREED, CEASEFIRE = range(4)

# record columns filled per side each day, as [stem][ru, ua] (see _record_row)
_PER_SIDE = np.array([side_columns(stem) for stem in (
    "kursk_personnel", "donetsk_personnel", "transit_personnel", "arrived", "killed", "wounded",
    "captured", "ammo", "replacements", "returned", "pool", "armour", "artillery", "rounds_fired",
    "kursk_attack_sectors", "donetsk_attack_sectors")])
_PER_SIDE_FLAT = _PER_SIDE.ravel()  # [stem, side] in C order: one fancy assignment a day
# front_casualties [side, front] raveled in C order (the model's side and front order)
_FRONT_CASUALTIES = np.array([COLUMN[f"{side}_{front}_casualties"]
                              for side in ("ru", "ua") for front in ("kursk", "donetsk")])


class WarModel(mesa.Model):
    """Kursk and Donetsk fronts from the scenario's start date, one step per day."""

    def __init__(self, scenario: Scenario, rng: int | np.random.SeedSequence | None = None,
                 days: int | None = None) -> None:
        seed = rng if rng is not None else np.random.SeedSequence()
        super().__init__(rng=seed if isinstance(seed, int) else seed.generate_state(1)[0])
        # every draw of the model comes from these, one stream per mechanism (streams.py)
        self.streams = Streams(seed)
        self.scn = scenario
        self.switches = scenario.switches
        self.days = int(days if days is not None else scenario.days)
        self.maps: dict[str, FrontMap] = {f: scenario.front_map(f) for f in FRONTS}
        self._build_space()
        self.forces = self._build_forces()
        if self.switches.exhaustion:
            self._tire_from_earlier_fighting()
        self.groupings = [Grouping(self, i, g) for i, g in enumerate(scenario.all_groupings())]
        game = scenario.game
        # A played game: the player's side takes orders from outside (run() hands it back to
        # its policy after the played days).
        self.player: PlayerCommand | None = None
        if game is not None:
            self.player = PlayerCommand(self, SIDES.index(game.player), game.orders)
        self.ru_command = (self.player if game is not None and game.player == "ru"
                           else RussianCommand(self, scenario.policy.ru))
        self.ua_command = (self.player if game is not None and game.player == "ua"
                           else UkrainianCommand(self, scenario.policy.ua))
        self.commands = self.agents.select(agent_type=Command)
        self._build_state()
        self._build_picture()
        self._record_row()

    @property
    def day(self) -> int:
        """Days since the start date (Mesa's step counter)."""
        return self.steps

    # ------------------------------------------------------------------ construction
    def _build_space(self) -> None:
        fmaps = [self.maps[f] for f in FRONTS]
        counts = [len(m.sector_names) for m in fmaps]
        self.sector_offset = np.array([0, counts[0]])
        self.n_sectors = sum(counts)
        self.sector_front = np.repeat([KURSK, DONETSK], counts)
        self.front_mask = (self.sector_front == KURSK, self.sector_front == DONETSK)
        self.front_secs = (np.flatnonzero(self.front_mask[KURSK]),
                           np.flatnonzero(self.front_mask[DONETSK]))
        self.front_slice = (slice(0, counts[0]), slice(counts[0], self.n_sectors))
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
        self.theatre = Theatre(fmaps)
        self.lines = self.theatre.query(self.line)  # the line's meaning, updated when it moves
        self.place_ua = self.lines.place_ua
        self.place_changed: dict[str, int | None] = {p.slug: None for _, p in self.places}
        self.ru_donetsk_cells0 = self.lines.ru_cells[self.front_mask[DONETSK]].sum()
        # defence multiplier per terrain code; the extra last entry (1.0) serves code -1 (no
        # ground left ahead in the sector)
        self.terrain_defence_or_none = np.array(
            [self.scn.combat.terrain_defence.get(t, 1.0) for t in TERRAIN_CLASSES] + [1.0])
        kmap = self.maps["kursk"]
        route = kmap.routes.get("sudzha_corridor")
        self.corridor = route if route is not None and route.cells.size else None

    def _build_forces(self) -> ForceState:
        specs = self.scn.all_groupings()
        f64 = lambda vals: np.array(vals, dtype=float)  # noqa: E731
        front = np.array([FRONTS.index(g.front) for g in specs], dtype=np.int8)
        sector = np.array([self.maps[g.front].sector_names.index(g.sector) for g in specs],
                          dtype=np.int16)
        lg = self.scn.logistics
        artillery = f64([g.artillery for g in specs])
        personnel = f64([g.personnel for g in specs])
        morale0 = f64([g.morale for g in specs])
        forces = ForceState(
            side=np.array([SIDES.index(g.side) for g in specs], dtype=np.int8),
            front=front,
            gsec=self.sector_offset[front] + sector,
            posture=np.array([POSTURE_NAMES.index(g.posture) for g in specs], dtype=np.int8),
            personnel=personnel,
            establishment=personnel.copy(),
            armour=f64([g.armour for g in specs]),
            artillery=artillery,
            quality=f64([g.quality for g in specs]),
            morale=morale0,
            morale0=morale0.copy(),
            ammo=artillery * lg.rounds_per_gun["defend"] * lg.stock_days,
            supply_days=np.full(len(specs), lg.supply_max_days),
            dprk=np.array([g.contingent == "dprk" for g in specs]),
            allowed=np.array([[g.fronts is None or fr in g.fronts for fr in FRONTS]
                              for g in specs], dtype=bool),
            sector_offset=self.sector_offset,
        )
        # Groupings that enter the theatre later wait off-map: in transit, out of every count.
        arrival = np.array([(g.arrives - self.scn.start_date).days if g.arrives else 0
                            for g in specs], dtype=np.int16)
        later = np.flatnonzero(arrival > 0)
        if later.size:
            forces.hold_back(later, arrival[later])
        self.rounds_per_gun = np.array([lg.rounds_per_gun[p] for p in POSTURE_NAMES])
        return forces

    def _build_state(self) -> None:
        s, f = self.scn, self.forces
        self.depot = np.array([s.sides.ru.ammo_depot_rounds, s.sides.ua.ammo_depot_rounds])
        self.start_personnel = np.array([f.personnel[f.is_side[k] & ~f.pending].sum()
                                         for k in (RU, UA)])
        self.arrived = np.zeros(2)
        self.killed = np.zeros(2)
        self.wounded = np.zeros(2)
        self.captured = np.zeros(2)
        self.replaced = np.zeros(2)
        self.returned = np.zeros(2)
        self.pool = np.zeros(2, dtype=np.int64)  # troops waiting for room in a grouping
        self.fired = np.zeros(2)
        self.dprk_casualties = 0.0
        self.attack_sectors = np.zeros((2, 2))  # [side, front]: sectors where the side attacks
        self.returns_due = np.zeros((2, s.combat.wounded_return_days + 1), dtype=np.int64)
        self.diplo = NO_TALKS
        self.accepts = [False, False]  # [side]: a player accepted the talks (fully willing)
        self.ceasefire_start_day: int | None = None
        self.first_ceasefire_day: int | None = None
        self.ceasefire_lines: dict[str, float] = {}
        self.kursk_ua_km2 = float(self.lines.ua_area_km2[KURSK])
        self.kursk_ever_held = self.kursk_ua_km2 > 0
        self.donetsk_gain_km2 = 0.0
        self.confidence = s.indices.confidence_start
        self.held_days = float((s.start_date - s.indices.incursion_start).days)
        self.interdiction = np.full(len(f), s.logistics.base_interdiction)
        # bins of killed, captured and wounded per side in _apply_losses
        side = f.side.astype(np.int64)
        self._casualty_keys = np.concatenate((side, 2 + side, 4 + side))
        # bins of ammunition, armour and guns per side in _record_row (after 8 of troops)
        self._stock_keys = np.concatenate((8 + side, 10 + side, 12 + side))
        self.corridor_margin_km = self._corridor_margin()
        self.corridor_interdiction = self._corridor_interdiction()
        self._morale_today = self._morale_factor()
        # what commands judge operations by: per side and front, casualties and ground gained
        # each day (km2, + = that side gained); per grouping, the last 3 days' losses
        self.front_losses = np.zeros((self.days + 1, 2, 2))
        self.front_casualties = np.zeros((2, 2))  # [side, front], cumulative
        self.front_gain_km2 = np.zeros((self.days + 1, 2, 2))
        self.loss_history = np.zeros((3, len(f)))
        # (day, kind, subject, detail, cause ids, conditions); an event's id is its index
        self.events: list[tuple[int, str, str, str, tuple[int, ...], str]] = []
        # the id of the last event per key: ("place", k), ("grouping", i), ("sector", gsec),
        # ("front", front) and the event kind itself, so a new event finds its causes cheaply
        self.last_event: dict = {}
        self._sector_power = np.zeros((2, self.n_sectors))
        self._sector_attacks = np.zeros((2, self.n_sectors), dtype=bool)
        self.rec = DailyRecord(self.days, self.n_sectors)
        self._bargaining = self.rec.column("bargaining_value")
        self._gain = self.rec.column("donetsk_ru_gain_km2")
        self._kursk_area = self.rec.column("kursk_ua_km2")

    def _build_picture(self) -> None:
        """The parts of the commands' DayPicture that are the same every day: parameters,
        layout, and read-only views of the arrays that are only ever written in place."""
        f = self.forces
        fixed = dict(
            scn=self.scn, n_sectors=self.n_sectors, sector_offset=read_only(self.sector_offset),
            front_secs=tuple(read_only(a) for a in self.front_secs),
            front_slice=self.front_slice,
            front_mask=tuple(read_only(a) for a in self.front_mask),
            sector_names=tuple(tuple(self.maps[fr].sector_names) for fr in FRONTS),
            labels=tuple(self.sector_label(g) for g in range(self.n_sectors)),
            names=tuple(g.name for g in self.groupings), place_index=self.place_index,
            terrain_defence_or_none=read_only(self.terrain_defence_or_none),
            corridor=self.corridor, front_losses=read_only(self.front_losses),
            front_gain_km2=read_only(self.front_gain_km2), is_side=f.is_side,
            **{name: read_only(getattr(f, name)) for name in (
                "front", "gsec", "posture", "personnel", "establishment", "artillery",
                "allowed", "pending", "transit_left", "in_line", "contact", "present",
                "line_ready", "reserve_ready")})
        names = DayPicture._fields[DayPicture._fields.index("scn"):]
        assert set(fixed) == set(names), set(fixed) ^ set(names)
        self._picture_fixed = tuple(fixed[k] for k in names)  # in the picture's field order

    def day_picture(self) -> DayPicture:
        """What the commands know as the day starts (built after diplomacy, before they
        step): every grouping's planning power (what it could fire from its stock) and each
        side's power per sector, the line, corridor, area and diplomacy as they stand, and
        read-only views of the groupings. Changes nothing."""
        f, n = self.forces, self.n_sectors
        plan = self._power()
        plan.setflags(False)  # (write=False)
        # both sides' power per sector in one bincount (out-of-contact rows add exact zeros,
        # so each side's row is bit for bit what DayPicture.sector_power computes)
        start = np.bincount(f.side * n + f.gsec, weights=plan * f.contact,
                            minlength=2 * n).reshape(2, -1)
        start.setflags(False)
        ru_done, ua_done = self.line > self.depth_hi, self.line <= self.depth_lo
        ru_done.setflags(False)
        ua_done.setflags(False)
        # today's fields in the picture's order (DayPicture up to ``scn``), then the run's
        return DayPicture._make((
            self.day, plan, tuple(start), (ru_done, ua_done), read_only(self.line),
            read_only(self.lines.terrain_ahead), read_only(self.place_ua), self.kursk_ua_km2,
            self.kursk_ever_held, bool((f.mine(UA, KURSK) & f.present).any()),
            self.corridor_margin_km, self.corridor_interdiction, self.confidence,
            self.talks_state(),
            tuple((f.mine(s, KURSK), f.mine(s, DONETSK)) for s in (RU, UA)), f.on_front,
            read_only(f.ammo), read_only(f.supply_days), read_only(f.morale),
            read_only(f.fatigue), read_only(f.broken)) + self._picture_fixed)

    def sector_label(self, gsec: int) -> str:
        f = int(self.sector_front[gsec])
        return f"{FRONTS[f]}/{self.maps[FRONTS[f]].sector_names[gsec - self.sector_offset[f]]}"

    def _engaged(self, troops: np.ndarray) -> np.ndarray:
        """Share of ``troops`` in contact per sector (troops; per global sector, or per
        [side, sector]) that the current line's frontage lets fight (docs/MODEL.md 3.3.24)."""
        c = self.scn.combat
        capacity = np.maximum(c.min_frontage_km, self.lines.frontage_km) * c.max_troops_per_km
        return operations.engaged_share(troops, capacity, soft=self.switches.soft_frontage)

    def log(self, kind: str, subject: str, detail: str, causes: Iterable[int | None] = (),
            conditions: Iterable[str] = (), keys: Iterable[Hashable] = ()) -> int:
        """Record an event and return its id (its index in ``events``). ``causes`` are ids of
        earlier events that led to it (``None`` entries are dropped), ``conditions`` short
        state conditions with their numbers; the new id becomes the last event of ``kind`` and
        of each of ``keys`` (see :meth:`last`)."""
        eid = len(self.events)
        ids = tuple(dict.fromkeys(c for c in causes if c is not None))
        self.events.append((self.day, kind, subject, detail, ids, "; ".join(conditions)))
        self.last_event[kind] = eid
        for k in keys:
            self.last_event[k] = eid
        return eid

    def last(self, *keys: Hashable) -> list[int]:
        """Ids of the last events logged under ``keys`` (those that exist, in key order)."""
        ids = (self.last_event.get(k) for k in keys)
        return [i for i in ids if i is not None]

    def sector_situation(self, side: int, gsec: int) -> str:
        """``side``'s posture and power ratio in a sector in today's fighting, in words."""
        own, enemy = self._sector_power[side, gsec], self._sector_power[1 - side, gsec]
        ratio = own / enemy if enemy > 0 else np.inf
        verb = "attacking" if self._sector_attacks[side, gsec] else "defending"
        return f"{SIDES[side].upper()} {verb} at ratio {ratio:.2f} in {self.sector_label(gsec)}"

    def order_transfer(self, i: int, front: int, gsec: int, cause: str,
                       causes: Iterable[int | None] = (), conditions: Iterable[str] = ()) -> int:
        """Put grouping ``i`` on the move to ``gsec`` of ``front``; it arrives after the
        side's ``transfer_days``. Returns the id of the ``transfer_departed`` event."""
        f = self.forces
        side = SIDES[f.side[i]]
        from_front = FRONTS[f.front[i]]
        f.start_transfer(i, front, gsec, getattr(self.scn.sides, side).transfer_days)
        return self.log("transfer_departed", self.groupings[i].name,
                        f"{from_front} -> {self.sector_label(gsec)}, "
                        f"{f.personnel[i]:.0f} troops; {cause}",
                        causes=causes, conditions=conditions,
                        keys=[("grouping", i), ("transfer", i)])

    # ------------------------------------------------------------------ play mode
    def talks_state(self) -> str:
        return ("none", "open", "agreed", "ceasefire")[self.diplo]

    def open_talks(self, cause: str) -> None:
        """Talks open now (a player's order), whatever the scenario's talks date."""
        if self.diplo == NO_TALKS:
            self.diplo = TALKS
            self.log("talks_opened", "diplomacy", cause)

    def accept_talks(self, side: int, cause: str) -> None:
        """``side`` is fully willing to agree from now on; agreement still needs the other."""
        self.accepts[side] = True
        self.log("talks_accepted", SIDES[side], cause)

    def hand_back(self) -> None:
        """The player's side follows its scenario policy from now on."""
        cmd = self.player
        if cmd is None:
            return
        cmd.remove()
        if cmd.side == RU:
            self.ru_command = RussianCommand(self, self.scn.policy.ru)
        else:  # the salient evacuated by the player stays evacuated
            self.ua_command = UkrainianCommand(self, self.scn.policy.ua,
                                               withdrawn=cmd.withdrawn)
        self.commands = self.agents.select(agent_type=Command)
        self.player = None

    def set_kursk_area(self, area_km2: float, order: Sequence[str] | None = None) -> float:
        """Redraw the Kursk lines so that Ukraine holds ``area_km2`` (an observed state: the
        backtest restarts its forecasts from the record, as the options start from the 5 Jan
        map line); forces are untouched. Without ``order`` every Kursk sector's Ukrainian
        depth (line below 0 km) is scaled by one factor; with ``order`` (sector names) the
        ground comes off those sectors first, one after another (each drawn back to the
        border while the area stays at least the target), then the rest together, so the
        observed loss is where Ukraine's policy would have given ground. The factor of the
        last sector scaled is found by bisection on the map's area (to the cell step nearest
        it) and returned (NaN, lines unchanged, when Ukraine holds no ground to scale)."""
        kmap, sl = self.maps["kursk"], self.front_slice[KURSK]
        line, floor = self.line[sl].copy(), self.line_min[sl]
        held = line < 0
        if not held.any():
            return float("nan")
        names = list(kmap.sector_names)
        first = [names.index(s) for s in order or ()]
        # groups of sectors scaled together: each ordered sector alone, then all the others
        groups = [[j] for j in first] + [[j for j in range(len(names)) if j not in first]]
        k = float("nan")   # stays NaN only if every held sector was drawn back to the border
        for group in groups:
            scaled = held & np.isin(np.arange(len(names)), group)
            if not scaled.any():
                continue

            def lines(k: float, scaled: np.ndarray = scaled, line: np.ndarray = line
                      ) -> np.ndarray:
                return np.maximum(np.where(scaled, line * k, line), floor)

            if group is not groups[-1] and kmap.ua_area_km2(lines(0.0)) >= area_km2:
                line = lines(0.0) + 0.0   # all this sector's ground and more is lost: the next
                # (+ 0.0: a line drawn back to the border is 0 km, not -0)
                held = line < 0
                continue
            lo, hi = 0.0, float((floor[scaled] / line[scaled]).max())
            for _ in range(50):  # the area is non-decreasing in k; 50 halvings: float precision
                mid = 0.5 * (lo + hi)
                lo, hi = (mid, hi) if kmap.ua_area_km2(lines(mid)) < area_km2 else (lo, mid)
            # the area steps by whole cells (several at once where sectors cross a cell
            # together): keep the side of the step nearer the observation
            k = min((lo, hi), key=lambda x: abs(kmap.ua_area_km2(lines(x)) - area_km2))
            line = lines(k)
            break
        before = self.kursk_ua_km2
        self.line[sl] = line
        # the redrawn line is no one's gain: today's gains (operations' culmination) stay
        gains = self.front_gain_km2[self.day].copy()
        self._update_territory()
        self.front_gain_km2[self.day] = gains
        how = (f"ground taken off {', '.join(order)} first, the last sector's depth x{k:.2f}"
               if order else f"Ukrainian depth x{k:.2f}")
        self.log("observed_state", "Kursk salient",
                 f"lines redrawn to the observed {area_km2:.0f} km2 (was {before:.0f}; {how})",
                 keys=[("front", KURSK)])
        return k

    def reseed(self, seed: int | np.random.SeedSequence) -> None:
        """Draw every random number from here on from new streams seeded with ``seed``."""
        self.streams = Streams(seed)

    # ------------------------------------------------------------------ the day
    def step(self) -> None:
        """One day: diplomacy, orders, movement, logistics, combat, morale, indices, record."""
        self.streams.start_day(self.day)
        # morale changes only after the fighting: the same factor for planning and combat
        self._morale_today = self._morale_factor()
        if self.switches.diplomacy:
            self._diplomacy()
        if self.switches.commands:
            # Simultaneous activation: each command plans from the same start-of-day picture
            # and orders only its own groupings, so neither side sees the other's same-day
            # orders and the order the commands are stepped in does not matter.
            self.commands.do("step", self.day_picture())
        self._transit()
        fired = self._logistics()
        self._combat(fired)
        self._indices()
        self._record_row()
        if self.day >= self.days:
            self.running = False
        self.check_invariants()

    def _front_line(self, front: int) -> np.ndarray:
        return self.line[self.front_slice[front]]

    def _corridor_margin(self) -> float:
        """How far Russian ground is from the Sudzha corridor (km); inf while Ukraine does not
        hold the route's far end (before the incursion reaches Sudzha, or after losing it),
        since then no salient hangs on the route."""
        route = self.corridor
        if route is None:
            return np.inf
        line = self._front_line(KURSK)
        if route.depth_km[-1] < line[route.sectors[-1]]:
            return np.inf
        return self.maps["kursk"].route_margin_km("sudzha_corridor", line)

    def _corridor_interdiction(self) -> float:
        lg = self.scn.logistics
        return logistics.corridor_interdiction(self.corridor_margin_km, lg.base_interdiction,
                                               lg.corridor_interdiction_max, lg.corridor_range_km)

    def _supply_factor(self) -> np.ndarray | float:
        if not self.switches.logistics:
            return 1.0
        lg = self.scn.logistics
        return logistics.supply_factor(self.forces.supply_days, lg.supply_full_days,
                                       lg.supply_floor)

    def _morale_factor(self) -> np.ndarray | float:
        if not self.switches.morale:
            return 1.0
        return morale.morale_factor(self.forces.morale, self.scn.morale.power_floor)

    def _demand(self) -> np.ndarray:
        f = self.forces
        demand = f.artillery * self.rounds_per_gun[f.posture]
        if self.diplo == CEASEFIRE:  # (times 1.0 otherwise: the same numbers)
            demand = demand * self.scn.diplomacy.violation_intensity
        return demand

    def _power(self, fired: np.ndarray | None = None,
               supply: np.ndarray | float | None = None) -> np.ndarray:
        """Combat power per grouping (troop-equivalents): the planning view (what it could
        fire from its stock) unless the rounds ``fired`` are given; ``supply`` is today's
        supply factor if already computed."""
        c, f = self.scn.combat, self.forces
        if fired is None:  # planning view: what the grouping could fire from its stock
            d = self._demand()
            fired = d if not self.switches.logistics else np.minimum(f.ammo, d)
        power = combat.combat_power(
            f.personnel, f.quality, f.armour, fired, self._morale_today,
            self._supply_factor() if supply is None else supply,
            armour_bonus_per_1000=c.armour_bonus_per_1000,
            artillery_share=c.artillery_share,
            reference_rounds_per_troop=c.reference_rounds_per_troop)
        if self.switches.exhaustion:
            power = power * (1.0 - self.scn.exhaustion.effect * f.fatigue)
        return power

    def _diplomacy(self) -> None:
        d = self.scn.diplomacy
        date = self.scn.start_date + dt.timedelta(days=self.day)
        if self.diplo == NO_TALKS:
            if d.talks_open is None or date < d.talks_open:
                return
            self.diplo = TALKS
            self.log("talks_opened", "diplomacy", f"talks open on {date}",
                     conditions=[f"talks date {d.talks_open} reached"])
        if self.diplo == TALKS:
            momentum = self._ru_momentum()
            lost = self.scn.indices.confidence_start - self.confidence
            w_ru = diplomacy.willingness(
                d.ru_willingness, seek=d.ru_seeks, seek_bonus=d.seek_bonus,
                confidence_lost=max(lost, 0.0), confidence_weight=d.confidence_weight,
                momentum_km2_per_day=momentum, momentum_weight=d.momentum_weight)
            w_ua = diplomacy.willingness(
                d.ua_willingness, bargaining_value=self._bargaining[self.day - 1],
                bargaining_weight=d.bargaining_weight,
                momentum_km2_per_day=-momentum, momentum_weight=d.momentum_weight)
            w_ru, w_ua = (np.inf if self.accepts[RU] else w_ru), (np.inf if self.accepts[UA]
                                                                  else w_ua)
            p = diplomacy.agreement_probability(w_ru, w_ua, d.max_daily_probability)
            if self.streams.diplomacy.random() < p:
                self.diplo = AGREED
                self.ceasefire_start_day = self.day + d.lag_days
                self.log("agreement", "diplomacy",
                         f"agreement (daily probability {p:.3f}); ceasefire from day "
                         f"{self.ceasefire_start_day}",
                         causes=self.last("talks_opened", "ceasefire_collapsed"),
                         conditions=[f"willingness RU {w_ru:.2f}, UA {w_ua:.2f}",
                                     f"Russian momentum {momentum:+.1f} km2/day",
                                     f"daily probability {p:.3f}"])
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
                     f"has gained {self.donetsk_gain_km2:.0f} km2 in Donetsk",
                     causes=self.last("agreement"),
                     conditions=[f"{d.lag_days} days after the agreement"])
        elif (self.diplo == CEASEFIRE
              and self.streams.diplomacy.random() < d.collapse_probability):
            self.diplo = TALKS
            self.log("ceasefire_collapsed", "diplomacy", "ceasefire breaks down; fighting resumes",
                     causes=self.last("ceasefire_started"),
                     conditions=[f"collapse probability {d.collapse_probability:.3f}/day"])

    def _ru_momentum(self) -> float:
        """Russia's net ground gained per day over the last 14 days (km2/day, both fronts)."""
        t0 = max(0, self.day - 15)
        t1 = self.day - 1
        if t1 <= t0:
            return 0.0
        gain = ((self._gain[t1] - self._gain[t0])
                - (self._kursk_area[t1] - self._kursk_area[t0]))
        return gain / (t1 - t0)

    def _transit(self) -> None:
        f = self.forces
        for i in f.advance_transit():
            where = self.sector_label(int(f.gsec[i]))
            if f.pending[i]:
                f.enter(i)
                self.arrived[f.side[i]] += f.personnel[i]
                self.log("grouping_entered", self.groupings[i].name,
                         f"enters at {where}, {f.personnel[i]:.0f} troops",
                         conditions=[f"scheduled arrival day {self.day}"],
                         keys=[("grouping", i)])
                continue
            self.log("transfer_arrived", self.groupings[i].name,
                     f"at {where}, {f.personnel[i]:.0f} troops",
                     causes=self.last(("transfer", i)), keys=[("grouping", i)])

    def _tire_from_earlier_fighting(self) -> None:
        """Day-0 fatigue of the groupings in contact on a front whose fighting began before
        the start (``fronts.<front>.fighting_since``): the options start on 5 Jan 2025 from
        lines held through the autumn, not from rested troops."""
        ex, f = self.scn.exhaustion, self.forces
        for k, front in enumerate(FRONTS):
            since = getattr(self.scn.fronts, front).fighting_since
            if since is None:
                continue
            here = f.on_front[k] & f.present
            f.fatigue[here] = operations.fatigue_after(
                (self.scn.start_date - since).days, f.contact[here],
                f.posture[here] == ATTACK, rate_per_day=ex.rate_per_day,
                attack_multiplier=ex.attack_multiplier)

    def _logistics(self) -> np.ndarray:
        """Interdiction, ammunition, general supply, replacements and returning wounded.
        Returns the rounds each grouping fires today."""
        s, lg, f = self.scn, self.scn.logistics, self.forces
        self.corridor_margin_km = self._corridor_margin()
        self.corridor_interdiction = self._corridor_interdiction()
        moving = f.transit
        salient = f.mine(UA, KURSK) & f.present
        self.interdiction = np.where(salient, self.corridor_interdiction, lg.base_interdiction)
        self._reinforcements(moving)
        demand = self._demand()
        if not self.switches.logistics:
            return demand
        fired, f.ammo = logistics.fire_ammunition(f.ammo, demand)
        target_rounds = lg.rounds_per_gun["defend"] * lg.stock_days
        for k, side in ((RU, s.sides.ru), (UA, s.sides.ua)):
            mine = f.is_side[k]
            self.depot[k] += side.ammo_production_per_day
            target = f.artillery[mine] * target_rounds
            stock, self.depot[k], _ = logistics.deliver_ammunition(
                f.ammo[mine], target, self.depot[k],
                lg.delivery_share_per_day, self.interdiction[mine])
            f.ammo[mine] = stock
        f.supply_days = np.where(
            moving, f.supply_days,
            logistics.supply_step(f.supply_days, lg.resupply_days_per_day, self.interdiction,
                                  lg.supply_max_days))
        return fired

    def _reinforcements(self, moving: np.ndarray) -> None:
        """New troops and returning wounded join groupings, split between fronts by the
        command's share and within a front by each grouping's shortfall. With
        ``switches.replace_losses_only`` a front takes no more than its groupings' shortfall
        against establishment (what one front cannot absorb goes to the other, the rest waits
        in the side's pool); else a front's share goes out whatever its strength."""
        s, f = self.scn, self.forces
        slot = self.day % self.returns_due.shape[1]
        cap = self.switches.replace_losses_only
        weights = None
        # Troops per grouping, added in one call: the allotments go to disjoint groupings (the
        # weights are fixed before any is added), and adding 0 leaves a row bit for bit as it
        # was. Only a side with all its groupings on one front gets two allotments on the same
        # rows: the second is added after the first, as the fatigue dilution compounds.
        troops = np.zeros((2, len(f)))  # a first and a second allotment per grouping
        for k, side, policy, rng in ((RU, s.sides.ru, s.policy.ru, self.streams.manpower_ru),
                                     (UA, s.sides.ua, s.policy.ua, self.streams.manpower_ua)):
            back = int(self.returns_due[k, slot])
            self.returns_due[k, slot] = 0
            new = side.replacements_per_day
            total = new + back + int(self.pool[k])
            if total == 0:
                continue
            to_kursk = int(rng.binomial(total, policy.replacement_share_kursk))
            if weights is None:
                short = np.maximum(f.establishment - f.personnel, 0.0)
                weights = short if cap else short + 1.0
            # the North Korean contingent is not refilled from Russia's replacements: no
            # second contingent was reported by 5 Jan 2025 (its losses come off its 11,000)
            here = f.is_side[k] & f.present & ~f.dprk
            in_kursk = here & f.on_front[KURSK]
            in_donetsk = here ^ in_kursk
            if cap:
                room = np.array([weights[in_kursk].sum(), weights[in_donetsk].sum()])
                n = logistics.fill_to_room(np.array([to_kursk, total - to_kursk]),
                                           room.astype(np.int64))
                for j, mask in enumerate((in_kursk, in_donetsk)):
                    if n[j]:  # never past a grouping's establishment
                        troops[0, mask] = np.minimum(
                            logistics.allocate(rng, int(n[j]), weights[mask]),
                            weights[mask])
                delivered = int(troops[0, f.is_side[k]].sum())
                self.pool[k] = total - delivered
                # the wounded due back go first; the rest of what joined counts as new troops
                came_back = min(back, delivered)
                self.returned[k] += came_back
                self.replaced[k] += delivered - came_back
                continue
            on_kursk, on_donetsk = in_kursk.any(), in_donetsk.any()
            if not (on_kursk or on_donetsk):  # every grouping on the move: the troops wait
                nxt = (slot + 1) % self.returns_due.shape[1]
                self.returns_due[k, nxt] += back
                continue
            if on_kursk and on_donetsk:
                troops[0, in_kursk] = logistics.allocate(rng, to_kursk, weights[in_kursk])
                troops[0, in_donetsk] = logistics.allocate(rng, total - to_kursk,
                                                           weights[in_donetsk])
            else:  # one front has none of the side's groupings: both shares go to the other
                w = weights[here]
                troops[0, here] = logistics.allocate(rng, to_kursk, w)
                troops[1, here] = logistics.allocate(rng, total - to_kursk, w)
            self.replaced[k] += new
            self.returned[k] += back
        f.reinforce(slice(None), troops[0])
        if troops[1].any():
            f.reinforce(slice(None), troops[1])

    def _by_side_sector(self, values: np.ndarray) -> np.ndarray:
        """Sum ``values`` per (side, global sector): an array of shape (2, n_sectors)."""
        return np.bincount(self._side_sector_key, weights=values,
                           minlength=2 * self.n_sectors).reshape(2, -1)

    def _combat(self, fired: np.ndarray) -> None:
        s, c, adv, f = self.scn, self.scn.combat, self.scn.advance, self.forces
        cease = self.diplo == CEASEFIRE
        contact = f.contact
        # flat index of each grouping's (side, sector) cell in the (2, n_sectors) tables
        key = self._side_sector_key = f.side * self.n_sectors + f.gsec
        self.fired += np.bincount(f.side, weights=fired, minlength=2)
        # Force-to-space: only so many troops per km of the current line fight at once, so a
        # shrinking salient thickens its defence and caps what the attacker can bring to bear.
        # (soft frontage: diminishing returns, depth still counts; else a hard cap)
        troops_in_contact = f.personnel * contact
        engaged = self._engaged(self._by_side_sector(troops_in_contact))
        # supply does not change again today: the morale step uses the same factor
        self._supply_today = self._supply_factor()
        power = self._power(fired, self._supply_today) * contact * engaged.ravel()[key]
        p = self._by_side_sector(power)
        att = self._by_side_sector(power * (f.posture == ATTACK))
        attacks = att > 0                     # [side, sector]: the side attacks there
        self._sector_power, self._sector_attacks = p, attacks  # for the events' conditions
        a_ru, a_ua = attacks
        nk = self.sector_offset[DONETSK]      # Kursk sectors come first
        self.attack_sectors = np.add.reduceat(attacks, self.sector_offset, axis=1,
                                              dtype=np.int64)  # [side, front]
        terrain = self.lines.terrain_ahead
        defence = c.prepared_defence * self.terrain_defence_or_none[terrain]
        shape = c.daily_noise_shape
        noise = (self.streams.noise.gamma(shape, 1.0 / shape, self.n_sectors)
                 if self.switches.noise else np.ones(self.n_sectors))
        tempo = self.ru_command.tempo if self.switches.operations else 1.0
        intensity = np.where(a_ru | a_ua, 1.0, c.static_intensity) * noise * tempo
        if cease:
            intensity = intensity * s.diplomacy.violation_intensity
        cas = np.concatenate(combat.sector_casualties(p[0], p[1], a_ru, a_ua, defence,
                                                      intensity, c.lethality))

        # Share each sector's casualties among its groupings by exposure: troops in contact
        # over quality (less skilled troops are more exposed per soldier).
        exposure = troops_in_contact / f.quality
        t_side = self._by_side_sector(exposure)
        sec_troops = t_side.ravel()[key]
        mean = cas[key] * exposure / np.where(sec_troops > 0, sec_troops, 1.0)
        captured_share = np.full(len(mean), c.captured_share)
        if self.switches.morale and f.broken.any():  # most days nobody is broken
            mean = np.where(f.broken & contact, mean * c.broken_loss_multiplier, mean)
            captured_share[f.broken] = c.broken_captured_share
        if self.corridor_margin_km <= 0 and a_ru[:nk].any():
            enveloped = f.mine(UA, KURSK) & contact
            mean = np.where(enveloped, np.maximum(mean, c.enveloped_loss_rate * f.personnel
                                                  * intensity[f.gsec]), mean)
            captured_share[enveloped] = c.enveloped_captured_share
        moving = f.transit & ~f.pending
        if moving.any():
            mean = np.where(moving, c.transit_loss_rate * f.personnel, mean)
        # per front (a grouping in transit: its destination): one front's draws never shift
        # the other's, so a transfer does not reshuffle the dice of the front it leaves
        fronts = ((f.front == KURSK, self.streams.losses_kursk),
                  (f.front == DONETSK, self.streams.losses_donetsk))
        losses = np.empty(len(mean), dtype=np.int64)
        for here, rng in fronts:
            losses[here] = rng.poisson(mean[here])
        losses = np.minimum(losses, f.personnel).astype(np.int64)
        self._apply_losses(losses, captured_share, fronts)

        # Advance of the line (effective km; + = Russian advance).
        if self.switches.manoeuvre:
            intact = self._by_side_sector((contact & ~f.broken) * 1.0) > 0
            # a defence multiplier only for a side that holds; not in a meeting engagement
            d = np.where(attacks, 1.0, defence)
            # attacker/defender ratio per [side, sector]; inf where the defender has no power
            enemy_p = p[::-1]
            fr = np.full(p.shape, np.inf)
            np.divide(att, enemy_p * d[::-1], out=fr, where=enemy_p > 0)
            v = combat.advance_km(fr, adv.max_km_per_day, adv.half_force_ratio, adv.steepness)
            # (the last where zeroes every sector a side does not attack, so the two before it
            # need not test for an attack)
            v = np.where(~intact[::-1], np.maximum(v, adv.broken_km_per_day), v)
            v = np.where(t_side[::-1] <= 0, adv.breakthrough_km_per_day, v)
            v = np.where(attacks, v, 0.0)
            step = (v[0] - v[1]) * noise * tempo
            if cease:  # (times 1.0 otherwise: the same numbers)
                step = step * s.diplomacy.freeze_advance_factor
            new = np.minimum(np.maximum(self.line + step, self.line_min), self.line_max)
            moved = new - self.line
            self.line = new
        else:
            moved = np.zeros(self.n_sectors)
        self._update_territory()
        if self.switches.morale:
            self._morale_step(losses, moved)
        if self.switches.exhaustion:
            ex = self.scn.exhaustion
            f.fatigue = operations.fatigue_step(
                f.fatigue, f.contact, f.posture == ATTACK, f.posture == RESERVE,
                rate_per_day=ex.rate_per_day, attack_multiplier=ex.attack_multiplier,
                recovery_per_day=ex.recovery_per_day)

    def _apply_losses(self, losses: np.ndarray, captured_share: np.ndarray,
                      fronts: tuple[tuple[np.ndarray, np.random.Generator], ...]) -> None:
        """Split ``losses`` and draw the equipment lost with them, front by front from each
        front's losses stream (``fronts``: (grouping mask, generator) pairs)."""
        c, f = self.scn.combat, self.forces
        before = np.maximum(f.personnel, 1.0)
        frac = losses / before
        killed, wounded, captured = (np.empty_like(losses) for _ in range(3))
        armour_lost, artillery_lost = np.empty_like(losses), np.empty_like(losses)
        for here, rng in fronts:
            killed[here], wounded[here], captured[here] = combat.split_casualties(
                rng, losses[here], c.killed_share, captured_share[here])
            # armour and guns in one draw
            n, fr = int(here.sum()), frac[here]
            lost = rng.binomial(
                np.concatenate((f.armour[here], f.artillery[here])).astype(np.int64),
                np.minimum(np.concatenate((fr * c.armour_loss_factor,
                                           fr * c.artillery_loss_factor)), 1.0))
            armour_lost[here], artillery_lost[here] = lost[:n], lost[n:]
        f.apply_losses(losses, armour_lost, artillery_lost)
        back_slot = (self.day + c.wounded_return_days) % self.returns_due.shape[1]
        # killed, captured, wounded per side and today's losses per [side, front] in one
        # bincount (each bin adds its groupings in the same order as a bincount of its own)
        sums = np.bincount(np.concatenate((self._casualty_keys, 6 + f.side_front)),
                           weights=np.concatenate((
            killed, captured, wounded, losses * f.present)), minlength=10)
        self.killed += sums[0:2]
        self.captured += sums[2:4]
        w = sums[4:6]
        self.wounded += w
        for k in (RU, UA):
            if w[k]:
                rng = (self.streams.manpower_ru, self.streams.manpower_ua)[k]
                self.returns_due[k, back_slot] += rng.binomial(int(w[k]), c.wounded_return_share)
        self.dprk_casualties += float(losses[f.dprk].sum())
        self._last_loss_fraction = frac
        self.front_losses[self.day] = sums[6:].reshape(2, 2)
        self.front_casualties += self.front_losses[self.day]
        self.loss_history[self.day % 3] = losses

    def _morale_step(self, losses: np.ndarray, moved: np.ndarray) -> None:
        mp, f = self.scn.morale, self.forces
        # ground lost by each grouping's side in its sector (- = gained), in contact only
        ground_lost = np.where(f.contact, moved[f.gsec] * f.ua_sign, 0.0)
        shortfall = 1.0 - self._supply_today
        f.morale = morale.morale_step(
            f.morale, f.morale0, self._last_loss_fraction, shortfall,
            ground_lost, f.posture == RESERVE,
            loss_sensitivity=mp.loss_sensitivity, supply_sensitivity=mp.supply_sensitivity,
            ground_sensitivity=mp.ground_sensitivity, recovery_rate=mp.recovery_rate,
            reserve_recovery_rate=mp.reserve_recovery_rate)
        broken = morale.update_broken(f.morale, f.broken, mp.break_threshold,
                                      mp.rally_threshold) & f.present
        broke, rallied = f.set_broken(broken)
        for i in broke:
            g = int(f.gsec[i])
            cond = [f"morale {f.morale[i]:.2f} < {mp.break_threshold}",
                    f"losses {100 * self._last_loss_fraction[i]:.1f} %/day, strength "
                    f"{100 * f.personnel[i] / max(f.establishment[i], 1.0):.0f} % "
                    f"of establishment",
                    self.sector_situation(int(f.side[i]), g)]
            if isinstance(shortfall, np.ndarray) and shortfall[i] > 0:
                cond.append(f"supply {f.supply_days[i]:.1f} days")
            self.log("grouping_broken", self.groupings[i].name,
                     f"morale {f.morale[i]:.2f} at {self.sector_label(g)}",
                     causes=self.last(("sector", g), ("grouping", i)), conditions=cond,
                     keys=[("grouping", i), ("sector", g)])
        for i in rallied:
            self.log("grouping_rallied", self.groupings[i].name, f"morale {f.morale[i]:.2f}",
                     causes=self.last(("grouping", i)),
                     conditions=[f"morale {f.morale[i]:.2f} >= {mp.rally_threshold}"
                                 if f.posture[i] != TRANSIT else "in transit, out of contact"],
                     keys=[("grouping", i)])

    def _update_territory(self) -> None:
        lines = self.lines = self.theatre.query(self.line)
        kursk_before, gain_before = self.kursk_ua_km2, self.donetsk_gain_km2
        self.kursk_ua_km2 = float(lines.ua_area_km2[KURSK])
        self.kursk_ever_held |= self.kursk_ua_km2 > 0
        cells = lines.ru_cells[self.front_slice[DONETSK]].sum()
        self.donetsk_gain_km2 = (float(cells - self.ru_donetsk_cells0)
                                 * self.maps["donetsk"].cell_area_km2)
        gain = self.front_gain_km2[self.day]  # [side, front], km2 the side gained today
        gain[RU, KURSK] = kursk_before - self.kursk_ua_km2
        gain[RU, DONETSK] = self.donetsk_gain_km2 - gain_before
        gain[UA] = -gain[RU]
        holders = lines.place_ua
        changed = (holders != self.place_ua).nonzero()[0]
        for k in changed:
            front, place = self.places[k]
            new = "Ukraine" if holders[k] else "Russia"
            fi = FRONTS.index(front)
            g = int(self.sector_offset[fi] + place.sector)
            taker = UA if holders[k] else RU
            self.log("place_captured", place.name, f"taken by {new} ({front})",
                     causes=self.last(("sector", g)),
                     conditions=[f"{self.sector_label(g)} line at {self.line[g]:.1f} km, "
                                 f"place at depth {place.depth_km:.1f} km",
                                 self.sector_situation(taker, g)],
                     keys=[("place", k), ("sector", g), ("front", fi)])
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
        t, f, ix = self.day, self.forces, self.scn.indices
        row = self.rec.values[t]
        # troops per side and place: 0 Kursk, 1 Donetsk, 2 in transit, 3 not yet arrived
        # and ammunition, armour and guns per side, in one bincount (a bin adds its groupings
        # in the same order as a bincount of its own)
        sums = np.bincount(np.concatenate((f.side_place, self._stock_keys)),
                           weights=np.concatenate((f.personnel, f.ammo, f.armour, f.artillery)),
                           minlength=14)
        troops = sums[:8].reshape(2, 4)
        row[_PER_SIDE_FLAT] = np.concatenate((
            troops.T[:3].ravel(), self.arrived, self.killed, self.wounded,
            self.captured, sums[8:10] + self.depot,
            self.replaced, self.returned, self.pool, sums[10:12],
            sums[12:14], self.fired,
            self.attack_sectors.T.ravel()))
        row[COLUMN["kursk_ua_km2"]] = self.kursk_ua_km2
        row[COLUMN["donetsk_ru_gain_km2"]] = self.donetsk_gain_km2
        row[COLUMN["ceasefire"]] = self.diplo == CEASEFIRE
        row[COLUMN["talks_open"]] = self.diplo != NO_TALKS
        row[COLUMN["bargaining_value"]] = diplomacy.bargaining_value(
            self.kursk_ua_km2, ix.reference_area_km2, self.held_days, ix.duration_weight)
        row[COLUMN["ru_domestic_confidence"]] = self.confidence
        row[COLUMN["dprk_casualties"]] = self.dprk_casualties
        row[_FRONT_CASUALTIES] = self.front_casualties.ravel()
        row[COLUMN["kursk_corridor_interdiction"]] = self.corridor_interdiction
        salient = f.mine(UA, KURSK) & f.present
        supply = f.supply_days[salient]
        # the mean, as .mean() computes it (sum / count) without its Python overhead
        row[COLUMN["ua_kursk_supply_days"]] = supply.sum() / supply.size if supply.size else 0.0
        self.rec.line[t] = self.line

    # ------------------------------------------------------------------ outputs
    def line_columns(self) -> list[str]:
        return [f"line_{self.sector_label(g).replace('/', '_')}_km" for g in range(self.n_sectors)]

    def record_columns(self) -> dict[str, np.ndarray]:
        """The daily record so far as named columns: one row per day from day 0."""
        return self.rec.columns(self.day + 1, np.datetime64(self.scn.start_date, "D"),
                                self.line_columns())

    def record(self) -> pd.DataFrame:
        """The daily record so far: one row per day from day 0."""
        return pd.DataFrame(self.record_columns())

    def event_frame(self) -> pd.DataFrame:
        """The events so far: day, date, kind, subject, detail, then ``event_id`` (the
        event's index), ``causes`` (a list of earlier ids) and ``conditions`` (text)."""
        start = np.datetime64(self.scn.start_date, "D")
        ev = self.events
        return pd.DataFrame({
            "day": np.array([e[0] for e in ev], dtype=np.int32),
            "date": start + np.array([e[0] for e in ev], dtype="timedelta64[D]"),
            "kind": [e[1] for e in ev], "subject": [e[2] for e in ev],
            "detail": [e[3] for e in ev],
            "event_id": np.arange(len(ev), dtype=np.int32),
            "causes": [list(e[4]) for e in ev],
            "conditions": [e[5] for e in ev]})

    def result(self) -> RunResult:
        return RunResult(self.record_columns(), self.event_frame(), dict(self.place_changed),
                         self.first_ceasefire_day, dict(self.ceasefire_lines))

    def check_invariants(self) -> None:
        """Fail the run, naming the quantity, if a stock is not finite or negative or an area
        leaves its map (one vectorised test per day; the loop only runs on failure)."""
        f = self.forces
        stocks = {"personnel": f.personnel, "ammo": f.ammo, "armour": f.armour,
                  "artillery": f.artillery, "supply_days": f.supply_days,
                  "morale": f.morale, "depot": self.depot, "killed": self.killed,
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


def run(scenario: Scenario, seed: int, days: int | None = None,
        stop: Callable[[WarModel], bool] | None = None) -> RunResult:
    """Run one replicate of ``scenario`` with ``seed`` to the horizon and return its record.

    A scenario with a ``game:`` section is a saved game: its played days are replayed with the
    game's seed and its order log (the same record as when it was played); from there both
    sides follow their policies with a generator seeded from ``seed``, so a batch continues
    the played game N times. ``stop(model)``, asked after every day, ends the run early (its
    record then ends on that day): a calibration's early rejection.
    """
    game = scenario.game
    model = WarModel(scenario, rng=seed if game is None else game.seed, days=days)
    if game is not None:
        while model.running and model.day < game.played_days:
            model.step()
        model.hand_back()
        model.reseed(seed)
    while model.running:
        model.step()
        if stop is not None and stop(model):
            break
    return model.result()
