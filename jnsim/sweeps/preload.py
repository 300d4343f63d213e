"""Set-up of a sweep worker as it starts (a Dask preload module).

``local_client()`` starts its workers with ``preload=['jnsim.sweeps.preload']``: each
imports jnsim and sets up Numba's registries (:func:`jnsim.compiler.warm_numba`) while
the cluster starts, so that its first task only builds the network and loads the
kernel from the disk cache (milliseconds) instead of also paying Numba's one-time set-up
(about 0.4 s). Workers of other clusters get the same with Dask's
``--preload jnsim.sweeps.preload`` (``dask worker``, ``dask-jobqueue``'s
``worker_extra_args``).
"""

from __future__ import annotations

import jnsim  # noqa: F401  (imported as the worker starts, not by its first task)
from jnsim.compiler import warm_numba

warm_numba()
