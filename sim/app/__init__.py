"""The browser app (``wargame app``): watch a run, play a side, browse batches.

A Mesa SolaraViz/Solara app, in the optional ``app`` extra (``pip install -e '.[app]'``). The
top layer: it may import every other sub-package; nothing imports it but the CLI command.

Modules: ``session`` (the app's logic without a browser: building models from the page's
levers, a played game, previews, batch browsing), ``drawing`` (matplotlib figures of the
model's state), ``components`` (Solara components), ``app`` (the pages), ``server``
(starting Solara on the loopback address).
"""

from sim.app.drawing import fig_charts, fig_fronts
from sim.app.server import pick_port, serve
from sim.app.session import PlaySession, WatchModel, app_root, preview, watch_scenario

__all__ = ["PlaySession", "WatchModel", "app_root", "fig_charts", "fig_fronts", "pick_port",
           "preview", "serve", "watch_scenario"]
