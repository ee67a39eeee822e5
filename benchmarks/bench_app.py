"""Is the app fast enough to play? One model step plus rendering the Watch page's figures
(both front maps and the four charts, as PNG like the page; target < 0.5 s) and the Play
page's preview: 50 Monte Carlo continuations of four weeks (target <= 5 s on 2 cores).
Prints the machine's load beside the figures.

    PYTHONPATH=. python benchmarks/bench_app.py
"""

from __future__ import annotations

import io
import os
import statistics
import time

from sim.app import PlaySession, WatchModel, fig_charts, fig_fronts


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.2f} (1 min) {five:.2f} (5 min) on {os.cpu_count()} cores"


def main() -> None:
    model = WatchModel(scenario_file="baseline.yaml", seed=1)
    for _ in range(5):
        model.step()
    times = []
    for _ in range(10):
        t0 = time.perf_counter()
        model.step()
        for fig in (fig_fronts(model), fig_charts(model)):
            fig.savefig(io.BytesIO(), format="png", dpi=72)
        times.append(time.perf_counter() - t0)
    print(f"step + render: median {statistics.median(times):.3f} s, best {min(times):.3f} s "
          f"(target < 0.5 s); {load()}")

    game = PlaySession("baseline.yaml", "ua", 1)
    game.advance()
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        game.preview(50, 28)
        times.append(time.perf_counter() - t0)
    print(f"preview 50 x 28 days from day {game.day}: median {statistics.median(times):.2f} s, "
          f"best {min(times):.2f} s (target <= 5 s); {load()}")


if __name__ == "__main__":
    main()
