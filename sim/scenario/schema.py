"""The scenario schema (pydantic): every section, parameter, unit, default and range."""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from sim.scenario.errors import ScenarioError, dotted

if typing.TYPE_CHECKING:
    from sim.space import FrontMap
from sim.scenario.units import Q, Strict, unit_of

Side = Literal["ru", "ua"]
FrontName = Literal["kursk", "donetsk"]
Posture = Literal["attack", "defend", "reserve"]

#: Calendar dates the model accepts (start date, arrivals, talks): the daily record is dated
#: with numpy day counts, and a horizon of at most 1000 days from 2200 stays representable.
MIN_YEAR, MAX_YEAR = 1900, 2200
#: A grouping arriving this many days or more after the start is counted in int16 day offsets.
MAX_ARRIVAL_DAYS = 30_000


def _calendar(value: dt.date | None) -> dt.date | None:
    if value is not None and not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"date must be between {MIN_YEAR}-01-01 and {MAX_YEAR}-12-31")
    return value


Date = typing.Annotated[dt.date, AfterValidator(_calendar)]
RoundsPerGun = typing.Annotated[float, Field(ge=0, le=10_000)]
DefenceMultiplier = typing.Annotated[float, Field(gt=0, le=100)]
ROUNDS_POSTURES = ("attack", "defend", "reserve", "transit", "withdrawing")


class FrontSpec(Strict):
    map: Path = Field(description="map data file, relative to the scenario file")
    start_line: str = Field("2025-01-05", description="name of the start line in the map file")
    fighting_since: Date | None = Field(
        None, description="the date the fighting on this front has gone on since (on or "
        "before start_date): groupings in contact on day 0 start as tired as that many days "
        "in their posture leave them (docs/MODEL.md 3.3.23); none: they start rested")


class Fronts(Strict):
    kursk: FrontSpec
    donetsk: FrontSpec


class Switches(Strict):
    """Mechanisms that can be switched off (limiting cases and tests)."""

    manoeuvre: bool = True
    logistics: bool = True
    morale: bool = True
    diplomacy: bool = True
    commands: bool = True
    noise: bool = True
    # mechanisms of docs/MODEL.md sec. 3.4, each switchable so its effect can be measured
    operations: bool = Field(True, description="Russian offensives run as operations with a "
                             "tempo that culminate and pause (else: attack wherever the ratio "
                             "allows, every day)")
    exhaustion: bool = Field(True, description="groupings tire in contact and recover in "
                             "reserve; commands rotate tired groupings with fresh reserves")
    soft_frontage: bool = Field(True, description="troops beyond what a frontage can use add "
                                "with diminishing returns (else: a hard cap)")
    graded_defence: bool = Field(True, description="Ukraine gives up exposed Kursk sectors in "
                                 "stages as corridor interdiction rises (policy.ua.graded_defence)")
    terrain_odds: bool = Field(True, description="Russian operations put their main effort "
                               "where the odds are best against the defence of the ground "
                               "ahead (terrain, towns, rivers); off: on the force ratio alone, "
                               "which makes adding troops lower the gain (docs/MODEL.md 3.3.22)")
    replace_losses_only: bool = Field(True, description="replacements only fill groupings up "
                                      "to their establishment; the rest wait in the side's "
                                      "pool (else: a front's share goes out whatever its "
                                      "strength, and a front can grow past its order of "
                                      "battle; docs/MODEL.md 3.3.13)")


