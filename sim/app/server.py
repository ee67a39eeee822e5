"""Start the Solara server for the app (``wargame app``)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path


def pick_port(host: str, port: int) -> int:
    """``port``, or for 0 a port free on ``host`` now (Solara needs a number to announce)."""
    if port:
        return port
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def serve(host: str = "127.0.0.1", port: int = 8765, root: Path | None = None) -> int:
    """Run ``solara run sim.app.app`` in production mode on ``host:port`` until interrupted;
    ``root`` (default: $WARGAME_ROOT, else the current directory) holds ``scenarios/`` and
    ``results/``. Returns the server's exit code."""
    root = root or Path(os.environ.get("WARGAME_ROOT", Path.cwd()))
    env = dict(os.environ, WARGAME_ROOT=str(root.resolve()),
               SOLARA_TELEMETRY_MIXPANEL_ENABLE="False", SOLARA_TELEMETRY_SENTRY_ENABLE="False")
    cmd = [sys.executable, "-m", "solara", "run", "sim.app.app", "--host", host, "--port",
           str(port), "--production", "--no-open", "--no-check-version", "--log-level", "warning"]
    proc = subprocess.Popen(cmd, env=env)
    # stop the server with this process, however it ends (Ctrl-C, SIGTERM)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        return proc.wait()
    except KeyboardInterrupt:
        return 130
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
