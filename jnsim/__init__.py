"""jnsim: Jupyter-native spiking neural network modelling.

``from jnsim import *`` gives Brian 2's vocabulary: :class:`Equations`, the units
(``ms``, ``mV``, ``nS``, ``volt``, ``siemens``, ...), the default constants, the named
models :class:`NeuronModel` and :class:`SynapseModel` (what ``%%neuron`` and
``%%synapse`` create, and what model reports are organised by), and, as
``from brian2 import *`` does, NumPy (``np`` and its functions, except those named like
Python builtins).
"""

import numpy as _numpy

from . import units as _units
from ._version import __version__
from .base import start_scope
from .brian_compat import (
    BinomialFunction,
    BrianLogger,
    BrianSettingIgnored,
    Cylinder,
    Function,
    Morphology,
    Section,
    Soma,
    SpatialNeuron,
    device,
    get_device,
    implementation,
    prefs,
    reinit_devices,
    reset_device,
    set_device,
)
from .clock import defaultclock
from .compiler import cache_info
from .equations import Equations
from .errors import (
    CodeError,
    EquationError,
    JnsimError,
    MethodError,
    NamespaceError,
    RunError,
    UnitError,
)
from .functions import DEFAULT_CONSTANTS as _CONSTANTS
from .groups import NeuronGroup, linked_var
from .inputs import PoissonGroup, PoissonInput, SpikeGeneratorGroup
from .live import explore
from .models import NeuronModel, SynapseModel
from .monitors import EventMonitor, PopulationRateMonitor, SpikeMonitor, StateMonitor
from .network import Network, collect, magic_network, restore, run, show_code, stop, store
from .operations import NetworkOperation, network_operation
from .random import seed
from .report import load_report, report
from .summaries import profiling_summary, scheduling_summary
from .sweeps import sweep
from .synapses import Synapses
from .threads import set_threads
from .timedarray import TimedArray
from .units import Quantity, Unit
from .units.checks import (
    DimensionMismatchError,
    check_units,
    get_dimensions,
    get_or_create_dimension,
    have_same_dimensions,
)

globals().update(_units.UNITS)
pi = _CONSTANTS["pi"]
e = _CONSTANTS["e"]
inf = _CONSTANTS["inf"]


def load_ipython_extension(ipython: object) -> None:
    """Register the ``%%neuron`` and ``%%synapse`` cell magics (``%load_ext jnsim``)."""
    from .magics import load_ipython_extension as register

    register(ipython)


__all__ = [
    "BrianSettingIgnored",
    "CodeError",
    "Network",
    "NetworkOperation",
    "NeuronGroup",
    "NeuronModel",
    "PoissonGroup",
    "PoissonInput",
    "PopulationRateMonitor",
    "SpikeGeneratorGroup",
    "EventMonitor",
    "SpikeMonitor",
    "StateMonitor",
    "SynapseModel",
    "Synapses",
    "TimedArray",
    "cache_info",
    "collect",
    "defaultclock",
    "explore",
    "report",
    "restore",
    "run",
    "seed",
    "set_threads",
    "show_code",
    "start_scope",
    "store",
    "sweep",
    "EquationError",
    "Equations",
    "JnsimError",
    "MethodError",
    "NamespaceError",
    "Quantity",
    "RunError",
    "Unit",
    "UnitError",
    "__version__",
    "e",
    "inf",
    "linked_var",
    "load_report",
    "network_operation",
    "pi",
    # jnsim's code generation package, as Brian's star import gives brian2.codegen
    # (scripts set codegen.target = 'numpy', which changes nothing in either)
    "codegen",
    "device",
    "get_device",
    "prefs",
    "set_device",
    "reset_device",
    "reinit_devices",
    "BinomialFunction",
    "BrianLogger",
    "Cylinder",
    "Function",
    "implementation",
    "Morphology",
    "Section",
    "Soma",
    "SpatialNeuron",
    "magic_network",
    "stop",
    "profiling_summary",
    "scheduling_summary",
    "DimensionMismatchError",
    "check_units",
    "get_dimensions",
    "get_or_create_dimension",
    "have_same_dimensions",
    *sorted(_units.UNITS),
]


def _numpy_names() -> list[str]:
    """NumPy's public names, as ``from brian2 import *`` gives them to Brian scripts
    (which call ``linspace``, ``mean``, ``np.random`` ... without importing NumPy).

    Names of Python builtins (``max``, ``sum``, ``round``, ``bool``, ...) are left out:
    NumPy's versions differ (``max(3, 5)`` would read 5 as an axis).
    """
    import builtins

    taken = set(globals())
    return [name for name in _numpy.__all__
            if not name.startswith("_") and name not in taken and not hasattr(builtins, name)]


np = numpy = _numpy
_NUMPY_NAMES = _numpy_names()
# NumPy loads some submodules (f2py, testing, ma, ...) on first access; they are taken
# from NumPy on first access here too (``__getattr__``), so that importing jnsim does
# not load them.
_LAZY_NUMPY_NAMES = frozenset(name for name in _NUMPY_NAMES if name not in vars(_numpy))
globals().update({_name: getattr(_numpy, _name) for _name in _NUMPY_NAMES
                  if _name not in _LAZY_NUMPY_NAMES})
__all__ += ["np", "numpy", *_NUMPY_NAMES]

# pylab's names, as ``from brian2 import *`` gives them: NumPy's fft/linalg/random names,
# and matplotlib's (``plot``, ``figure``, ``xlabel``, ...) where it is installed, each
# importing matplotlib only when first used (see :mod:`jnsim.pylab_names`).
from . import pylab_names as _pylab_names  # noqa: E402

_PYLAB_NAMES = _pylab_names.numpy_submodule_names(globals())
_PYLAB_NAMES.update(_pylab_names.matplotlib_names([*globals(), *_NUMPY_NAMES, *_PYLAB_NAMES]))
globals().update(_PYLAB_NAMES)
_NUMPY_NAMES += list(_PYLAB_NAMES)
__all__ += list(_PYLAB_NAMES)


def __getattr__(name: str) -> object:
    """NumPy's lazily loaded submodules, loaded when first used (``jnsim.ma``)."""
    if name in _LAZY_NUMPY_NAMES:
        value = getattr(_numpy, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'jnsim' has no attribute '{name}'")