class CombatParams(Strict):
    lethality: Q("1/day", 0.009, ge=0, le=1,
                 doc="casualties inflicted per day per unit of effective enemy combat power")
    static_intensity: Q("fraction", 0.25, ge=0, le=1,
                        doc="intensity of fighting in a sector where nobody attacks")
    daily_noise_shape: Q("index", 4.0, gt=0,
                         doc="gamma shape of the sector's daily intensity multiplier (mean 1)")
    max_troops_per_km: Q("troops/km", 1200.0, gt=0,
                         doc="troops per km of the current line at which a side's fighting "
                             "strength saturates (per side; a hard cap if soft_frontage is off)")
    min_frontage_km: Q("km", 4.0, gt=0,
                       doc="frontage a sector always offers, even where its line runs along its "
                           "edge (e.g. the state border before the incursion)")
    prepared_defence: Q("ratio", 2.5, ge=1, doc="defender multiplier for prepared positions")
    terrain_defence: dict[Literal["open", "urban", "forest", "river"], DefenceMultiplier] = Field(
        default_factory=lambda: {"open": 1.0, "urban": 1.6, "forest": 1.25, "river": 1.4},
        description="defender multiplier by terrain class of the ground being attacked (ratio)")
    armour_bonus_per_1000: Q("per 1000 troops", 0.02, ge=0,
                             doc="combat-power bonus per armoured vehicle per 1000 troops")
    artillery_share: Q("fraction", 0.5, ge=0, le=1,
                       doc="share of combat power that depends on artillery and its ammunition")
    reference_rounds_per_troop: Q("rounds/troop/day", 0.1, gt=0,
                                  doc="artillery fire at which the artillery term is 1")
    killed_share: Q("fraction", 0.3, ge=0, le=1, doc="share of casualties killed")
    captured_share: Q("fraction", 0.02, ge=0, le=1, doc="share captured in ordinary fighting")
    broken_captured_share: Q("fraction", 0.3, ge=0, le=1,
                             doc="share captured when the grouping is broken")
    enveloped_captured_share: Q("fraction", 0.7, ge=0, le=1,
                                doc="share captured when the grouping is cut off")
    enveloped_loss_rate: Q("1/day", 0.36, ge=0, le=1,
                           doc="daily loss fraction of a cut-off grouping under attack")
    broken_loss_multiplier: Q("ratio", 2.5, ge=1,
                              doc="losses of a broken grouping relative to an intact one")
    armour_loss_factor: Q("ratio", 1.5, ge=0,
                          doc="armour loss fraction per unit personnel loss fraction")
    artillery_loss_factor: Q("ratio", 0.5, ge=0,
                             doc="artillery loss fraction per unit personnel loss fraction")
    wounded_return_share: Q("fraction", 0.5, ge=0, le=1,
                            doc="share of wounded who return to duty")
    wounded_return_days: Q("days", 28, ge=1, le=365, kind=int, doc="delay before they return")
    transit_loss_rate: Q("1/day", 0.0005, ge=0, le=0.2,
                         doc="daily loss fraction of a grouping in transit (strikes on the move)")


class OperationParams(Strict):
    """How Russian offensives run: concentrated, at a tempo, until they culminate."""

    main_effort_sectors: Q("index", 2, ge=1, le=8, kind=int,
                           doc="sectors of a front an operation attacks at once (best ratios)")
    tempo: Q("ratio", 1.5, ge=1, le=5,
             doc="intensity of fighting (losses and advance) in an operation's sectors "
                 "relative to an ordinary attack")
    min_days: Q("days", 10, ge=1, le=365, kind=int, doc="days an operation runs at least")
    culmination_loss_fraction: Q("fraction", 0.12, gt=0, le=1,
                                 doc="culminates when the front's attacking side has lost this "
                                     "share of its strength since the operation began")
    culmination_km2_per_1000: Q("index", 2.0, ge=0,
                                doc="culminates when ground gained per 1000 own casualties over "
                                    "the last culmination_window_days falls below (km2)")
    culmination_window_days: Q("days", 10, ge=1, le=60, kind=int,
                               doc="window for the gain-per-loss test")
    culmination_ammo_fraction: Q("fraction", 0.25, ge=0, le=1,
                                 doc="culminates when the attackers' ammunition falls below this "
                                     "share of their stock target")
    pause_days: Q("days", 14, ge=0, le=365, kind=int,
                  doc="days an operation pauses to regenerate before the next can start")
    restart_readiness: Q("fraction", 0.85, ge=0, le=1,
                         doc="the next operation starts once the front's groupings average "
                             "this share of their establishment")
    hold_ratio: Q("ratio", 3.0, ge=0,
                  doc="between operations a sector is still attacked at this local ratio")


class ExhaustionParams(Strict):
    """Fatigue of groupings kept in contact, and rotation through reserve."""

    rate_per_day: Q("1/day", 0.008, ge=0, le=1, doc="fatigue gained per day in contact")
    attack_multiplier: Q("ratio", 2.0, ge=1, le=10,
                         doc="fatigue rate when attacking relative to defending")
    recovery_per_day: Q("1/day", 0.05, ge=0, le=1, doc="fatigue shed per day in reserve")
    effect: Q("fraction", 0.4, ge=0, le=1, doc="combat power lost at full fatigue")
    rotate_above: Q("fraction", 0.5, ge=0, le=1,
                    doc="a command rotates a line grouping this tired with a fresher reserve "
                        "of the same front")


class AdvanceParams(Strict):
    max_km_per_day: Q("km/day", 0.3, ge=0, le=20,
                      doc="attritional advance rate at an overwhelming force ratio")
    half_force_ratio: Q("ratio", 1.5, gt=0, doc="force ratio at which the rate is half the max")
    steepness: Q("index", 2.0, gt=0, doc="exponent of the force-ratio response")
    broken_km_per_day: Q("km/day", 0.3, ge=0, le=20,
                         doc="advance rate against a sector whose defenders have all broken")
    breakthrough_km_per_day: Q("km/day", 6.0, ge=0, le=20,
                               doc="advance rate into a sector with no defender at all")


