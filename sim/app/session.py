"""The app's logic, without a browser: models built from the page's levers, a played game
with its decision points, order log, Monte Carlo preview and save, and batch browsing. The
pages only call these (and the tests do too)."""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.model import WarModel
from sim.runner import atomic_write_bytes
from sim.scenario import (
    Game,
    GameOrder,
    Scenario,
    ScenarioError,
    load_scenario,
    resolved_yaml,
    with_values,
)

AS_SCENARIO = "as scenario"
#: Events that stop a played game before its weekly decision point.
TRIGGERS = frozenset({"transfer_departed", "withdrawal", "agreement", "ceasefire_started",
                      "ceasefire_collapsed", "place_captured", "grouping_broken", "talks_opened"})
MAX_SEED = 2**63 - 1  # the CLI's --seed range
TALKS_DATES = (AS_SCENARIO, "none", "2025-02-01", "2025-03-01", "2025-04-01", "2025-05-01")


def app_root() -> Path:
    """The folder holding ``scenarios/`` and ``results/`` (``wargame app`` sets it)."""
    return Path(os.environ.get("WARGAME_ROOT", Path.cwd()))


def scenario_files(root: Path | None = None) -> list[str]:
    folder = (root or app_root()) / "scenarios"
    return sorted(p.name for p in folder.glob("*.yaml") if p.is_file() and not p.is_symlink())


def result_folders(root: Path | None = None) -> list[str]:
    """Batch folders under ``results/``, as paths relative to it: ``reinforce`` and, one level
    down, those ``wargame run --out results/options`` writes (``options/reinforce``); real
    folders only, not symbolic links (Browse never follows a link out of ``results/``)."""
    folder = (root or app_root()) / "results"
    found = [*folder.glob("*/manifest.json"), *folder.glob("*/*/manifest.json")]
    return sorted(p.parent.relative_to(folder).as_posix() for p in found
                  if not any(q.is_symlink() for q in (p, p.parent, p.parent.parent)
                             if q != folder))


def result_folder(name: str, root: Path | None = None) -> Path:
    """The batch folder ``results/<name>``, or ValueError when ``name`` is not one of
    :func:`result_folders` (a path, a link, ``..``)."""
    if name not in result_folders(root):
        raise ValueError(f"{name[:80]!r}: not a batch folder under results/")
    return (root or app_root()) / "results" / name


def watch_scenario(scenario_file: str, *, reinforce: str = AS_SCENARIO,
                   transfer_groupings: int = -1, trigger_day: int = -1,
                   talks_open: str = AS_SCENARIO, ua_counterattack: str = AS_SCENARIO,
                   ua_withdraw: str = AS_SCENARIO, withdraw_area_km2: int = -1,
                   root: Path | None = None) -> Scenario:
    """The scenario file under ``scenarios/`` with the page's levers applied (validated like
    ``--set``); ``AS_SCENARIO`` or -1 leaves a lever as the file has it."""
    scn = load_scenario((root or app_root()) / "scenarios" / scenario_file)
    values: dict[str, Any] = {}
    onoff = {"on": True, "off": False}
    if reinforce in onoff:
        values["policy.ru.reinforce_kursk.enabled"] = onoff[reinforce]
    if transfer_groupings >= 0:
        values["policy.ru.reinforce_kursk.groupings"] = transfer_groupings
    if trigger_day >= 0:
        values["policy.ru.reinforce_kursk.trigger_day"] = trigger_day
    if talks_open != AS_SCENARIO:
        values["diplomacy.talks_open"] = None if talks_open == "none" else talks_open
    if ua_counterattack in onoff:
        values["policy.ua.kursk_counterattack"] = onoff[ua_counterattack]
    if ua_withdraw in onoff:
        values["policy.ua.withdraw_from_kursk"] = onoff[ua_withdraw]
    if withdraw_area_km2 >= 0:
        values["policy.ua.withdraw_area_below_km2"] = withdraw_area_km2
    return with_values(scn, values) if values else scn


