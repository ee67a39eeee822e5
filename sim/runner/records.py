"""The typed records of a batch folder: :class:`Manifest` and its :class:`RunRecord` per run.

``manifest.json`` is the single source of truth for which runs are finished and where their
rows are: a run whose ``status`` is ``done`` has its rows in the part named by ``part``
(``"main"`` means the consolidated tables). From format 3 the manifest carries ``digest``, the
sha256 of its own canonical JSON (every other key, sorted, compact): an edit that leaves valid
JSON (a run's status, the seeds, the days, the resolved scenario) is refused like a truncated
file. Formats 1 and 2 (no digest, no part checksums) are still read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from sim.runner.folder import MAIN, MANIFEST, NotABatchFolder, ResultsError, atomic_write_text

#: 1: the first format; 2: checksums of the files (``files``) and per-run digests; 3: the
#: manifest's own digest and checksums of every part file (``parts``).
FORMAT_VERSION = 3
RunStatus = Literal["pending", "done", "failed"]
BatchStatus = Literal["running", "complete", "interrupted", "failed", "incomplete"]


class Record(BaseModel):
    """Strict types (``"5"`` is not 5, ``true`` not 1); keys a later version may add are
    kept as they are."""

    model_config = ConfigDict(strict=True, extra="allow")


class FileRecord(Record):
    """A file's checksum and size (and rows, for a table)."""

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    bytes: int = Field(ge=0)
    rows: int | None = Field(None, ge=0)


class RunRecord(Record):
    """One planned run: its seed, status, where its rows are, what it cost, its parameters."""

    run: int = Field(ge=0)
    seed: int = Field(ge=0, lt=2**63)
    status: RunStatus = "pending"
    part: str | None = Field(None, pattern=r"^[\w-]+$")
    error: str | None = None
    seconds: float | None = None
    cpu_seconds: float | None = None
    draw_group: int | None = None
    particle: int | None = None
    params: dict[str, float] | None = None
    rows: list[int] | None = Field(None, min_length=3, max_length=3)
    digest: str | None = Field(None, pattern=r"^[0-9a-f]{48}$")

    @model_validator(mode="after")
    def _done_has_part(self) -> RunRecord:
        if self.status == "done" and self.part is None:
            raise ValueError("a done run names no part")
        return self


class ScenarioRecord(Record):
    name: str
    file: str | None = None
    hash: str | None = None
    resolved: str = ""


class ParametersRecord(Record):
    """How each run's parameter values were chosen (:meth:`ParameterPlan.describe`)."""

    mode: Literal["posterior", "median", "fixed"] = "fixed"
    posterior: str | None = None
    sha256: str | None = None
    names: list[str] = Field(default_factory=list)
    particles: int | None = None
    dice_per_draw: int | None = None
    medians: dict[str, float] = Field(default_factory=dict)
    pinned: list[str] = Field(default_factory=list)
    #: nuisance parameters each draw group drew from its prior: path -> [low, high]
    nuisance: dict[str, list[float]] = Field(default_factory=dict)