class LogisticsParams(Strict):
    rounds_per_gun: dict[Literal["attack", "defend", "reserve", "transit", "withdrawing"],
                         RoundsPerGun] = Field(
        default_factory=lambda: {"attack": 40.0, "defend": 20.0, "reserve": 0.0,
                                 "transit": 0.0, "withdrawing": 10.0},
        description="artillery rounds fired per gun per day by posture (rounds/gun/day)")

    @field_validator("rounds_per_gun")
    @classmethod
    def _every_posture(cls, value: dict[str, float]) -> dict[str, float]:
        missing = [p for p in ROUNDS_POSTURES if p not in value]
        if missing:
            raise ValueError(f"missing posture(s) {', '.join(missing)}; give all of "
                             f"{', '.join(ROUNDS_POSTURES)}")
        return value
    stock_days: Q("days", 10, gt=0, doc="ammunition a grouping keeps, in days of defend use")
    delivery_share_per_day: Q("fraction", 0.35, gt=0, le=1,
                              doc="share of a grouping's ammo shortfall delivered per day")
    supply_max_days: Q("days", 10.0, gt=0, doc="general supply a grouping can hold")
    supply_full_days: Q("days", 4.0, gt=0, doc="supply level below which combat power falls")
    supply_floor: Q("fraction", 0.35, ge=0, le=1, doc="combat power factor with no supply")
    resupply_days_per_day: Q("days/day", 1.6, ge=0, doc="supply delivered per day on an open route")
    base_interdiction: Q("fraction", 0.1, ge=0, le=1,
                         doc="share of deliveries lost to drones and strikes anywhere")
    corridor_interdiction_max: Q("fraction", 0.9, ge=0, le=1,
                                 doc="interdiction of the corridor with the enemy on it")
    corridor_range_km: Q("km", 6.0, gt=0,
                         doc="e-folding distance of corridor interdiction from the enemy line")


class MoraleParams(Strict):
    loss_sensitivity: Q("ratio", 1.5, ge=0, doc="morale lost per unit daily loss fraction")
    supply_sensitivity: Q("1/day", 0.03, ge=0, doc="morale lost per day at zero supply")
    ground_sensitivity: Q("1/km", 0.02, ge=0, doc="morale lost per km of ground lost")
    recovery_rate: Q("1/day", 0.05, ge=0, le=1, doc="daily recovery toward the baseline")
    reserve_recovery_rate: Q("1/day", 0.08, ge=0, le=1, doc="recovery rate in reserve")
    break_threshold: Q("fraction", 0.2, ge=0, le=1, doc="morale below which a grouping breaks")
    rally_threshold: Q("fraction", 0.5, ge=0, le=1, doc="morale at which it can fight again")
    power_floor: Q("fraction", 0.5, ge=0, le=1, doc="combat-power factor at zero morale")


class DiplomacyParams(Strict):
    talks_open: Date | None = Field(None, description="date talks open; none = no talks")
    ru_seeks: bool = Field(False, description="Russia actively seeks a ceasefire")
    max_daily_probability: Q("1/day", 0.04, ge=0, le=1,
                             doc="daily agreement probability when both sides are willing")
    ru_willingness: Q("index", -1.0, doc="baseline Russian willingness (logit)")
    ua_willingness: Q("index", -0.5, doc="baseline Ukrainian willingness (logit)")
    seek_bonus: Q("index", 2.5, doc="added to Russian willingness when it seeks a ceasefire")
    bargaining_weight: Q("index", 1.0,
                         doc="Ukrainian willingness per unit bargaining value above zero")
    confidence_weight: Q("index", 1.5,
                         doc="Russian willingness per unit of lost domestic confidence")
    momentum_weight: Q("index", 0.15,
                       doc="willingness lost per km2/day the side gained over 14 days")
    lag_days: Q("days", 10, ge=0, le=120, kind=int, doc="agreement to ceasefire start")
    violation_intensity: Q("fraction", 0.05, ge=0, le=1,
                           doc="combat intensity during a ceasefire relative to war")
    freeze_advance_factor: Q("fraction", 0.02, ge=0, le=1,
                             doc="advance rate during a ceasefire relative to war")
    collapse_probability: Q("1/day", 0.004, ge=0, le=1, doc="daily chance the ceasefire fails")


class IndexParams(Strict):
    incursion_start: Date = Field(dt.date(2024, 8, 6), description="date Ukraine entered Kursk")
    reference_area_km2: Q("km2", 585.0, gt=0, doc="area at which bargaining value is 1")
    duration_weight: Q("index", 0.5, ge=0, doc="bargaining value added per year held")
    confidence_start: Q("index", 0.8, ge=0, le=1, doc="Russian domestic confidence on day 0")
    confidence_cost: Q("1/day", 0.002, ge=0,
                       doc="daily confidence lost per reference area held by Ukraine")
    confidence_recovery: Q("1/day", 0.01, ge=0, le=1,
                           doc="daily recovery toward 1 when no Russian ground is held")
    concession_cost: Q("index", 0.1, ge=0,
                       doc="confidence lost at a ceasefire per reference area left to Ukraine")


