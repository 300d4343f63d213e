"""The default functions that equations may call by their bare name.

Each entry says how many arguments the function takes, how it treats physical
dimensions, what type it returns and whether it is *stateful* (draws random
numbers, so that a subexpression using it must be ``constant over dt``).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_CONSTANTS", "DEFAULT_FUNCTIONS", "FunctionSpec"]

#: How a function treats dimensions.
#: ``dimensionless``: every argument must be dimensionless, result dimensionless;
#: ``same``: all arguments share the first one's dimensions, and so does the result;
#: ``sqrt``: result has half the argument's dimensions;
#: ``any_to_dimensionless``: any argument, dimensionless result (``sign``);
#: ``time_to_integer``: arguments are times, result an integer (``timestep``).
UNIT_RULES = ("dimensionless", "same", "sqrt", "any_to_dimensionless", "time_to_integer")


@dataclass(frozen=True)
class FunctionSpec:
    """What jnsim knows about one default function.

    Attributes
    ----------
    name
        The name used in equations.
    min_args, max_args
        The accepted number of arguments.
    unit_rule
        One of :data:`UNIT_RULES`.
    returns
        ``'float'``, ``'integer'`` or ``'boolean'``.
    stateful
        True for random-number functions.
    description
        One line for reports and error hints.
    """

    name: str
    min_args: int
    max_args: int
    unit_rule: str
    returns: str = "float"
    stateful: bool = False
    description: str = ""

    @property
    def signature(self) -> str:
        """How the function is called, e.g. ``clip(x, low, high)``."""
        names = {0: "", 1: "x", 2: "x, y", 3: "x, low, high"}
        if self.name == "timestep":
            return "timestep(t, dt)"
        return f"{self.name}({names[self.max_args]})"


def _spec(name: str, n: int, rule: str, description: str, **kw: object) -> FunctionSpec:
    return FunctionSpec(name, n, n, rule, description=description, **kw)  # type: ignore[arg-type]


DEFAULT_FUNCTIONS: dict[str, FunctionSpec] = {
    spec.name: spec
    for spec in (
        _spec("exp", 1, "dimensionless", "exponential"),
        _spec("log", 1, "dimensionless", "natural logarithm"),
        _spec("log10", 1, "dimensionless", "logarithm to base 10"),
        _spec("expm1", 1, "dimensionless", "exp(x) - 1, accurate for small x"),
        _spec("log1p", 1, "dimensionless", "log(1 + x), accurate for small x"),
        _spec("exprel", 1, "dimensionless", "(exp(x) - 1)/x, equal to 1 at x = 0"),
        _spec("sqrt", 1, "sqrt", "square root"),
        _spec("sin", 1, "dimensionless", "sine"),
        _spec("cos", 1, "dimensionless", "cosine"),
        _spec("tan", 1, "dimensionless", "tangent"),
        _spec("sinh", 1, "dimensionless", "hyperbolic sine"),
        _spec("cosh", 1, "dimensionless", "hyperbolic cosine"),
        _spec("tanh", 1, "dimensionless", "hyperbolic tangent"),
        _spec("arcsin", 1, "dimensionless", "inverse sine"),
        _spec("arccos", 1, "dimensionless", "inverse cosine"),
        _spec("arctan", 1, "dimensionless", "inverse tangent"),
        _spec("abs", 1, "same", "absolute value"),
        _spec("floor", 1, "same", "largest whole number not above x (a float)"),
        _spec("ceil", 1, "same", "smallest whole number not below x (a float)"),
        _spec("sign", 1, "any_to_dimensionless", "-1, 0 or 1"),
        _spec("int", 1, "dimensionless", "x truncated to an integer", returns="integer"),
        _spec("clip", 3, "same", "x limited to the range [low, high]"),
        _spec("rand", 0, "dimensionless", "uniform random number in [0, 1)", stateful=True),
        _spec("randn", 0, "dimensionless", "standard normal random number", stateful=True),
        _spec("poisson", 1, "dimensionless", "Poisson-distributed random integer",
              returns="integer", stateful=True),
        _spec("timestep", 2, "time_to_integer", "a time as a whole number of steps dt",
              returns="integer"),
    )
}

#: Constants usable by name in equations.
DEFAULT_CONSTANTS: dict[str, float | bool] = {
    "pi": 3.141592653589793,
    "e": 2.718281828459045,
    "inf": float("inf"),
    "True": True,
    "False": False,
}
