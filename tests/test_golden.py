"""Golden records: the daily record and events of three seeds of every option, pinned bit for bit.

The files in ``tests/golden/`` were written by ``tests/golden/make_golden.py``. A refactoring must
leave them identical; a change meant to alter behaviour regenerates them in its own commit and
says why (see ``git log tests/golden``).
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
def test_record_is_bit_identical_to_the_golden_file(fresh, option, table):
    key = f"{option}.{table}"
    pinned = pd.read_parquet(GOLDEN / f"{key}.parquet")
    # Parquet stores dates at a coarser unit than numpy's day; the dates themselves must match.
    got = fresh[key].astype({"date": pinned["date"].dtype})
    pd.testing.assert_frame_equal(got, pinned, check_exact=True)
