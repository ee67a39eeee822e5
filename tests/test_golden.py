"""Golden records: the daily record and events of three seeds of every option, pinned.

The files in ``tests/golden/`` were written by ``tests/golden/make_golden.py``. A refactoring must
leave them identical; a change meant to alter behaviour regenerates them in its own commit and
says why (see ``git log tests/golden``).

Events, counts and every integer column must match exactly; float columns to 1e-12 relative.
The files travel between machines, and numpy's vectorised transcendental functions take a
CPU-specific path (AVX-512 or AVX2) whose last bit can differ: records written on an AVX-512
machine differed on an AVX2 one (AMD EPYC) in 2-3 ulp of the Kursk interdiction and the lines
(at most 2e-15 relative), with every count and event equal. A behaviour change moves far more.
On one machine a run is bit-identical whatever the batch, workers or executor
(tests/test_model.py, tests/test_posterior_batches.py).
"""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import REPO

GOLDEN = REPO / "tests" / "golden"


@pytest.fixture(scope="module")
def fresh() -> dict[str, pd.DataFrame]:
    import sys

    sys.path.insert(0, str(GOLDEN))
    from make_golden import records

    return records()


@pytest.mark.parametrize("option", ["baseline", "reinforce", "donetsk_focus", "ceasefire",
                                    "hindcast_2024"])
@pytest.mark.parametrize("table", ["daily", "events"])
def test_record_matches_the_golden_file(fresh, option, table):
    key = f"{option}.{table}"
    pinned = pd.read_parquet(GOLDEN / f"{key}.parquet")
    # Parquet stores dates at a coarser unit than numpy's day; the dates themselves must match.
    got = fresh[key].astype({"date": pinned["date"].dtype})
    pd.testing.assert_frame_equal(got, pinned, check_exact=False, rtol=1e-12, atol=1e-12)
