"""Provenance written into every manifest: package version, git commit, library versions."""

from __future__ import annotations

import datetime as dt
import platform
import subprocess
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

PACKAGE = "kursk-donetsk-wargame"
MAIN_DEPENDENCIES = ("mesa", "numpy", "pandas", "pyarrow", "pydantic", "pyyaml", "scipy", "typer")


def versions(names: Sequence[str] = MAIN_DEPENDENCIES) -> dict[str, str | None]:
    """Python's and the packages' versions (default: the main dependencies; None where one is
    not installed)."""
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def package_version() -> str:
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return "0+unknown"


def git_commit() -> str | None:
    """The commit of the source tree (``+dirty`` when it has local changes), or None."""
    root = Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("+dirty" if dirty else "") if head else None


def now() -> str:
    """The current UTC time, ISO 8601, to the second."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


__all__ = ["PACKAGE", "git_commit", "now", "package_version", "versions"]
