"""``python -m sim`` is ``wargame``."""

from sim.cli import app

app(prog_name="wargame")
