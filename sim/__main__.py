"""``python -m sim`` is ``wargame``."""

from sim.cli import run_cli

run_cli()
