"""Running batches: replicate seeds, executors, the batch runner and the results folder format.

Modules: ``seeds``, ``draws`` (posterior parameter draws per replicate), ``executors`` (base,
local, dask), ``batch`` (running a batch, resuming and repairing it), ``outcomes`` (the
outcome registry); the batch folder format in ``folder`` (file names, atomic writes),
``records`` (the typed manifest), ``tables`` (writing and merging the Parquet tables),
``integrity`` (checksums, digests, verifying), ``reading`` (:class:`Results`), ``summary`` (the
summary table); ``provenance``; ``interrupts`` (where a Ctrl-C is raised). Other sub-packages
use the names below.

Names load their module on first use (``lazy_loader`` over the imports of ``__init__.pyi``):
``wargame run`` starts its worker processes' fork server (:func:`start_fork_server`) before this
process pays for pyarrow and pandas.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
