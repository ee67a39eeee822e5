"""Analysis of batches: statistics, comparisons, experiments and sensitivity, calibration.

Modules: ``causes`` (why outcomes happened: causal chains, outcome classes, discovery),
``comparison``, ``experiments`` (designs and sweeps), ``sensitivity_analysis``,
``observations`` (the dated 2024 record), ``calibration`` (ABC rejection, fit outputs),
``fitfolder`` (where a fit may write, its lock, installing it into ``scenarios/``),
``smc`` (ABC-SMC with pyABC), ``summary`` (the run summary), ``uncertainty`` (variance
split: parameters vs dice) and
``validation_status`` (the one-line calibration status of every output). Names load their
module on first use (``lazy_loader`` over the imports of ``__init__.pyi``), so a command
pays only for what it uses (scipy, SALib).
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