class SideParams(Strict):
    replacements_per_day: Q("troops/day", 0, ge=0, kind=int,
                            doc="new troops reaching these two fronts per day")
    ammo_production_per_day: Q("rounds/day", 0.0, ge=0,
                               doc="artillery rounds per day made available to these fronts")
    ammo_depot_rounds: Q("rounds", 0.0, ge=0, doc="rounds in the depots on day 0")
    transfer_days: Q("days", 7, ge=1, le=60, kind=int,
                     doc="days in transit between the two fronts")
    source: str = ""


class ReinforcePolicy(Strict):
    """Russia moves groupings from Donetsk to Kursk when a trigger fires."""

    enabled: bool = False
    trigger_ua_area_km2: Q("km2", 1e9, ge=0, doc="fires when Ukrainian-held Kursk area exceeds")
    trigger_day: Q("days", 10_000, ge=0, kind=int, doc="fires on this day at the latest")
    trigger_confidence_below: Q("index", 0.0, ge=0, le=1,
                                doc="fires when domestic confidence falls below")
    groupings: Q("index", 0, ge=0, le=50, kind=int, doc="Donetsk groupings to move")


class ReleasePolicy(Strict):
    """Economy of force: Russia releases Kursk groupings beyond what containment needs to
    Donetsk ("secure resources for its main goals")."""

    enabled: bool = Field(False, description="release Kursk groupings to Donetsk")
    from_day: Q("days", 0, ge=0, kind=int, doc="releases start on this day")
    containment_ratio: Q("ratio", 2.0, ge=0,
                         doc="RU/UA combat power kept in Kursk (0: release regardless)")
    max_groupings: Q("index", 4, ge=0, le=50, kind=int, doc="groupings released at most")


class StrategicReserve(Strict):
    """Russia reinforces Kursk from outside the two fronts (strategic reserve, allies): fresh
    groupings enter the Kursk front on dated days, drawing nothing from Donetsk. The levers
    are the size (groupings × personnel) and the arrival dates (first day, interval)."""

    enabled: bool = Field(False, description="send groupings from outside the two fronts")
    groupings: Q("index", 4, ge=0, le=50, kind=int, doc="groupings sent")
    personnel: Q("troops", 6000, ge=0, kind=int, doc="troops per grouping")
    armour: Q("vehicles", 35, ge=0, kind=int, doc="tanks and armoured vehicles per grouping")
    artillery: Q("guns", 18, ge=0, kind=int, doc="artillery pieces per grouping")
    quality: Q("index", 0.7, gt=0, le=3, doc="training and experience multiplier")
    morale: Q("fraction", 0.7, ge=0, le=1, doc="cohesion on arrival")
    first_day: Q("days", 10, ge=1, le=1000, kind=int,
                 doc="day the first grouping enters the Kursk front")
    interval_days: Q("days", 7, ge=0, le=365, kind=int, doc="days between two arrivals")
    sectors: list[str] = Field(
        default_factory=lambda: ["west", "north", "east", "south"],
        min_length=1, description="Kursk sectors the groupings enter, in turn")
    source: str = Field("", description="where the size and dates come from")


class RussianPolicy(Strict):
    kursk_attack: bool = True
    kursk_min_force_ratio: Q("ratio", 1.3, ge=0, doc="attack a Kursk sector at this ratio")
    commit_reserve_force_ratio: Q("ratio", 1.0, ge=0,
                                  doc="commit a reserve where UA/RU local ratio exceeds")
    donetsk_attack: bool = True
    donetsk_min_force_ratio: Q("ratio", 1.0, ge=0, doc="attack a Donetsk sector at this ratio")
    replacement_share_kursk: Q("fraction", 0.25, ge=0, le=1,
                               doc="share of replacements sent to Kursk")
    reinforce_kursk: ReinforcePolicy = Field(default_factory=ReinforcePolicy)
    release_to_donetsk: ReleasePolicy = Field(default_factory=ReleasePolicy)
    strategic_reserve: StrategicReserve = Field(default_factory=StrategicReserve)
    redeploy_when_kursk_cleared: bool = Field(
        True, description="send groupings beyond the garrison back to Donetsk once Kursk is clear")
    kursk_garrison_groupings: Q("index", 3, ge=0, kind=int,
                                doc="groupings kept in Kursk after it is cleared")


class GradedDefence(Strict):
    """Ukraine trades space for force in the salient: sectors given up in order as the
    corridor's interdiction rises past each step."""

    order: list[str] = Field(default_factory=list,
                             description="Kursk sectors in the order they are given up")
    interdiction_steps: list[float] = Field(
        default_factory=list, description="corridor interdiction (fraction) at which each is "
        "given up; one per sector of `order`")