class Manifest(Record):
    """What was run and how: resolved scenario, hash, seeds, per-run status, checksums,
    versions, git commit, command line, start/end time."""

    format_version: Literal[1, 2, 3] = FORMAT_VERSION
    status: BatchStatus = "running"
    scenario: ScenarioRecord
    master_seed: int = Field(ge=0, lt=2**63)
    started: str | None = None
    finished: str | None = None
    n_runs: int | None = Field(None, ge=0)
    n_done: int | None = None
    n_failed: int | None = None
    days: int | None = Field(None, ge=0)
    start_date: dt.date | None = Field(None, strict=False)  # ISO text in the file
    package: dict[str, Any] | None = None
    versions: dict[str, Any] | None = None
    platform: str | None = None
    command: str | None = None
    workers: int | None = None
    executor: str | None = None
    parameters: ParametersRecord = Field(default_factory=ParametersRecord)
    calibration: dict[str, Any] | None = None
    files: dict[str, FileRecord] = Field(default_factory=dict)
    #: checksums of the part files of finished runs not yet consolidated: part -> table -> file
    parts: dict[str, dict[str, FileRecord]] = Field(default_factory=dict)
    resumed: list[str] = Field(default_factory=list)
    runs: list[RunRecord]

    @field_validator("files", "parts", "resumed", "parameters", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None:
            return value
        return [] if info.field_name == "resumed" else {}

    @model_validator(mode="after")
    def _consistent(self) -> Manifest:
        if self.format_version >= 2 and self.status != "running" and not self.files and any(
                r.status == "done" and r.part == MAIN for r in self.runs):
            raise ValueError("the checksums ('files') are missing")
        return self

    def done_runs(self) -> list[RunRecord]:
        return [r for r in self.runs if r.status == "done"]


def canonical_digest(data: dict[str, Any]) -> str:
    """sha256 of ``data`` as canonical JSON (sorted keys, no spaces, UTF-8)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_manifest(out_dir: Path | str, manifest: Manifest) -> None:
    """Write ``manifest.json`` atomically with its digest; one line per run keeps it readable."""

    def dump(v: Any, indent: int | None = None) -> str:
        return json.dumps(v, indent=indent, default=str, ensure_ascii=False)

    manifest.format_version = FORMAT_VERSION
    data = manifest.model_dump(mode="json")
    data.pop("digest", None)
    runs = data.pop("runs")
    head = {**data, "digest": canonical_digest({**data, "runs": runs})}
    text = dump(head, 1)[:-2]  # drop the closing "\n}"
    lines = ",\n  ".join(dump(r) for r in runs)
    text += f',\n "runs": [\n  {lines}\n ]\n}}\n' if runs else ',\n "runs": []\n}\n'
    atomic_write_text(Path(out_dir) / MANIFEST, text)


def read_manifest(out_dir: Path | str) -> Manifest:
    """The manifest, validated; :class:`ResultsError` (one line) when it is missing, truncated,
    not JSON, edited since it was written (its digest) or not of the expected types."""
    path = Path(out_dir) / MANIFEST
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise NotABatchFolder(f"{Path(out_dir)}: not a batch folder (no {MANIFEST})") from None
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise ResultsError(f"{path}: damaged (not valid JSON: {str(exc)[:120]})") from None
    except ValueError as exc:  # a NUL byte in the name
        raise NotABatchFolder(f"{str(out_dir)[:200]!r}: not a batch folder ({exc})") from None
    except NotADirectoryError:
        raise NotABatchFolder(f"{Path(out_dir)}: not a batch folder (not a folder)") from None
    except IsADirectoryError:
        raise ResultsError(f"{path}: damaged (a folder, not a file)") from None
    except OSError as exc:
        raise ResultsError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return parse_manifest(data)
    except ValueError as exc:
        raise ResultsError(f"{path}: damaged ({exc})") from None


def parse_manifest(data: Any) -> Manifest:
    """``data`` (parsed JSON) as a :class:`Manifest`; ``ValueError`` saying why it is not one."""
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    version = data.get("format_version")
    if version not in (1, 2, FORMAT_VERSION) or isinstance(version, bool):
        raise ValueError(f"unknown format_version {str(version)[:20]!r}")
    if version >= 3:
        digest = data.get("digest")
        rest = {k: v for k, v in data.items() if k != "digest"}
        if not isinstance(digest, str) or canonical_digest(rest) != digest:
            raise ValueError("its fields differ from its digest: edited or damaged since it "
                             "was written")
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        raise ValueError(f"{where}: {err['msg'].removeprefix('Value error, ')}") from None


__all__ = ["FORMAT_VERSION", "FileRecord", "Manifest", "ParametersRecord", "RunRecord",
           "ScenarioRecord", "canonical_digest", "parse_manifest", "read_manifest",
           "write_manifest"]
