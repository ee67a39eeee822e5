"""Fit folders: where ``wargame calibrate`` may write, the lock on a fit folder, and installing
a finished fit into ``scenarios/`` (an explicit, reviewed step: ``wargame install-fit``).

``calibrate`` writes only into its fit folder (``results/calibration-<scenario>`` by default);
the shipped ``scenarios/`` folder is read-only to it, because every option extends
``scenarios/calibrated.yaml`` and a fit written there would silently change them all.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sim.runner import atomic_write_bytes, check_out_dir, check_path, folder_lock

#: The files of a fit that batches read, copied by :func:`plan_install` into
#: ``scenarios/posterior/``.
FIT_FILES = ("posterior.parquet", "particles.csv", "posterior.csv", "fit_table.csv", "fit.json")
OVERLAY = "overlay.yaml"  # the overlay calibrate writes into its fit folder
INSTALLED_OVERLAY = "calibrated.yaml"  # base.yaml extends scenarios/calibrated.yaml
POSTERIOR_DIR = "posterior"
DB_NAME = "abc.db"  # ABC-SMC's populations (pyABC's SQLite database)
CONFIG_NAME = "smc.json"  # ABC-SMC's settings, and the digests of abc.db (resume checks both)
SHIPPED_SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


class FitFolderError(ValueError):
    """A fit folder that cannot be written, resumed or installed, or an output path under a
    scenarios folder (:func:`check_output_path`); one line."""


def protected_dirs(scenario: Path | None = None) -> list[Path]:
    """Folders calibrate never writes into: the project's ``scenarios/`` (the shipped one and
    the working folder's) and the folder of the ``scenario`` fitted when it is a scenarios
    folder (named ``scenarios`` or holding a ``calibrated.yaml``)."""
    out = []
    own = [] if scenario is None else [scenario.parent]
    own = [d for d in own if d.name == "scenarios" or (d / INSTALLED_OVERLAY).exists()]
    for p in (SHIPPED_SCENARIOS, Path.cwd() / "scenarios", *own):
        with contextlib.suppress(OSError, RuntimeError, ValueError):
            out.append(p.resolve())
    return out


def check_output_path(path: Path, scenario: Path | None = None,
                      hint: str = "write under results/ instead") -> None:
    """Raise one line (:class:`FitFolderError`, or the runner's ``BatchError``) unless a
    command may write ``path`` (a folder, or a file whose missing folders it creates): the
    runner's :func:`~sim.runner.check_path` rules, and never under a scenarios folder
    (:func:`protected_dirs` of ``scenario``), which every option reads."""
    check_path(path)  # after it, the path resolves
    where = path.resolve()
    for p in protected_dirs(scenario):
        if where.is_relative_to(p):
            raise FitFolderError(f"{path}: wargame writes nothing under {p} (the scenarios "
                                 f"folder, read-only to every command); {hint}")


def check_fit_paths(fit_dir: Path, overlay: Path | None = None, report: Path | None = None,
                    scenario: Path | None = None) -> None:
    """Raise one line unless calibrate may write its fit folder ``fit_dir``, the ``overlay``
    YAML and the ``report`` folder (both inside ``fit_dir``): each passes
    :func:`check_output_path`, the report passes the runner's
    :func:`~sim.runner.check_out_dir`, and no file calibrate writes into the fit folder is
    already there as a folder or a symbolic link (found after the fit ran, it would lose the
    fit)."""
    check_output_path(fit_dir, scenario, hint="use --fit-dir results/<name>, then install "
                                              "the fit with: wargame install-fit <fit folder> "
                                              "--yes")
    fit = fit_dir.resolve()
    for path in (overlay, report):
        if path is None:
            continue
        check_output_path(path, scenario)
        if not path.resolve().is_relative_to(fit) or path.resolve() == fit:
            raise FitFolderError(f"{str(path)[:200]}: must be inside the fit folder {fit_dir} "
                                 "(calibrate writes nowhere else)")
    if fit_dir.exists() and not fit_dir.is_dir():
        raise FitFolderError(f"{fit_dir}: exists and is not a folder; --fit-dir takes a folder")
    if overlay is not None and overlay.is_dir():
        raise FitFolderError(f"{overlay}: is a directory; --out takes a YAML file name")
    if overlay is not None and report is not None and report.resolve().is_relative_to(
            overlay.resolve()):  # the overlay, written first, would stand in the report's way
        raise FitFolderError(f"{report}: the report folder cannot be (inside) the overlay "
                             f"file {overlay}")
    if report is not None:  # the fit-check batch replaces one there (force)
        check_out_dir(report, force=True)
    for name in (DB_NAME, CONFIG_NAME, *FIT_FILES):
        p = fit_dir / name
        if p.is_symlink() or (p.exists() and not p.is_file()):
            raise FitFolderError(f"{p}: expected a file"
                                 f"{', not a symbolic link' if p.is_symlink() else ''}; "
                                 "move it away first")


_HELD: set[Path] = set()


@contextlib.contextmanager
def fit_lock(fit_dir: Path) -> Iterator[None]:
    """Hold the fit folder's ``.lock`` (created with the folder): a second command writing
    into it exits with one line. Re-entrant within this process (calibrate_smc, write_fit and
    the command all take it)."""
    fit_dir = Path(fit_dir)
    fit_dir.mkdir(parents=True, exist_ok=True)
    key = fit_dir.resolve()
    if key in _HELD:
        yield
        return
    with folder_lock(fit_dir, what="fit", error=FitFolderError):
        _HELD.add(key)
        try:
            yield
        finally:
            _HELD.discard(key)


@dataclass(frozen=True)
class FitInstall:
    """What installing a fit would write: ``files`` maps each target path to its new bytes;
    ``diff`` is the unified diff of the overlay and a line per replaced posterior file."""

    fit_dir: Path
    files: dict[Path, bytes]
    diff: str

    def apply(self) -> list[Path]:
        """Write the files (each atomically; the overlay last, so a scenario never names a
        posterior that is not there yet)."""
        order = sorted(self.files, key=lambda p: p.name == INSTALLED_OVERLAY)
        for path in order:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(path, self.files[path])
        return order


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:12]


def plan_install(fit_dir: Path, scenarios_dir: Path, overlay: bool = True) -> FitInstall:
    """The files installing the fit in ``fit_dir`` into ``scenarios_dir`` writes:
    ``calibrated.yaml`` (the fit's overlay, naming ``posterior/posterior.parquet``; not with
    ``overlay=False``, which keeps the installed fixed values) and the posterior files in
    ``posterior/``. Raises :class:`FitFolderError` naming a missing file."""
    if not fit_dir.is_dir():
        raise FitFolderError(f"{fit_dir}: no such fit folder")
    if not scenarios_dir.is_dir():
        raise FitFolderError(f"{scenarios_dir}: no such scenarios folder (use --scenarios)")
    need = [OVERLAY, *FIT_FILES]
    missing = [n for n in need if not (fit_dir / n).is_file() or (fit_dir / n).is_symlink()]
    if missing:
        raise FitFolderError(f"{fit_dir}: not a finished fit folder: no {', '.join(missing)} "
                             "(written by wargame calibrate)")
    try:
        text = (fit_dir / OVERLAY).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FitFolderError(f"{fit_dir / OVERLAY}: cannot read ({exc})") from None
    text, n = re.subn(r"(?m)^calibration_posterior: .*$",
                      f"calibration_posterior: {POSTERIOR_DIR}/{FIT_FILES[0]}", text)
    if n != 1:
        raise FitFolderError(f"{fit_dir / OVERLAY}: names no calibration_posterior")
    files = {scenarios_dir / INSTALLED_OVERLAY: text.encode("utf-8")} if overlay else {}
    for name in FIT_FILES:
        files[scenarios_dir / POSTERIOR_DIR / name] = (fit_dir / name).read_bytes()
    lines = []
    for path, new in files.items():
        old = path.read_bytes() if path.is_file() else None
        if old == new:
            continue
        if path.suffix in (".yaml", ".json", ".csv") and path.name != "particles.csv":
            lines.extend(difflib.unified_diff(
                (old or b"").decode("utf-8", "replace").splitlines(),
                new.decode("utf-8", "replace").splitlines(),
                str(path) if old is not None else "/dev/null", str(path), lineterm=""))
        else:
            was = f"{len(old)} bytes, sha256 {_digest(old)}" if old is not None else "new"
            lines.append(f"replace {path}: {was} -> {len(new)} bytes, sha256 {_digest(new)}")
    return FitInstall(fit_dir, files, "\n".join(lines))


def fit_dir_problem(fit_dir: Path) -> str | None:
    """What is damaged in a fit folder that ``--resume`` would continue, or None: the fit's
    record (``smc.json``) missing, truncated or not JSON, or the database not SQLite."""
    import json

    db, config = fit_dir / DB_NAME, fit_dir / CONFIG_NAME
    for p in (db, config):
        if p.is_symlink() or (p.exists() and not p.is_file()):
            return f"{p}: not a regular file"
    try:
        head = db.read_bytes()[:100] if db.exists() else b""
    except OSError as exc:
        return f"{db}: cannot read ({exc.strerror or exc})"
    if head[:16] != b"SQLite format 3\x00":
        return f"{db}: damaged (not an SQLite database{', 0 bytes' if not head else ''})"
    if len(head) < 100 or head[18] not in (1, 2) or head[19] not in (1, 2):
        # SQLite reads a file whose write-version byte is unknown, then refuses to write it
        return f"{db}: damaged (its SQLite header is not one SQLite writes)"
    if db.stat().st_size % 512:
        return f"{db}: damaged (truncated: {db.stat().st_size} bytes is no whole page)"
    if not config.is_file():
        return f"{config}: missing (the record of the fit's settings)"
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return f"{config}: damaged (not the JSON calibrate wrote)"
    if not isinstance(data, dict):
        return f"{config}: damaged (not the JSON calibrate wrote)"
    return None


__all__ = ["CONFIG_NAME", "DB_NAME", "FIT_FILES", "OVERLAY", "FitFolderError", "FitInstall",
           "check_fit_paths", "check_output_path",
           "fit_dir_problem", "fit_lock", "plan_install", "protected_dirs"]