class UkrainianPolicy(Strict):
    kursk_counterattack: bool = True
    counterattack_days: Q("days", 12, ge=0, kind=int,
                          doc="days the Kursk counterattack lasts from day 0")
    counterattack_sectors: Q("index", 2, ge=1, le=4, kind=int,
                             doc="Kursk sectors attacked at once (the best local ratios)")
    counterattack_min_force_ratio: Q("ratio", 0.35, ge=0,
                                     doc="keeps attacking while UA/RU local ratio exceeds")
    graded_defence: GradedDefence = Field(default_factory=GradedDefence)
    donetsk_counterattack: bool = True
    donetsk_counter_force_ratio: Q("ratio", 0.9, ge=0,
                                   doc="attack a Donetsk sector when RU/UA local ratio is below")
    replacement_share_kursk: Q("fraction", 0.15, ge=0, le=1,
                               doc="share of replacements sent to Kursk")
    withdraw_from_kursk: bool = True
    withdraw_supply_days_below: Q("days", 1.5, ge=0, doc="withdraw when mean supply falls below")
    withdraw_area_below_km2: Q("km2", 60.0, ge=0, doc="withdraw when the salient shrinks below")
    withdraw_corridor_margin_km: Q("km", 2.0, ge=0,
                                   doc="withdraw when Russian ground is this close to the corridor")
    withdraw_on_places_lost: list[str] = Field(
        default_factory=list, description="withdraw when all of these places are lost")
    commit_reserve_force_ratio: Q("ratio", 2.0, ge=0,
                                  doc="commit a reserve where RU/UA local ratio exceeds")


class Policies(Strict):
    ru: RussianPolicy = Field(default_factory=RussianPolicy)
    ua: UkrainianPolicy = Field(default_factory=UkrainianPolicy)


class Sides(Strict):
    ru: SideParams
    ua: SideParams


class GroupingSpec(Strict):
    name: str
    side: Side
    front: FrontName
    sector: str
    personnel: Q("troops", ge=0, kind=int, doc="troops present on day 0")
    armour: Q("vehicles", 0, ge=0, kind=int, doc="tanks and armoured fighting vehicles")
    artillery: Q("guns", 0, ge=0, kind=int, doc="tube and rocket artillery pieces")
    quality: Q("index", 1.0, ge=0.1, le=3, doc="training and experience multiplier (at "
               "least 0.1: exposure in contact is troops / quality)")
    morale: Q("fraction", 0.7, ge=0, le=1, doc="cohesion on day 0")
    posture: Posture = "defend"
    contingent: str = Field("regular", description="e.g. 'dprk' for North Korean troops")
    fronts: list[FrontName] | None = Field(
        None, description="fronts the grouping may serve on (none = any); every order honours "
                          "it, e.g. the North Korean contingent: [kursk]")
    arrives: Date | None = Field(
        None, description="date the grouping enters the theatre (none = present on day 0)")
    source: str = ""


ORDER_KINDS = ("transfer", "posture", "reserve", "commit", "talks", "withdraw")
#: The fields each kind of order needs besides ``day`` and ``kind``.
ORDER_FIELDS: dict[str, tuple[str, ...]] = {
    "transfer": ("groupings", "front", "sector"), "posture": ("front", "sector", "posture"),
    "reserve": ("groupings",), "commit": ("groupings", "sector"), "talks": ("talks",),
    "withdraw": (),
}


class GameOrder(Strict):
    """One order of a played game, applied at the start of its day (before movement)."""

    day: Q("days", ge=1, le=1000, kind=int, doc="day the order is given (1 = the first step)")
    kind: Literal["transfer", "posture", "reserve", "commit", "talks", "withdraw"] = Field(
        description="transfer: groupings to a sector (another front: in transit for the side's "
                    "transfer_days); posture: attack or defend with the side's line groupings "
                    "in a sector; reserve: pull groupings out of the line; commit: reserves "
                    "into a sector of their front; talks: open or accept talks; withdraw: "
                    "Ukraine leaves the Kursk salient")
    groupings: list[str] = Field(default_factory=list, description="grouping names")
    front: FrontName | None = Field(None, description="front of the sector (transfer, posture)")
    sector: str | None = Field(None, description="sector name on that front")
    posture: Literal["attack", "defend"] | None = Field(None, description="for kind posture")
    talks: Literal["open", "accept"] | None = Field(None, description="for kind talks")

    @model_validator(mode="after")
    def _needs(self) -> GameOrder:
        missing = [k for k in ORDER_FIELDS[self.kind] if not getattr(self, k)]
        if missing:
            raise ValueError(f"a {self.kind} order needs {', '.join(missing)}")
        return self


class Game(Strict):
    """A played game: one side's orders came from a player. ``wargame run`` replays them with
    the game's seed up to ``played_days``, then runs the remaining days by policy with each
    replicate's seed (the played game continued N times)."""

    player: Side = Field(description="the side whose orders come from the player")
    seed: int = Field(ge=0, description="the seed the game was played with")
    played_days: Q("days", 0, ge=0, le=1000, kind=int, doc="days played (replayed exactly)")
    decision_every_days: Q("days", 7, ge=1, le=365, kind=int,
                           doc="days between decision points in the app")
    orders: list[GameOrder] = Field(default_factory=list, description="the order log")