class WatchModel(WarModel):
    """The model of the Watch page: keyword parameters only, as Mesa's SolaraViz re-creates
    the model from its controls on Reset."""

    def __init__(self, scenario_file: str = "baseline.yaml", seed: int = 1,
                 reinforce: str = AS_SCENARIO, transfer_groupings: int = -1,
                 trigger_day: int = -1, talks_open: str = AS_SCENARIO,
                 ua_counterattack: str = AS_SCENARIO, ua_withdraw: str = AS_SCENARIO,
                 withdraw_area_km2: int = -1) -> None:
        scn = watch_scenario(scenario_file, reinforce=reinforce,
                             transfer_groupings=transfer_groupings, trigger_day=trigger_day,
                             talks_open=talks_open, ua_counterattack=ua_counterattack,
                             ua_withdraw=ua_withdraw, withdraw_area_km2=withdraw_area_km2)
        super().__init__(scn, rng=int(seed))
        self.scenario_file = scenario_file


def check_upload(name: str, data: bytes, root: Path | None = None) -> str:
    """Validate an uploaded scenario in memory with the CLI's loader, as if it were
    ``scenarios/uploaded-<name>`` (so ``extends:`` and map paths resolve as for the shipped
    files), and only then save it there atomically; return that file name. Each call works on
    its own bytes: two connections uploading at once never share a file. Raises ScenarioError
    with the CLI's text (the upload named by ``name``)."""
    folder = (root or app_root()) / "scenarios"
    stem = "".join(c if c.isalnum() or c in "-_" else "-" for c in Path(name).stem)[:60]
    target = folder / f"uploaded-{stem or 'scenario'}.yaml"
    shown = name[:80] or "upload"
    if target.is_symlink():  # resolved, it would also move where extends: may reach
        raise ScenarioError([f"{target}: is a symbolic link; not replaced"])
    try:
        load_scenario(target, text=bytes(data))
    except ScenarioError as exc:
        raise ScenarioError([p.replace(str(target.resolve()), shown).replace(str(target), shown)
                             for p in exc.problems]) from None
    atomic_write_bytes(target, bytes(data))
    return target.name


# ------------------------------------------------------------------------------- play


def _copy(model: WarModel) -> WarModel:
    """A deep copy of the model that shares the immutable maps and scenario."""
    memo: dict[int, Any] = {id(m): m for m in model.maps.values()}
    memo[id(model.scn)] = model.scn
    return copy.deepcopy(model, memo)


def preview(model: WarModel, seed: int, n: int = 50, days: int = 28,
            columns: tuple[str, ...] = ("kursk_ua_km2", "donetsk_ru_gain_km2")
            ) -> dict[str, np.ndarray]:
    """``n`` Monte Carlo continuations of ``days`` days from the model's current state (queued
    orders included; the player's side otherwise holds its orders). Copy k is reseeded from
    child k of ``SeedSequence(seed, spawn_key=(day,))``, so a preview is reproducible.
    Returns each column as an array of runs × (days + 1), day 0 being today."""
    today = model.day
    days = max(0, min(days, model.days - today))
    children = np.random.SeedSequence(seed, spawn_key=(today,)).spawn(n)
    out = {c: np.empty((n, days + 1)) for c in columns}
    for k, child in enumerate(children):
        m = _copy(model)
        m.reseed(child)
        for _ in range(days):
            m.step()
        rec = m.record_columns()
        for c in columns:
            out[c][k] = rec[c][today:today + days + 1]
    return out


