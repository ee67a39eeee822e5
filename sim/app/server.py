"""Start the Solara server for the app (``wargame app``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def serve(host: str = "127.0.0.1", port: int = 8765, root: Path | None = None) -> int:
    """Run ``solara run sim.app.app`` in production mode on ``host:port`` until interrupted;
    ``root`` (default: $WARGAME_ROOT, else the current directory) holds ``scenarios/`` and
    ``results/``. Returns the server's exit code."""
    root = root or Path(os.environ.get("WARGAME_ROOT", Path.cwd()))
    env = dict(os.environ, WARGAME_ROOT=str(root.resolve()),
               SOLARA_TELEMETRY_MIXPANEL_ENABLE="False", SOLARA_TELEMETRY_SENTRY_ENABLE="False")
    cmd = [sys.executable, "-m", "solara", "run", "sim.app.app", "--host", host, "--port",
           str(port), "--production", "--no-open", "--no-check-version", "--log-level", "warning"]
    try:
        return subprocess.call(cmd, env=env)
    except KeyboardInterrupt:
        return 130