class CalibrationParam(Strict):
    low: float
    high: float


class Scenario(Strict):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    start_date: Date = dt.date(2025, 1, 5)
    days: Q("days", 120, ge=1, le=1000, kind=int, doc="horizon")
    runs: Q("index", 200, ge=1, le=1_000_000, kind=int, doc="default replicates per batch")
    seed: int = Field(20250105, ge=0, le=2**63 - 1, description="default master seed")
    fronts: Fronts
    switches: Switches = Field(default_factory=Switches)
    combat: CombatParams = Field(default_factory=CombatParams)
    advance: AdvanceParams = Field(default_factory=AdvanceParams)
    operations: OperationParams = Field(default_factory=OperationParams)
    exhaustion: ExhaustionParams = Field(default_factory=ExhaustionParams)
    logistics: LogisticsParams = Field(default_factory=LogisticsParams)
    morale: MoraleParams = Field(default_factory=MoraleParams)
    diplomacy: DiplomacyParams = Field(default_factory=DiplomacyParams)
    indices: IndexParams = Field(default_factory=IndexParams)
    sides: Sides
    policy: Policies = Field(default_factory=Policies)
    groupings: list[GroupingSpec] = Field(min_length=1)
    calibration: dict[str, CalibrationParam] = Field(
        default_factory=dict, description="parameter path -> fitting range")
    game: Game | None = Field(None, description="a played game (see Game); none = no player")
    calibration_fit: dict[str, Any] | None = Field(
        None, description="the fit record of fixed calibrated values (method, date, "
        "observations, first, last, groups: {front: [matched, fitted]}), set by a calibration "
        "overlay so every output can state its calibration (docs/VALIDATION.md)")
    calibration_posterior: Path | None = Field(
        None, description="weighted particles of a calibration (Parquet written by `wargame "
        "calibrate`), relative to the file that names it; `wargame run` then gives each "
        "replicate group one posterior draw (docs/VALIDATION.md)")
    calibration_nuisance: list[str] = Field(
        default_factory=list, description="parameters the posterior's fit drew from their "
        "priors in every simulation (its fit record's nuisance) that this scenario takes from "
        "the fit too: in posterior mode each replicate group takes the values its particle's "
        "simulation drew (from the priors where the posterior table lacks them, a fit before "
        "2026-12-03; docs/VALIDATION.md); those the fit did not draw, or not listed, keep the "
        "scenario's values")
    source_path: Path | None = Field(None, exclude=True)

    def all_groupings(self) -> list[GroupingSpec]:
        """The order of battle with the strategic reserve's dated arrivals appended
        (``policy.ru.strategic_reserve``; named ``RU-K-strategic-reserve-<k>``)."""
        sr = self.policy.ru.strategic_reserve
        if not sr.enabled:
            return list(self.groupings)
        return [*self.groupings, *(
            GroupingSpec(name=f"RU-K-strategic-reserve-{k + 1}", side="ru", front="kursk",
                         sector=sr.sectors[k % len(sr.sectors)], personnel=sr.personnel,
                         armour=sr.armour, artillery=sr.artillery, quality=sr.quality,
                         morale=sr.morale, posture="attack",
                         arrives=self.start_date + dt.timedelta(
                             days=sr.first_day + k * sr.interval_days),
                         source=sr.source or "policy.ru.strategic_reserve")
            for k in range(sr.groupings))]

    def map_path(self, front: str) -> Path:
        """Absolute path of a front's map file."""
        p = getattr(self.fronts, front).map
        base = self.source_path.parent if self.source_path else Path.cwd()
        return p if p.is_absolute() else (base / p).resolve()

    def front_map(self, front: str) -> FrontMap:
        """A front's map (``sim.space.load_map`` of its file and start line; built once per
        process and file). Raises :class:`sim.space.MapError` for a bad file."""
        from sim.space import load_map

        return load_map(self.map_path(front), getattr(self.fronts, front).start_line)

    def value_at(self, key: str) -> float | None:
        """The numeric value at a dotted path (list items by index or name), or None; walks
        the model itself (no dump of the whole scenario)."""
        node: Any = self
        for part in key.split("."):
            node = _child(node, part)
            if node is _MISSING:
                return None
        return float(node) if isinstance(node, int | float) and not isinstance(node, bool) else None

    def value_problems(self, key: str, values: Sequence[float], integer: bool = False,
                       item: str = "value") -> list[str]:
        """Why each of ``values`` cannot be the parameter at ``key`` (empty when all can), one
        line each naming the ``item`` (``value 3: ...``): the field's own type and range,
        checked on the whole column at once. ``integer``: the values are declared whole
        numbers, so the field must be one."""
        parts = key.split(".")
        node: Any = self
        for part in parts[:-1]:
            node = _child(node, part)
        fields = type(node).model_fields if isinstance(node, BaseModel) else {}
        info = fields.get(parts[-1])
        if info is None or info.exclude:
            if self.value_at(key) is None:
                return [f"{key}: not a numeric parameter of scenario {self.name}"]
            out = []  # a mapping's entry: through the whole model, one value at a time
            for i, v in enumerate(values):
                try:
                    self.replace({key: v})
                except ScenarioError as exc:
                    out.append(f"{item} {i}: {exc.problems[0]}")
            return out
        if integer and info.annotation is not int:
            return [f"{key}: declared a whole number, but the parameter is real-valued"]
        adapter = _column_adapter(type(node), parts[-1])
        try:
            adapter.validate_python(list(values))
        except ValidationError as exc:
            return [f"{item} {err['loc'][0]}: {key}: {err['msg'].removeprefix('Value error, ')}"
                    f" (got {repr(err.get('input'))[:40]})" for err in exc.errors()]
        return []

    def replace(self, values: Mapping[str, float]) -> Scenario:
        """A copy with dotted-path parameters set, validated once (the schema's ranges and the
        checks between keys that a value can change; the map files are not read again: a value
        cannot change which sectors and places they hold). Raises :class:`ScenarioError`."""
        if not values:
            return self
        data = self.model_dump()
        where = str(self.source_path) if self.source_path else "<scenario>"
        for key, value in values.items():
            parts = key.split(".")
            node: Any = data
            for part in parts[:-1]:
                node = _child(node, part)
                if not isinstance(node, dict | list):
                    raise ScenarioError([f"{where}: {key}: not a parameter of the scenario"])
            last = parts[-1]
            if isinstance(node, list):
                idx = list_index(node, last)
                if idx is None:
                    raise ScenarioError([f"{where}: {key}: not a parameter of the scenario"])
                node[idx] = value
            elif isinstance(node, dict) and last in node:
                node[last] = value
            else:
                raise ScenarioError([f"{where}: {key}: not a parameter of the scenario"])
        try:
            scn = Scenario.model_validate({**data, "source_path": self.source_path})
        except ValidationError as exc:
            raise ScenarioError([_problem_line(where, err) for err in exc.errors()]) from None
        problems = consistency_problems(scn)
        if problems:
            raise ScenarioError([f"{where}: {dotted(loc)}: {msg}" for loc, msg in problems])
        return scn


