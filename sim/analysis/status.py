"""Calibration status of a scenario, shown on the report's first screen.

The option scenarios are **uncalibrated** today: their parameters are the documented priors of
``scenarios/base.yaml``, not values fitted to observations. A scenario counts as calibrated only
when its resolved text carries a calibration marker, a top-level mapping such as::

    calibration:
      status: calibrated          # or "partial", ...
      overlay: scenarios/calibrated.yaml
      fitted_on: hindcast_2024

This is the single place the calibration work plugs into: once the calibrated overlay is
applied to the options (and the schema keeps the marker), :func:`calibration_status` reports
it and the report turns from red to green.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

UNCALIBRATED = "UNCALIBRATED"


@dataclass(frozen=True)
class CalibrationStatus:
    status: str   # UNCALIBRATED, CALIBRATED, or what the marker says (upper case)
    detail: str

    @property
    def calibrated(self) -> bool:
        return self.status == "CALIBRATED"


def calibration_status(scenario_yaml: str) -> CalibrationStatus:
    """The calibration status of a resolved scenario (its YAML text): UNCALIBRATED unless the
    scenario carries a ``calibration`` marker (see the module docstring)."""
    try:
        doc = yaml.safe_load(scenario_yaml) or {}
    except yaml.YAMLError:
        doc = {}
    mark = doc.get("calibration") if isinstance(doc, dict) else None
    if isinstance(mark, dict) and mark.get("status"):
        where = ", ".join(f"{k} {v}" for k, v in mark.items() if k != "status")
        return CalibrationStatus(str(mark["status"]).upper(), where or "calibration marker")
    return CalibrationStatus(UNCALIBRATED, "parameters are the documented priors, not fitted "
                                           "to observations; read outcomes as what the model's "
                                           "assumptions imply, not as estimates")


__all__ = ["UNCALIBRATED", "CalibrationStatus", "calibration_status"]
