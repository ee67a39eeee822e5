"""Mesa agents: force groupings and the two sides' commands.

A :class:`Grouping` is the named handle on one row of the model's
:class:`~sim.model.state.ForceState` (structure of arrays, so the daily arithmetic is
vectorised). A :class:`Command` turns its side's policy (``scenario.policy.ru`` / ``.ua``) into
orders every day: postures per sector, transfers between fronts, reserve commitments and
withdrawal. Policies are triggers on the battlefield state, not scripts.

A command decides from the day's :class:`~sim.model.picture.DayPicture` alone (handed to its
``step``) and holds its own state (operations, reinforcement done, salient evacuated, ...); it
acts only through orders: ``ForceState``'s ``move``, ``set_posture``, ``set_line_postures`` and
``rotate``, and the model's ``order_transfer``, ``open_talks``, ``accept_talks`` and its event
journal (``log``, ``last``). ``tests/test_architecture.py`` checks this on the source.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.model.kernels import operations
from sim.model.picture import DayPicture
from sim.model.state import (
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
)

if TYPE_CHECKING:
    from sim.model.model import WarModel
    from sim.scenario import GameOrder, GroupingSpec, RussianPolicy, UkrainianPolicy


def _row(name: str, doc: str) -> property:
    def get(self: Grouping) -> float:
        return float(getattr(self.model.forces, name)[self.index])

    return property(get, doc=doc)


class Grouping(mesa.Agent):
    """A brigade-to-division-sized force grouping (one row of the model's force state)."""

    model: WarModel

    def __init__(self, model: WarModel, index: int, spec: GroupingSpec) -> None:
        super().__init__(model)
        self.index = index
        self.name = spec.name
        self.side = SIDES.index(spec.side)
        self.contingent = spec.contingent

    personnel = _row("personnel", "troops present")
    armour = _row("armour", "armoured vehicles")
    artillery = _row("artillery", "artillery pieces")
    ammo = _row("ammo", "artillery rounds in the grouping's stock")
    supply_days = _row("supply_days", "general supply in days")
    quality = _row("quality", "training and experience multiplier")
    morale = _row("morale", "cohesion index in [0, 1]")

    @property
    def front(self) -> str:
        return FRONTS[self.model.forces.front[self.index]]

    @property
    def sector(self) -> str:
        f = self.model.forces
        return self.model.maps[self.front].sector_names[f.sector[self.index]]

    @property
    def posture(self) -> str:
        return POSTURE_NAMES[self.model.forces.posture[self.index]]

    def __repr__(self) -> str:
        return (f"Grouping({self.name!r}, {SIDES[self.side]}, {self.front}/{self.sector}, "
                f"{self.posture}, {self.personnel:.0f} troops)")


class Command(mesa.Agent):
    """One side's command: plans from the day's picture, issues orders through the model."""

    model: WarModel

    def __init__(self, model: WarModel, side: int) -> None:
        super().__init__(model)
        self.side = side
        #: intensity multiplier per global sector of this side's operations (1 = an ordinary
        #: day's fighting); read by the model's combat step
        self.tempo = np.ones(model.n_sectors)

    def step(self, pic: DayPicture) -> None:
        """Plan day ``pic.day`` from ``pic`` and give the day's orders."""
        raise NotImplementedError

    # -- shared helpers --------------------------------------------------------------------
    def _mine(self, pic: DayPicture, front: int | None = None) -> np.ndarray:
        return pic.mine(self.side, front)

    def _set_postures(self, pic: DayPicture, may_attack: np.ndarray) -> None:
        """Line groupings (attack/defend, not broken) attack where ``may_attack`` (per global
        sector) is true, else defend. A grouping whose morale is below the rally threshold
        (the state in which a broken one is fit to fight again) is not sent to attack: its
        commander calls the attack off before it breaks (docs/MODEL.md 3.3.14)."""
        attack = may_attack[pic.gsec]
        if pic.scn.switches.morale:
            attack = attack & (pic.morale >= pic.scn.morale.rally_threshold)
        # (line_ready as the side's orders of the day so far left it: see DayPicture)
        self.model.forces.set_line_postures(self._mine(pic) & pic.line_ready, attack)

    def _relieve_all(self, pic: DayPicture, fronts: tuple[int, ...]) -> None:
        if pic.broken.any() and (self._mine(pic) & pic.broken
                                 & (pic.posture == WITHDRAWING)).any():
            for front in fronts:
                self._relieve_broken(pic, front)

    def _commit_reserves(self, pic: DayPicture, front: int, threat: np.ndarray,
                         threshold: float) -> None:
        """Send this front's reserves to the sector with the highest ``threat`` (enemy/own
        power ratio) when it exceeds ``threshold``. The reserves are those of the moment:
        groupings the side has just rotated out of the line or relieved count among them."""
        m, f = self.model, self.model.forces
        here = pic.front_slice[front]  # the front's sectors, as a slice (a view, no copy)
        worst = here.start + int(threat[here].argmax())
        if threat[worst] <= threshold:
            return
        reserves = (self._mine(pic, front) & pic.reserve_ready).nonzero()[0]
        if reserves.size:
            f.move(reserves, worst, DEFEND)
            m.log("reserve_committed", pic.names_of(reserves),
                  f"to {pic.sector_label(worst)}: enemy/own ratio {threat[worst]:.2f}",
                  causes=m.last(("sector", int(worst))),
                  conditions=[f"enemy/own ratio {threat[worst]:.2f} > {threshold} in "
                              f"{pic.sector_label(worst)}"],
                  keys=[("grouping", int(i)) for i in reserves])

    def _relieve_broken(self, pic: DayPicture, front: int) -> None:
        """Relief in place: a fresh reserve takes over the sector of a broken grouping, which
        goes into reserve to recover."""
        m, f = self.model, self.model.forces
        mine = self._mine(pic, front)
        broken = np.flatnonzero(mine & pic.broken & (pic.posture == WITHDRAWING))
        if broken.size == 0:
            return
        fresh = list(np.flatnonzero(mine & ~pic.broken & (pic.posture == RESERVE)))
        for i in broken:
            if not fresh:
                return
            j = fresh.pop(0)
            f.move(j, int(pic.gsec[i]), DEFEND)
            f.set_posture(i, RESERVE)
            m.log("relief_in_place", pic.names[j],
                  f"relieves broken {pic.names[i]} at {pic.sector_label(int(pic.gsec[i]))}",
                  causes=m.last(("grouping", int(i))),
                  conditions=[f"{pic.names[i]} broken (morale {pic.morale[i]:.2f})"],
                  keys=[("grouping", int(j)), ("grouping", int(i))])

    def _regroup(self, pic: DayPicture, front: int, own: np.ndarray, enemy: np.ndarray
                 ) -> bool:
        """Move line groupings out of sectors of ``front`` where there is neither enemy in
        contact nor ground left to take, to the sector where the enemy is strongest relative to
        this side, leaving the smallest grouping behind as a screen (an empty sector would let
        the enemy walk in at breakthrough speed)."""
        m, f = self.model, self.model.forces
        secs = pic.front_secs[front]
        idle = secs[(enemy[secs] <= 0) & pic.nothing_to_take[self.side][secs]]
        if idle.size == 0:
            return False
        live = secs[enemy[secs] > 0]
        if live.size == 0:
            return False
        target = live[np.argmax(_ratio(enemy[live], own[live]))]
        line = self._mine(pic, front) & pic.in_line
        moved = False
        for s in idle:
            # (sectors as the moves of this loop leave them; movers go to a live sector)
            here = np.flatnonzero(line & (pic.gsec == s))
            if here.size < 2:
                continue
            by_size = here[np.argsort(pic.personnel[here])]
            movers = by_size[1:]
            f.move(movers, int(target))
            moved = True
            m.log("regrouped", pic.names_of(movers),
                  f"{pic.sector_label(int(s))} -> {pic.sector_label(int(target))}: nothing "
                  f"left to take; {pic.names[by_size[0]]} stays",
                  causes=m.last(("sector", int(s))),
                  conditions=[f"no enemy in contact and nothing to take in "
                              f"{pic.sector_label(int(s))}",
                              f"enemy/own ratio {_ratio(enemy[target], own[target]):.2f} in "
                              f"{pic.sector_label(int(target))}"],
                  keys=[("grouping", int(i)) for i in movers])
        return moved

    def _sector_powers(self, pic: DayPicture, moved: bool = False
                       ) -> tuple[np.ndarray, np.ndarray]:
        """(own, enemy) combat power per global sector, after regrouping idle groupings; the
        enemy's as it stood at the start of the day (simultaneous activation). ``moved``: this
        command has moved groupings today already, so its own power is recounted where they
        are now (the start of the day's figure is the same numbers while it has not)."""
        enemy_side = UA if self.side == RU else RU
        enemy = pic.start_power[enemy_side]
        own = pic.sector_power(self.side) if moved else pic.start_power[self.side]
        if not ((enemy <= 0) & pic.nothing_to_take[self.side]).any():
            return own, enemy  # no idle sector: nothing to regroup (most days)
        regrouped = [self._regroup(pic, front, own, enemy) for front in (KURSK, DONETSK)]
        return (pic.sector_power(self.side) if any(regrouped) else own), enemy

    def _rotate(self, pic: DayPicture, fronts: tuple[int, ...]) -> None:
        """Exhaustion: on each of ``fronts`` in turn, swap the most tired line groupings with
        the front's freshest reserves (a side with no fresh reserve cannot rotate and its line
        wears down). Rotating on one front leaves the other's groupings as they were. The
        line and the reserves are those the side's reliefs in place have just left."""
        m, f = self.model, self.model.forces
        limit = pic.scn.exhaustion.rotate_above
        mine = self._mine(pic)
        tired_all = mine & pic.line_ready & (pic.fatigue > limit)
        if not tired_all.any():
            return
        fresh_all = mine & pic.reserve_ready & (pic.fatigue < limit / 2)
        if not fresh_all.any():  # most days for a side short of reserves
            return
        for front in fronts:
            here = pic.on_front[front]
            tired = np.flatnonzero(tired_all & here)
            fresh = np.flatnonzero(fresh_all & here)
            for i, j in zip(tired[np.argsort(-pic.fatigue[tired])],
                            fresh[np.argsort(pic.fatigue[fresh])], strict=False):
                f.rotate(int(i), int(j))
                m.log("rotated", pic.names[j],
                      f"relieves {pic.names[i]} (fatigue {pic.fatigue[i]:.2f}) at "
                      f"{pic.sector_label(int(pic.gsec[j]))}",
                      conditions=[f"{pic.names[i]} fatigue {pic.fatigue[i]:.2f} > "
                                  f"{limit:g}"],
                      keys=[("grouping", int(i)), ("grouping", int(j))])


class RussianCommand(Command):
    """Russia's command under one of the article's options (a parameterised policy)."""

    def __init__(self, model: WarModel, policy: RussianPolicy) -> None:
        super().__init__(model, RU)
        self.policy = policy
        self.reinforced = False
        self.released = 0
        # one operation per front: active from day 0 (the offensives under way), or paused
        self.op_active = [True, True]
        self.op_start = [0, 0]
        self.op_strength = [0.0, 0.0]   # troops on the front when the operation began
        self.pause_until = [0, 0]
        # per sector: whether the policy attacks on its front at all, and from what ratio
        kursk = model.front_mask[KURSK]
        self.attacking = np.where(kursk, policy.kursk_attack, policy.donetsk_attack)
        self.min_ratio = np.where(kursk, policy.kursk_min_force_ratio,
                                  policy.donetsk_min_force_ratio)

    def step(self, pic: DayPicture) -> None:
        p = self.policy
        own, enemy = self._sector_powers(pic)
        ratio = _ratio(own, enemy)
        may = self.attacking & (ratio >= self.min_ratio)
        if pic.scn.switches.operations:
            may = self._operations(pic, may, ratio)
        self._set_postures(pic, may)
        self._relieve_all(pic, (KURSK, DONETSK))
        if pic.scn.switches.exhaustion:
            self._rotate(pic, (KURSK, DONETSK))
        # (own, ratio and threat stay the figures planned with above for the rest of the
        # day's orders, although the side's reliefs, rotations and commitments move troops)
        threat = _ratio(enemy, own)
        for front in (KURSK, DONETSK):
            self._commit_reserves(pic, front, threat, p.commit_reserve_force_ratio)
        self._reinforce(pic, ratio)
        self._release(pic, own, enemy, ratio)
        self._redeploy_when_cleared(pic, ratio)

    # -- operations ------------------------------------------------------------------------
    def _operations(self, pic: DayPicture, may: np.ndarray, ratio: np.ndarray) -> np.ndarray:
        """Offensives as operations: an active operation attacks its front's best-odds
        sectors (``ratio`` over the terrain defence of the ground ahead with
        ``switches.terrain_odds``) at the operation's tempo until it culminates, then pauses
        to regenerate; a paused front attacks only at overwhelming local odds
        (``hold_ratio``). ``ratio`` is the planning ratio per sector; ``may`` the policy's
        permission."""
        op = pic.scn.operations
        self.tempo[:] = 1.0
        out = may & (ratio >= op.hold_ratio)  # overwhelming odds, on either front
        for front in (KURSK, DONETSK):
            self._update_operation(pic, front)
            if self.op_active[front]:
                here = pic.front_slice[front]
                ahead = (pic.terrain_defence_or_none[pic.terrain_ahead[here]]
                         if pic.scn.switches.terrain_odds else None)
                best = here.start + operations.main_effort(ratio[here], ahead,
                                                           op.main_effort_sectors)
                main = best[may[best]]
                out[main] = True
                self.tempo[main] = op.tempo
        return out

    def _update_operation(self, pic: DayPicture, front: int) -> None:
        m, op = self.model, pic.scn.operations
        day = pic.day
        here = self._mine(pic, front) & pic.present & ~pic.pending
        if self.op_active[front]:
            if self.op_strength[front] <= 0:
                self.op_strength[front] = float(pic.personnel[here].sum())
            start = self.op_start[front]
            if day - start < op.min_days:
                return  # an operation runs at least min_days: nothing to test yet
            lost = pic.front_losses[start + 1: day, RU, front].sum()
            w0 = max(start + 1, day - op.culmination_window_days)
            window_loss = pic.front_losses[w0:day, RU, front].sum()
            window_gain = pic.front_gain_km2[w0:day, RU, front].sum()
            lg = pic.scn.logistics
            target = pic.artillery[here].sum() * lg.rounds_per_gun["defend"] * lg.stock_days
            ammo = pic.ammo[here].sum() / target if target > 0 else 1.0
            why = operations.culmination_reason(
                days_running=day - start, min_days=op.min_days,
                loss_fraction=lost / max(self.op_strength[front], 1.0),
                max_loss_fraction=op.culmination_loss_fraction,
                window_gain_km2=window_gain, window_losses=window_loss,
                min_km2_per_1000=op.culmination_km2_per_1000, ammo_fraction=ammo,
                min_ammo_fraction=op.culmination_ammo_fraction)
            if why:
                self.op_active[front] = False
                self.pause_until[front] = day + op.pause_days
                m.log("operation_culminated", f"{FRONTS[front]} offensive",
                      f"after {day - start} days: {why}",
                      causes=m.last(("operation", front)), conditions=[why],
                      keys=[("operation", front)])
        elif day >= self.pause_until[front]:
            est = pic.establishment[here].sum()
            ready = pic.personnel[here].sum() / est if est > 0 else 0.0
            if ready >= op.restart_readiness:
                self.op_active[front] = True
                self.op_start[front] = day
                self.op_strength[front] = float(pic.personnel[here].sum())
                m.log("operation_started", f"{FRONTS[front]} offensive",
                      f"groupings at {ready:.0%} of establishment",
                      causes=m.last(("operation", front)),
                      conditions=[f"readiness {ready:.0%} >= {op.restart_readiness:.0%}"],
                      keys=[("operation", front)])

    def _release(self, pic: DayPicture, own: np.ndarray, enemy: np.ndarray,
                 ratio: np.ndarray) -> None:
        """Economy of force: Kursk groupings beyond what containment needs go to Donetsk.
        The candidates are those of the moment (not those the side has just sent away)."""
        m, rp = self.model, self.policy.release_to_donetsk
        if not rp.enabled or self.released >= rp.max_groupings or pic.day < rp.from_day:
            return
        kursk = pic.front_secs[KURSK]
        keep = rp.containment_ratio * enemy[kursk].sum()
        cand = np.flatnonzero(self._mine(pic, KURSK) & pic.present & ~pic.pending
                              & pic.allowed[:, DONETSK] & ~pic.broken)
        if cand.size <= 1:
            return
        spare = own[kursk].sum() - keep
        power = pic.plan_power
        # reserves first, then the groupings of the sectors Russia dominates most
        key = np.where(pic.posture[cand] == RESERVE, np.inf, ratio[pic.gsec[cand]])
        targets = pic.front_secs[DONETSK]
        best = targets[np.argsort(-ratio[targets], kind="stable")]
        for i in cand[np.lexsort((-pic.personnel[cand], -key))]:
            if self.released >= rp.max_groupings or power[i] > spare:
                break
            spare -= power[i]
            m.order_transfer(int(i), DONETSK, int(best[self.released % len(best)]),
                             f"economy of force: Kursk held at {rp.containment_ratio:g}x the "
                             "Ukrainian force")
            self.released += 1

    def _reinforce(self, pic: DayPicture, ratio: np.ndarray) -> None:
        m, rp = self.model, self.policy.reinforce_kursk
        if self.reinforced or not rp.enabled or rp.groupings == 0:
            return
        area, conf = pic.kursk_ua_km2, pic.confidence
        reasons = []
        if area > rp.trigger_ua_area_km2:
            reasons.append(f"Ukrainian-held Kursk area {area:.0f} km2 > "
                           f"{rp.trigger_ua_area_km2:.0f}")
        if pic.day >= rp.trigger_day:
            reasons.append(f"day {pic.day} >= {rp.trigger_day}")
        if conf < rp.trigger_confidence_below:
            reasons.append(f"domestic confidence {conf:.2f} < {rp.trigger_confidence_below}")
        if not reasons:
            return
        self.reinforced = True
        # what moved the area or the confidence: the last places taken in Kursk
        by_state = area > rp.trigger_ua_area_km2 or conf < rp.trigger_confidence_below
        causes = m.last(("front", KURSK)) if by_state else []
        # (postures as the side's reserve commitments of the day left them)
        cand = np.flatnonzero(self._mine(pic, DONETSK) & pic.present & pic.allowed[:, KURSK])
        # Reserves first, then the strongest groupings of the sectors Russia dominates most,
        # keeping one grouping in every sector.
        posture, gsec = pic.posture[cand], pic.gsec[cand]
        key = np.where(posture == RESERVE, np.inf, ratio[gsec])
        order = cand[np.lexsort((-pic.personnel[cand], -key))]
        left = {s: int(np.sum((gsec == s) & (posture != RESERVE))) for s in np.unique(gsec)}
        chosen = []
        for i in order:
            if len(chosen) == rp.groupings:
                break
            s = int(pic.gsec[i])
            if pic.posture[i] != RESERVE:
                if left.get(s, 0) <= 1:
                    continue
                left[s] -= 1
            chosen.append(i)
        targets = pic.front_secs[KURSK]
        weakest = targets[np.argsort(ratio[targets])]
        for k, i in enumerate(chosen):
            m.order_transfer(i, KURSK, int(weakest[k % len(weakest)]), "; ".join(reasons),
                             causes=causes, conditions=reasons)

    def _redeploy_when_cleared(self, pic: DayPicture, ratio: np.ndarray) -> None:
        m, p = self.model, self.policy
        if not p.redeploy_when_kursk_cleared or pic.kursk_ua_km2 > 0 or not pic.kursk_ever_held:
            return
        if pic.ua_in_kursk:
            return  # Ukrainian groupings still in Kursk oblast this morning
        # (present now: groupings released to Donetsk today are on the move already)
        kursk = np.flatnonzero(self._mine(pic, KURSK) & pic.present)
        if kursk.size <= p.kursk_garrison_groupings:
            return
        # the garrison: groupings that may serve nowhere else first, then the strongest
        order = kursk[np.lexsort((-pic.personnel[kursk], pic.allowed[kursk, DONETSK]))]
        keep = order[: p.kursk_garrison_groupings]
        targets = pic.front_secs[DONETSK]
        best = targets[np.argsort(-ratio[targets])]
        movers = [i for i in kursk if i not in keep and pic.allowed[i, DONETSK]]
        causes = m.last(("front", KURSK), "withdrawal")
        for k, i in enumerate(movers):
            m.order_transfer(i, DONETSK, int(best[k % len(best)]),
                             "Kursk cleared of Ukrainian forces", causes=causes,
                             conditions=["Ukrainian-held Kursk area 0 km2",
                                         "no Ukrainian grouping in Kursk oblast"])


class UkrainianCommand(Command):
    """Ukraine's command: the Kursk counterattack, Donetsk defence and counterattacks, and
    withdrawal from the Kursk salient when it becomes untenable."""

    def __init__(self, model: WarModel, policy: UkrainianPolicy, withdrawn: bool = False
                 ) -> None:
        """``withdrawn``: the salient has been evacuated already (by a player whose side
        this command takes over)."""
        super().__init__(model, UA)
        self.policy = policy
        self.withdrawn = withdrawn
        self.given_up = np.zeros(model.n_sectors, dtype=bool)   # Kursk sectors ceded in stages

    def step(self, pic: DayPicture) -> None:
        p = self.policy
        moved = pic.scn.switches.graded_defence and self._graded_defence(pic)
        own, enemy = self._sector_powers(pic, moved)
        ratio = _ratio(own, enemy)
        threat = np.where(self.given_up, 0.0, _ratio(enemy, own))
        may = np.zeros(pic.n_sectors, dtype=bool)
        if p.kursk_counterattack and pic.day <= p.counterattack_days:
            # "at several locations", but concentrated: the sectors with the best local
            # ratios, as long as the ratio there is worth the cost.
            secs = pic.front_secs[KURSK]
            best = secs[np.argsort(-ratio[secs])][: p.counterattack_sectors]
            best = best[(ratio[best] >= p.counterattack_min_force_ratio) & ~self.given_up[best]]
            may[best] = True
            if pic.day == 1 and best.size:
                self.model.log(
                    "counterattack", ", ".join(pic.sector_label(b) for b in best),
                    "Kursk counterattack, local UA/RU ratios "
                    + ", ".join(f"{ratio[b]:.2f}" for b in best),
                    conditions=[f"UA/RU ratio {ratio[b]:.2f} >= "
                                f"{p.counterattack_min_force_ratio} in {pic.sector_label(b)}"
                                for b in best])
        if p.donetsk_counterattack:
            may |= pic.front_mask[DONETSK] & (threat < p.donetsk_counter_force_ratio) & (own > 0)
        self._set_postures(pic, may)
        self._relieve_all(pic, (KURSK, DONETSK))
        if pic.scn.switches.exhaustion:
            self._rotate(pic, (DONETSK, KURSK))
        for front in (DONETSK, KURSK):
            self._commit_reserves(pic, front, threat, p.commit_reserve_force_ratio)
        self._withdraw(pic, threat)

    def _graded_defence(self, pic: DayPicture) -> bool:
        """Trade space for force: once its counterattack is over, as the corridor's
        interdiction passes each step, Ukraine gives up the next most exposed Kursk sector and
        moves its groupings to the sector still held that is most threatened. Returns whether
        it moved any grouping."""
        m, f, p = self.model, self.model.forces, self.policy
        gd = p.graded_defence
        if self.withdrawn or not gd.order:
            return False
        if p.kursk_counterattack and pic.day <= p.counterattack_days:
            return False  # while it attacks, Ukraine does not give ground up
        k = int(self.given_up.sum())
        if k >= len(gd.order) or pic.corridor_interdiction < gd.interdiction_steps[k]:
            return False
        sec = int(pic.sector_offset[KURSK] + pic.sector_names[KURSK].index(gd.order[k]))
        self.given_up[sec] = True
        held = [int(g) for g in pic.front_secs[KURSK] if not self.given_up[g]]
        if not held:
            return False
        own, enemy = pic.sector_power(UA), pic.start_power[RU]
        target = held[int(np.argmax(_ratio(enemy[held], own[held])))]
        movers = np.flatnonzero(self._mine(pic, KURSK) & (pic.gsec == sec) & pic.present)
        if movers.size:
            f.move(movers, target, DEFEND)
        why = (f"corridor interdiction {pic.corridor_interdiction:.2f} >= "
               f"{gd.interdiction_steps[k]:.2f}")
        m.log("sector_given_up", pic.sector_label(sec),
              f"{why}; {movers.size} grouping(s) to {pic.sector_label(target)}",
              causes=m.last("sector_given_up", ("front", KURSK)), conditions=[why],
              keys=[("sector", sec)])
        return bool(movers.size)

    def _withdraw(self, pic: DayPicture, threat: np.ndarray) -> None:
        m, p = self.model, self.policy
        if self.withdrawn or not p.withdraw_from_kursk or pic.day == 0:
            return
        # (those in Kursk now: reserves just committed there count, none has left)
        inside = np.flatnonzero(self._mine(pic, KURSK) & pic.present)
        if inside.size == 0:
            return
        reasons = []
        supply = float(pic.supply_days[inside].sum() / inside.size)  # .mean(), less overhead
        if pic.scn.switches.logistics and supply < p.withdraw_supply_days_below:
            reasons.append(f"supply {supply:.1f} days < {p.withdraw_supply_days_below}")
        if pic.kursk_ua_km2 < p.withdraw_area_below_km2:
            reasons.append(f"salient {pic.kursk_ua_km2:.0f} km2 < "
                           f"{p.withdraw_area_below_km2:.0f}")
        if pic.corridor_margin_km < p.withdraw_corridor_margin_km:
            reasons.append(f"Russian ground {pic.corridor_margin_km:.1f} km from the corridor")
        lost = p.withdraw_on_places_lost
        if lost and all(not pic.place_ua[pic.place_index[name]] for name in lost):
            reasons.append(f"lost {', '.join(lost)}")
        if not reasons:
            return
        if pic.corridor_margin_km <= 0:
            return  # cut off: no way out, the groupings fight where they are
        self.withdrawn = True
        conditions, causes = self._withdrawal_conditions(pic, supply, lost)
        wid = m.log("withdrawal", "Kursk salient", "; ".join(reasons), causes=causes,
                    conditions=conditions)
        targets = pic.front_secs[DONETSK]
        worst = targets[np.argsort(-threat[targets])]
        for k, i in enumerate(inside):
            m.order_transfer(i, DONETSK, int(worst[k % len(worst)]), "withdrawal from Kursk",
                             causes=[wid])

    def _withdrawal_conditions(self, pic: DayPicture, supply: float, lost: list[str]
                               ) -> tuple[list[str], list[int]]:
        """The triggers that hold today as conditions with their thresholds, and the events
        behind them: the last events in the sector where Russian ground is nearest the corridor,
        the last places taken in Kursk, the places lost."""
        m, p = self.model, self.policy
        conditions: list[str] = []
        causes: list[int] = []
        if pic.scn.switches.logistics and supply < p.withdraw_supply_days_below:
            conditions.append(f"salient supply {supply:.1f} days < "
                              f"{p.withdraw_supply_days_below} (corridor interdiction "
                              f"{pic.corridor_interdiction:.2f})")
        if pic.kursk_ua_km2 < p.withdraw_area_below_km2:
            conditions.append(f"salient area {pic.kursk_ua_km2:.0f} km2 < "
                              f"{p.withdraw_area_below_km2:.0f}")
            causes += m.last(("front", KURSK))
        if pic.corridor_margin_km < p.withdraw_corridor_margin_km:
            g = pic.corridor_pinch_sector()
            where = f" (nearest Russian ground in {pic.sector_label(g)})" if g is not None else ""
            conditions.append(f"corridor margin {pic.corridor_margin_km:.2f} km < "
                              f"{p.withdraw_corridor_margin_km}{where}")
            if g is not None:
                causes += m.last(("sector", g))
        if lost and all(not pic.place_ua[pic.place_index[name]] for name in lost):
            conditions.append(f"places lost: {', '.join(lost)}")
            causes += m.last(*(("place", pic.place_index[name]) for name in lost))
        return conditions, causes


class OrderError(ValueError):
    """An order the player's side cannot carry out; the message says which and why."""


class PlayerCommand(Command):
    """A side whose orders come from outside (a player in the app, or a saved game's order
    log) instead of its policy.

    Orders (:class:`~sim.scenario.GameOrder`) wait in a queue and are applied on their day, in
    the command phase of that day's step, through the force state's methods and
    ``model.order_transfer``, exactly as a policy's orders are; so a game replays bit for bit.
    Between orders the side's groupings keep their postures (broken groupings still withdraw
    by themselves). An impossible order raises :class:`OrderError`.
    """

    def __init__(self, model: WarModel, side: int, orders: list[GameOrder] | tuple = ()) -> None:
        super().__init__(model, side)
        self.queue: list[GameOrder] = list(orders)
        self.applied: list[GameOrder] = []  # the order log of a saved game
        self.withdrawn = False
        self.talks_opened_on: int | None = None  # the day this player opened talks

    def submit(self, order: GameOrder) -> None:
        """Queue ``order`` for its day (after today), checked against the state as it is now
        (between days: a picture of now, not of the morning of the day played last)."""
        pic = self.model.day_picture()
        if order.day <= pic.day:
            raise OrderError(f"{self._what(order)}: day {order.day} has been played already "
                             f"(today is day {pic.day})")
        self._resolve(pic, order)
        self.queue.append(order)

    def step(self, pic: DayPicture) -> None:
        day = pic.day
        late = [o for o in self.queue if o.day < day]
        if late:
            raise OrderError(f"{self._what(late[0])}: its day has passed (today is day {day})")
        # each order is checked against the groupings as the day's earlier orders left them
        for order in [o for o in self.queue if o.day == day]:
            self._apply(pic, order)
            self.queue.remove(order)
            self.applied.append(order)

    # -- orders ------------------------------------------------------------------------------
    def _what(self, order: GameOrder) -> str:
        return f"day {order.day} {order.kind} order"

    def _fail(self, order: GameOrder, why: str) -> OrderError:
        return OrderError(f"{self._what(order)}: {why}")

    def _indices(self, pic: DayPicture, order: GameOrder) -> list[int]:
        by_name = {name: i for i, name in enumerate(pic.names)}
        out = []
        for name in order.groupings:
            i = by_name.get(name)
            if i is None:
                raise self._fail(order, f"unknown grouping '{name}'")
            if not pic.is_side[self.side][i]:
                raise self._fail(order, f"'{name}' is not one of {SIDES[self.side]}'s groupings")
            if pic.pending[i]:
                raise self._fail(order, f"'{name}' has not entered the theatre yet")
            if pic.posture[i] == TRANSIT:
                raise self._fail(order, f"'{name}' is in transit until day "
                                        f"{pic.day + int(pic.transit_left[i])}")
            out.append(i)
        return out

    def _gsec(self, pic: DayPicture, order: GameOrder, front: int) -> int:
        names = pic.sector_names[front]
        if order.sector not in names:
            raise self._fail(order, f"unknown sector '{order.sector}' on the {FRONTS[front]} "
                                    f"front; allowed: {', '.join(names)}")
        return int(pic.sector_offset[front] + names.index(order.sector))

    def _talks(self, pic: DayPicture) -> str:
        """The talks as they stand now: this morning's, unless this player opened them today
        (a later order of the same day sees them open, as ``model.open_talks`` left them)."""
        return "open" if pic.talks == "none" and self.talks_opened_on == pic.day else pic.talks

    def _resolve(self, pic: DayPicture, order: GameOrder) -> tuple[list[int], int | None]:
        """(grouping indices, global sector) of a feasible order; raises OrderError. The
        groupings are checked as the day's earlier orders left them (the views of ``pic``)."""
        kind = order.kind
        idx = self._indices(pic, order)
        gsec = None
        if kind in ("transfer", "posture"):
            gsec = self._gsec(pic, order, FRONTS.index(order.front))
        if kind == "posture":
            here = self._mine(pic) & pic.in_line & ~pic.broken & (pic.gsec == gsec)
            if not here.any():
                raise self._fail(order, f"no {SIDES[self.side]} grouping in the line at "
                                        f"{pic.sector_label(gsec)}")
        elif kind == "reserve":
            for i in idx:
                if not pic.in_line[i]:
                    raise self._fail(order, f"'{pic.names[i]}' is not in the line "
                                            f"({POSTURE_NAMES[pic.posture[i]]})")
        elif kind == "commit":
            fronts = {int(pic.front[i]) for i in idx}
            if len(fronts) > 1:
                raise self._fail(order, "reserves of both fronts in one commit order")
            front = fronts.pop()
            if order.front is not None and FRONTS.index(order.front) != front:
                raise self._fail(order, f"reserves commit on their own front ({FRONTS[front]}); "
                                        "transfer them first")
            for i in idx:
                if pic.posture[i] != RESERVE:
                    raise self._fail(order, f"'{pic.names[i]}' is not in reserve "
                                            f"({POSTURE_NAMES[pic.posture[i]]})")
            gsec = self._gsec(pic, order, front)
        elif kind == "talks":
            talks = self._talks(pic)
            if order.talks == "open" and talks != "none":
                raise self._fail(order, f"talks are already {talks}")
            if order.talks == "accept" and talks != "open":
                raise self._fail(order, f"no talks to accept (talks: {talks})")
        elif kind == "withdraw":
            if self.side != UA:
                raise self._fail(order, "only Ukraine withdraws from the Kursk salient")
            if self.withdrawn:
                raise self._fail(order, "the salient has been evacuated already")
            if not (self._mine(pic, KURSK) & pic.present).any():
                raise self._fail(order, "no Ukrainian grouping left in Kursk oblast")
            if pic.corridor_margin_km <= 0:
                raise self._fail(order, "the Sudzha corridor is cut: no way out")
        return idx, gsec

    def _apply(self, pic: DayPicture, order: GameOrder) -> None:
        m, f = self.model, self.model.forces
        idx, gsec = self._resolve(pic, order)
        cause = f"{SIDES[self.side]} player's order"
        if order.kind == "transfer":
            front = FRONTS.index(order.front)
            for i in idx:
                if pic.front[i] == front:
                    f.move(i, gsec, DEFEND if pic.posture[i] == RESERVE else None)
                    m.log("regrouped", pic.names[i], f"-> {pic.sector_label(gsec)}; {cause}")
                else:
                    m.order_transfer(i, front, gsec, cause)
        elif order.kind == "posture":
            here = np.flatnonzero(self._mine(pic) & pic.in_line & ~pic.broken
                                  & (pic.gsec == gsec))
            f.set_posture(here, ATTACK if order.posture == "attack" else DEFEND)
            m.log("posture", pic.sector_label(gsec),
                  f"{order.posture}: {pic.names_of(here)}; {cause}")
        elif order.kind == "reserve":
            f.set_posture(idx, RESERVE)
            m.log("reserve_pulled", pic.names_of(idx), cause)
        elif order.kind == "commit":
            f.move(idx, gsec, DEFEND)
            m.log("reserve_committed", pic.names_of(idx),
                  f"to {pic.sector_label(gsec)}; {cause}")
        elif order.kind == "talks":
            if order.talks == "open":
                if pic.talks == "none":
                    self.talks_opened_on = pic.day
                m.open_talks(cause)
            else:
                m.accept_talks(self.side, cause)
        elif order.kind == "withdraw":
            self.withdrawn = True
            inside = np.flatnonzero(self._mine(pic, KURSK) & pic.present)
            m.log("withdrawal", "Kursk salient", cause)
            targets = pic.front_secs[DONETSK]
            if order.sector:
                targets = np.array([self._gsec(pic, order, DONETSK)])
            for k, i in enumerate(inside):
                m.order_transfer(int(i), DONETSK, int(targets[k % len(targets)]),
                                 "withdrawal from Kursk")


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num/den per sector with 0/0 = 0 and x/0 = inf."""
    out = np.where(num > 0, np.inf, 0.0)
    # dividing 0 by a positive den writes the 0 that is there already (powers are >= 0)
    return np.divide(num, den, out=out, where=den > 0)