_MISSING = object()


@functools.cache
def _column_adapter(model: type[BaseModel], name: str) -> TypeAdapter:
    """A validator of a list of values of ``model.name`` (built once: ~6 ms each)."""
    info = model.model_fields[name]
    return TypeAdapter(list[Annotated[(info.annotation, *info.metadata)]])


def list_index(node: list, part: str) -> int | None:
    """An item of a list by index (0..n-1 only, as the messages say) or by its ``name``."""
    if part.lstrip("-").isdigit():
        idx = int(part)
        return idx if 0 <= idx < len(node) else None
    for i, item in enumerate(node):
        name = item.get("name") if isinstance(item, dict) else getattr(item, "name", None)
        if isinstance(item, dict | BaseModel) and str(name) == part:
            return i
    return None


def _child(node: Any, part: str) -> Any:
    """One step of a dotted path into a model, a mapping or a list (``_MISSING`` if none)."""
    if isinstance(node, BaseModel):
        fields = type(node).model_fields
        if part not in fields or fields[part].exclude:
            return _MISSING
        return getattr(node, part)
    if isinstance(node, dict):
        return node.get(part, _MISSING)
    if isinstance(node, list):
        idx = list_index(node, part)
        return _MISSING if idx is None else node[idx]
    return _MISSING


def _problem_line(where: str, err: Mapping[str, Any]) -> str:
    loc = tuple(err["loc"])
    got = err.get("input")
    shown = "" if isinstance(got, dict | list) else f" (got {repr(got)[:60]})"
    unit = unit_at(loc)
    return (f"{where}: {dotted(loc)}: {err['msg'].removeprefix('Value error, ')}{shown}"
            + (f" [unit: {unit}]" if unit else ""))