@dataclass
class PlaySession:
    """One played game: the player's side takes orders at decision points (every
    ``every`` days and when a trigger event fires); the other side follows its policy."""

    scenario_file: str
    player: str = "ua"
    seed: int = 1
    every: int = 7
    root: Path | None = None
    model: WarModel = field(init=False)
    scenario: Scenario = field(init=False)
    reason: str = field(init=False, default="start of the game")

    def __post_init__(self) -> None:
        if not isinstance(self.seed, int) or not 0 <= self.seed <= MAX_SEED:
            raise ValueError(f"seed: expected a whole number from 0 to {MAX_SEED}, got "
                             f"{str(self.seed)[:40]}")
        if self.player not in ("ua", "ru"):
            raise ValueError(f"side: expected ua or ru, got {str(self.player)[:20]!r}")
        base = load_scenario((self.root or app_root()) / "scenarios" / self.scenario_file)
        game = Game(player=self.player, seed=self.seed, decision_every_days=self.every)
        self.scenario = base.model_copy(update={"game": game})
        self.model = WarModel(self.scenario, rng=self.seed)

    @property
    def day(self) -> int:
        return self.model.day

    @property
    def over(self) -> bool:
        return not self.model.running

    def my_groupings(self) -> list[str]:
        side = 0 if self.player == "ru" else 1
        return [g.name for g in self.model.groupings if g.side == side]

    def order(self, kind: str, **fields: Any) -> GameOrder:
        """Queue an order for tomorrow; raises OrderError or pydantic's ValueError."""
        o = GameOrder(day=self.model.day + 1, kind=kind,
                      **{k: v for k, v in fields.items() if v not in (None, "", [])})
        self.model.player.submit(o)
        return o

    def queued(self) -> list[GameOrder]:
        return list(self.model.player.queue)

    def advance(self) -> str:
        """Play on to the next decision point; returns why the game stopped there."""
        m = self.model
        while m.running:
            n0 = len(m.events)
            m.step()
            fired = [e for e in m.events[n0:] if e[1] in TRIGGERS]
            if not m.running:
                self.reason = "end of the game"
            elif fired:
                self.reason = f"{fired[0][1].replace('_', ' ')}: {fired[0][2]}"
            elif m.day % self.every == 0:
                self.reason = "weekly decision point"
            else:
                continue
            return self.reason
        self.reason = "end of the game"
        return self.reason

    def preview(self, n: int = 50, days: int = 28) -> dict[str, np.ndarray]:
        return preview(self.model, self.seed, n, days)

    def saved(self) -> Scenario:
        """The game so far as a scenario (the format ``wargame run`` reads)."""
        game = self.scenario.game.model_copy(update={
            "played_days": self.model.day, "orders": list(self.model.player.applied)})
        return self.scenario.model_copy(update={"game": game})

    def save_yaml(self, folder: Path | None = None) -> str:
        """The saved game as YAML; with ``folder`` (where it is written) its map and posterior
        files are named relative to it, so the save moves with the project."""
        return resolved_yaml(self.saved(), relative_to=folder)

    def save(self) -> Path:
        """Write the game so far under ``results/games/`` as a new file (``-2``, ``-3``...
        when the name is taken: an earlier save is never overwritten) and return its path."""
        folder = (self.root or app_root()) / "results" / "games"
        folder.mkdir(parents=True, exist_ok=True)
        if folder.is_symlink():
            raise OSError(f"{folder}: is a symbolic link; not written")
        stem = f"{Path(self.scenario_file).stem}-{self.player}-seed{self.seed}-day{self.day}"
        tmp = folder / f".{stem}.{os.getpid()}.{id(self)}.tmp"
        atomic_write_bytes(tmp, self.save_yaml(folder).encode("utf-8"))  # whole, or not at all
        try:
            for k in range(1, 1000):
                path = folder / (f"{stem}.yaml" if k == 1 else f"{stem}-{k}.yaml")
                try:
                    os.link(tmp, path)  # fails if the name exists, never overwrites
                except FileExistsError:
                    continue
                return path
        finally:
            tmp.unlink(missing_ok=True)
        raise OSError(f"{folder}: 999 saves named {stem}; move some away")
