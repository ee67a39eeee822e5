"""Play mode in the model: one side's orders from outside (PlayerCommand), a saved game as a
scenario with a ``game:`` section, replayed bit for bit and continued by policy."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from conftest import SCENARIOS

from sim.model import OrderError, WarModel, run
from sim.scenario import Game, GameOrder, ScenarioError, load_scenario, resolved_yaml

GAME_SEED = 7


@pytest.fixture(scope="module")
def base():
    return load_scenario(SCENARIOS / "baseline.yaml", overrides=["days=30"])


def _play(scn, player, orders_by_day, days):
    """Play ``days`` days live: orders are submitted at the decision point before their day."""
    game = scn.model_copy(update={"game": Game(player=player, seed=GAME_SEED)})
    model = WarModel(game, rng=GAME_SEED)
    while model.day < days:
        for order in orders_by_day.get(model.day + 1, []):
            model.player.submit(order)
        model.step()
    return game, model


def _saved(game, model):
    g = game.game.model_copy(update={"played_days": model.day,
                                     "orders": list(model.player.applied)})
    return game.model_copy(update={"game": g})


def test_transfer_arrives_after_the_sides_transfer_days(base):
    order = GameOrder(day=3, kind="transfer", groupings=["UA-D-reserve-1"], front="kursk",
                      sector="north")
    days = base.sides.ua.transfer_days
    game, model = _play(base, "ua", {3: [order]}, 3)
    g = next(g for g in model.groupings if g.name == "UA-D-reserve-1")
    assert g.posture == "transit"
    # transfer_days days of movement, counting the day it leaves (as for a policy's transfer)
    while model.day < 3 + days - 2:
        model.step()
        assert g.posture == "transit"
    model.step()
    assert (g.front, g.sector, g.posture) == ("kursk", "north", "defend")
    ev = model.event_frame()
    arrived = ev[(ev["kind"] == "transfer_arrived") & (ev["subject"] == "UA-D-reserve-1")]
    assert arrived["day"].tolist() == [3 + days - 1]


def test_replay_reproduces_the_played_record_then_continues_by_policy(base, tmp_path):
    orders = {2: [GameOrder(day=2, kind="posture", front="kursk", sector="east",
                            posture="defend"),
                  GameOrder(day=2, kind="reserve", groupings=["UA-D-toretsk-2"])],
              5: [GameOrder(day=5, kind="transfer", groupings=["UA-K-reserve"],
                            front="donetsk", sector="pokrovsk")],
              9: [GameOrder(day=9, kind="talks", talks="open")]}
    game, model = _play(base, "ua", orders, 12)
    played = model.record_columns()
    saved = _saved(game, model)
    # through the file format the CLI reads
    path = tmp_path / "saved.yaml"
    path.write_text(resolved_yaml(saved), encoding="utf-8")
    loaded = load_scenario(path)
    assert loaded.game == saved.game
    a, b = run(loaded, seed=1), run(loaded, seed=2)
    for res in (a, b):
        for col, values in played.items():
            np.testing.assert_array_equal(res.columns[col][:13], values, err_msg=col)
    # the continuations differ (each replicate's own seed after the played days)
    assert not np.array_equal(a.columns["kursk_ua_km2"], b.columns["kursk_ua_km2"])
    assert len(a.columns["day"]) == base.days + 1


def test_a_bad_order_gives_one_clear_error(base):
    game, model = _play(base, "ua", {}, 1)
    with pytest.raises(OrderError, match=r"^day 2 transfer order: 'RU-K-west-1' is not one "
                                         r"of ua's groupings$"):
        model.player.submit(GameOrder(day=2, kind="transfer", groupings=["RU-K-west-1"],
                                      front="donetsk", sector="pokrovsk"))
    with pytest.raises(OrderError, match="unknown sector 'nowhere' on the kursk front"):
        model.player.submit(GameOrder(day=2, kind="transfer", groupings=["UA-K-west"],
                                      front="kursk", sector="nowhere"))
    with pytest.raises(OrderError, match="'UA-K-west' is not in reserve"):
        model.player.submit(GameOrder(day=2, kind="commit", groupings=["UA-K-west"],
                                      sector="north"))
    with pytest.raises(OrderError, match="has been played already"):
        model.player.submit(GameOrder(day=1, kind="talks", talks="open"))
    with pytest.raises(ValueError, match="a transfer order needs front, sector"):
        GameOrder(day=2, kind="transfer", groupings=["UA-K-west"])


def test_a_bad_order_log_is_a_scenario_error(tmp_path, base):
    game = base.model_copy(update={"game": Game(
        player="ua", seed=1, played_days=5,
        orders=[GameOrder(day=6, kind="reserve", groupings=["UA-K-wset"])])})
    path = tmp_path / "bad.yaml"
    path.write_text(resolved_yaml(game), encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    text = str(err.value)
    assert "game.orders.0.day: day 6 is after played_days 5" in text
    assert "unknown grouping 'UA-K-wset' (did you mean 'UA-K-west'?)" in text


def test_a_scenario_without_a_game_keeps_its_resolved_yaml(base):
    # the key, not the text: the resolved YAML names map files by path, and a clone's path
    # may contain "game"
    assert "game" not in yaml.safe_load(resolved_yaml(base))