def consistency_problems(scn: Scenario) -> list[tuple[tuple, str]]:
    """Checks between keys that need no file (``(key path, problem)`` pairs): names, dates,
    steps, fitting ranges and the order log of a game. The map checks are in
    :func:`sim.scenario.loading.cross_check`."""
    out: list[tuple[tuple, str]] = []
    seen: set[str] = set()
    for i, g in enumerate(scn.groupings):
        if g.name in seen:
            out.append((("groupings", i, "name"), f"duplicate grouping name '{g.name}'"))
        seen.add(g.name)
        if g.arrives is not None and g.arrives <= scn.start_date:
            out.append((("groupings", i, "arrives"), f"date {g.arrives} is not after the start "
                        f"date {scn.start_date}; leave it out for groupings present on day 0"))
        elif g.arrives is not None and (g.arrives - scn.start_date).days >= MAX_ARRIVAL_DAYS:
            out.append((("groupings", i, "arrives"), f"date {g.arrives} is {MAX_ARRIVAL_DAYS} "
                        f"days or more after the start date {scn.start_date}"))
        if g.fronts is not None and g.front not in g.fronts:
            out.append((("groupings", i, "front"), f"'{g.front}' is not among the grouping's "
                        f"fronts ({', '.join(g.fronts)})"))
    for front in Fronts.model_fields:
        since = getattr(scn.fronts, front).fighting_since
        if since is not None and since > scn.start_date:
            out.append((("fronts", front, "fighting_since"), f"date {since} is after the start "
                        f"date {scn.start_date}; allowed: on or before it"))
    graded = scn.policy.ua.graded_defence
    if len(graded.interdiction_steps) != len(graded.order):
        out.append((("policy", "ua", "graded_defence", "interdiction_steps"),
                    f"{len(graded.interdiction_steps)} steps for {len(graded.order)} sectors; "
                    "allowed: one step per sector of `order`"))
    if any(not 0 <= x <= 1 for x in graded.interdiction_steps):
        out.append((("policy", "ua", "graded_defence", "interdiction_steps"),
                    "allowed: fractions between 0 and 1"))
    talks = scn.diplomacy.talks_open
    if talks is not None and talks < scn.start_date:
        out.append((("diplomacy", "talks_open"),
                    f"date {talks} is before the start date {scn.start_date}"))
    if scn.indices.incursion_start > scn.start_date:
        out.append((("indices", "incursion_start"), f"date {scn.indices.incursion_start} is "
                    f"after the start date {scn.start_date}"))
    for side in ("ru", "ua"):
        if not any(g.side == side for g in scn.groupings):
            out.append((("groupings",), f"no grouping for side '{side}'"))
    if scn.game is not None:
        out.extend(_game_problems(scn))
    for key, rng in scn.calibration.items():
        if rng.low >= rng.high:
            out.append((("calibration", key), f"low {rng.low} must be below high {rng.high}"))
        elif scn.value_at(key) is None:
            out.append((("calibration", key), "not a numeric parameter of the scenario"))
    return out


def _game_problems(scn: Scenario) -> list[tuple[tuple, str]]:
    """The order log names the player's groupings, within the played days."""
    game = scn.game
    out: list[tuple[tuple, str]] = []
    if game.played_days > scn.days:
        out.append((("game", "played_days"),
                    f"{game.played_days} is beyond the horizon of {scn.days} days"))
    sides = {g.name: g.side for g in scn.groupings}
    for j, order in enumerate(game.orders):
        if order.day > game.played_days:
            out.append((("game", "orders", j, "day"),
                        f"day {order.day} is after played_days {game.played_days}"))
        for name in order.groupings:
            if name not in sides:
                hint = difflib.get_close_matches(name, sorted(sides), n=1)
                did = f" (did you mean '{hint[0]}'?)" if hint else ""
                out.append((("game", "orders", j, "groupings"),
                            f"unknown grouping '{name}'{did}"))
            elif sides[name] != game.player:
                out.append((("game", "orders", j, "groupings"), f"'{name}' is not a grouping "
                            f"of the player's side '{game.player}'"))
        if order.kind == "withdraw" and game.player != "ua":
            out.append((("game", "orders", j, "kind"),
                        "only Ukraine withdraws from the Kursk salient"))
    return out



# ---------------------------------------------------------------- introspection (for messages)


def _model_at(loc: Sequence) -> tuple[type[BaseModel] | None, str | None]:
    """The pydantic model that holds the last element of ``loc``, and that field's name."""
    model: Any = Scenario
    for i, part in enumerate(loc):
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None, None
        if part not in model.model_fields:
            return None, None
        if i == len(loc) - 1:
            return model, part
        ann = model.model_fields[part].annotation
        model = _inner_model(ann)
        if model is not None and i + 1 < len(loc) and isinstance(loc[i + 1], int):
            loc = (*loc[: i + 1], *loc[i + 2:])  # a list index: step into the item type
    return None, None


def _inner_model(ann: Any) -> type[BaseModel] | None:
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    for arg in typing.get_args(ann):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def allowed_keys(loc: Sequence) -> list[str]:
    model: Any = Scenario
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return []
        field = model.model_fields.get(part)
        if field is None:
            return []
        model = _inner_model(field.annotation)
    if model is None:
        return []
    return [k for k in model.model_fields if k != "source_path"]


def unit_at(loc: Sequence) -> str | None:
    clean = [p for p in loc if not isinstance(p, int)]
    model, field = _model_at(clean)
    return unit_of(model, field) if model else None
