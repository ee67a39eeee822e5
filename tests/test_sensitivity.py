"""Sensitivity analysis code path checked on analytic functions (outside the wargame)."""

from __future__ import annotations

import numpy as np
import pytest
from SALib.test_functions import Ishigami

from sim.analysis import analyze_design, make_design, prcc, ranking

ISHIGAMI = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}
S1 = [0.3139, 0.4424, 0.0]
ST = [0.5576, 0.4424, 0.2437]


def test_sobol_indices_of_ishigami_match_known_values() -> None:
    X = make_design(ISHIGAMI, "sobol", 1024, seed=20250105)
    t = analyze_design(ISHIGAMI, X, Ishigami.evaluate(X), "sobol", seed=1)
    for idx, truth in (("S1", S1), ("ST", ST)):
        rows = t[t["index"] == idx].set_index("parameter")
        for name, true in zip(ISHIGAMI["names"], truth, strict=True):
            r = rows.loc[name]
            # within SALib's 95 % bootstrap interval (widened by 0.02 for interval noise)
            assert r["low"] - 0.02 <= true <= r["high"] + 0.02, (idx, name, r.to_dict())
            assert abs(r["value"] - true) < 0.08
    ranks = ranking(t, "ST")["y"]
    assert ranks[0].startswith("1. x1") and "x3" in ranks[2]


def test_morris_ranks_ishigami() -> None:
    X = make_design(ISHIGAMI, "morris", 60, seed=3)
    t = analyze_design(ISHIGAMI, X, Ishigami.evaluate(X), "morris", seed=1)
    mu = t[t["index"] == "mu_star"].set_index("parameter")["value"]
    assert (mu > 0).all() and mu["x1"] > mu["x3"]
    sigma = t[t["index"] == "sigma"].set_index("parameter")["value"]
    assert sigma["x3"] > 0  # x3 acts only through its interaction with x1


def test_rank_correlations_on_a_linear_function() -> None:
    X = make_design({"num_vars": 3, "names": list("abc"), "bounds": [[0, 1]] * 3}, "lhs", 200,
                    seed=2)
    rng = np.random.default_rng(0)
    y = 3 * X[:, 0] - 1 * X[:, 1] + 0 * X[:, 2] + rng.normal(0, 0.2, len(X))
    t = analyze_design({"names": list("abc")}, X, y, "lhs")
    p = t[t["index"] == "PRCC"].set_index("parameter")
    assert p.loc["a", "value"] > 0.9 and p.loc["a", "low"] > 0
    assert p.loc["b", "value"] < -0.5 and p.loc["b", "high"] < 0
    assert p.loc["c", "low"] < 0 < p.loc["c", "high"]
    np.testing.assert_allclose(prcc(X, y), p["value"].to_numpy())
    lines = ranking(t, "PRCC")["y"]
    assert "lower outcome" in lines[1] and "no clear effect" in lines[2]


def test_unknown_method() -> None:
    with pytest.raises(ValueError):
        analyze_design(ISHIGAMI, np.zeros((2, 3)), np.zeros(2), "fourier")


def test_report_section_is_self_contained(tmp_path) -> None:
    import pandas as pd

    from sim.analysis import SensitivityResult, analyze_design
    from sim.viz import report_section

    X = make_design({"num_vars": 2, "names": ["a", "b"], "bounds": [[0, 1]] * 2}, "lhs", 30,
                    seed=1)
    y = X[:, 0] - X[:, 1]
    t = analyze_design({"names": ["a", "b"]}, X, y, "lhs", outcome="y@1")
    df = pd.DataFrame({"point": range(30), "run": 0, "seed": 1, "a": X[:, 0], "b": X[:, 1],
                       "y@1": y})
    html = report_section(SensitivityResult(tmp_path, "lhs", "correlation", t, df, ["a", "b"]))
    assert html.count("data:image/png;base64,") == 2 and "matters most" in html
