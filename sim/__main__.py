"""``python -m sim`` is ``wargame``; the ``wargame`` script calls :func:`main` too."""

import gc


def main() -> None:
    """Run ``wargame`` with the garbage collector paused from the first import on: importing
    the CLI (the scenario schema, pydantic, numpy, scipy) is a third of a 1-run batch's
    start-up, and the collections it triggers only rescan what it builds
    (``sim.cli.common.pause_gc``; the command resumes collecting when its start-up ends)."""
    collecting = gc.isenabled()
    gc.disable()
    from sim.cli import run_cli

    run_cli(gc_paused=collecting)


if __name__ == "__main__":
    main()
