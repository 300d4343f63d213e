"""Brian's ``brian2.core`` module paths, for scripts that import from them
(``from jnsim.core.functions import timestep``)."""
