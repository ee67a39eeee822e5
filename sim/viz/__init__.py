"""Figures and reports: plots, sensitivity figures, the HTML report, the calibration report.

Names load their module on first use (``lazy_loader`` over the imports of
``__init__.pyi``): matplotlib and the analysis modules take a second or two to import, and
``wargame run`` needs only the fan chart.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
