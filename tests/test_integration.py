"""Tests of the integration stage against analytic solutions and known statistics.

A tiny reference stepper executes the statements of a :class:`StateUpdate` with
NumPy (vectorised over trajectories), so every numerical check compares the
generated statements with mathematics, never with values printed by the code.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from jnsim.errors import MethodError
from jnsim.integration import (
    METHODS,
    ODESystem,
    StateUpdate,
    can_integrate,
    default_method,
    integrate,
    is_linear_system,
)

DETERMINISTIC = ("exact", "exponential_euler", "euler", "rk2", "rk4", "heun", "milstein")


# --- helpers ---------------------------------------------------------------------------


def make_system(
    drift: Mapping[str, str], noise: Mapping[str, Mapping[str, str]] | None = None
) -> ODESystem:
    """An ODESystem from expression strings (symbols become real by normalisation)."""
    diffusion = {
        var: {k: sympy.sympify(g) for k, g in terms.items()} for var, terms in (noise or {}).items()
    }
    return ODESystem(tuple(drift), {v: sympy.sympify(f) for v, f in drift.items()}, diffusion)


Noise = Callable[[int], dict[str, np.ndarray]]


def simulate(
    update: StateUpdate,
    state: Mapping[str, float | np.ndarray],
    params: Mapping[str, float],
    dt: float,
    n_steps: int,
    noise: Noise | None = None,
) -> dict[str, np.ndarray]:
    """Run the statements ``n_steps`` times from ``state``; ``noise(step)`` gives N(0,1) draws."""
    compiled = []
    for name, expr in update.statements:
        args = sorted(expr.free_symbols, key=lambda s: s.name)
        fn = sympy.lambdify(args, expr, modules="numpy")
        compiled.append((name, [a.name for a in args], fn))
    values = {k: np.array(v, dtype=float) for k, v in state.items()}
    for step in range(n_steps):
        env = {**params, **values, "dt": dt, "t": step * dt}
        if update.noise_symbols:
            assert noise is not None, "stochastic update needs noise"
            draws = noise(step)
            assert set(draws) == set(update.noise_symbols)
            env.update(draws)
        for name, arg_names, fn in compiled:
            env[name] = fn(*(env[a] for a in arg_names))  # KeyError = undefined name
        values = {k: np.asarray(env[k], dtype=float) for k in state}
    return values


def gaussian_noise(update: StateUpdate, rng: np.random.Generator, size: int) -> Noise:
    return lambda step: {name: rng.standard_normal(size) for name in update.noise_symbols}


def fitted_order(dts: list[float], errors: list[float]) -> float:
    return float(np.polyfit(np.log(dts), np.log(errors), 1)[0])


LIF = make_system({"v": "(El - v)/tau"})
LIF_PARAMS = {"El": -0.07, "tau": 0.02}
CUBA = make_system({"v": "(ge + gi - (v - El))/taum", "ge": "-ge/taue", "gi": "-gi/taui"})
CUBA_PARAMS = {"El": -0.049, "taum": 0.02, "taue": 0.005, "taui": 0.01}
LOGISTIC = make_system({"x": "x*(1 - x)/tau"})
HH_GATE = make_system(
    {
        "v": "0",
        "m": "0.32*(13 - v)/(exp((13 - v)/4) - 1)*(1 - m) - 0.28*(v - 40)/(exp((v - 40)/5) - 1)*m",
    }
)
OU = make_system({"v": "-v/tau"}, {"v": {"xi": "sigma*sqrt(2/tau)"}})
GBM = make_system({"x": "mu*x"}, {"x": {"xi": "s*x"}})


# --- deterministic accuracy ------------------------------------------------------------


def lif_solution(v0: float, t: float) -> float:
    El, tau = LIF_PARAMS["El"], LIF_PARAMS["tau"]
    return El + (v0 - El) * np.exp(-t / tau)


@pytest.mark.parametrize("method", DETERMINISTIC)
def test_lif_relaxation_with_every_deterministic_method(method):
    update = integrate(LIF, method)
    dt, n = 1e-5, 2000
    result = simulate(update, {"v": -0.05}, LIF_PARAMS, dt, n)["v"]
    expected = lif_solution(-0.05, n * dt)
    assert result == pytest.approx(expected, abs=5e-6)


@pytest.mark.parametrize("method", DETERMINISTIC)
def test_exponential_decay_with_every_deterministic_method(method):
    system = make_system({"x": "-x/tau"})
    result = simulate(integrate(system, method), {"x": 1.0}, {"tau": 1.0}, 1e-3, 1000)["x"]
    assert result == pytest.approx(np.exp(-1.0), rel=1e-3)


@pytest.mark.parametrize("dt", [1e-4, 0.003, 0.02, 0.5, 10.0])
def test_exact_lif_matches_analytic_solution_for_any_dt(dt):
    update = integrate(LIF, "exact")
    assert update.method == "exact"
    for n in (1, 7):
        result = simulate(update, {"v": -0.05}, LIF_PARAMS, dt, n)["v"]
        assert result == pytest.approx(lif_solution(-0.05, n * dt), rel=1e-12, abs=1e-15)


def test_exact_constant_input_with_singular_matrix():
    system = make_system({"v": "I_e/C"})
    update = integrate(system, "exact")
    result = simulate(update, {"v": 0.1}, {"I_e": 2e-10, "C": 2e-10}, 0.25, 4)["v"]
    assert result == pytest.approx(0.1 + 1.0, rel=1e-13)


def cuba_solution(v0, ge0, gi0, t, p=CUBA_PARAMS):
    El, taum, taue, taui = p["El"], p["taum"], p["taue"], p["taui"]
    ce = ge0 * taue / (taue - taum)
    ci = gi0 * taui / (taui - taum)
    v = El + (v0 - El - ce - ci) * np.exp(-t / taum) + ce * np.exp(-t / taue)
    v += ci * np.exp(-t / taui)
    return v, ge0 * np.exp(-t / taue), gi0 * np.exp(-t / taui)


@pytest.mark.parametrize(("dt", "n"), [(1e-4, 100), (0.003, 5), (0.05, 2)])
def test_exact_cuba(dt, n):
    update = integrate(CUBA, "exact")
    start = {"v": -0.05, "ge": 0.004, "gi": -0.002}
    result = simulate(update, start, CUBA_PARAMS, dt, n)
    expected = cuba_solution(-0.05, 0.004, -0.002, n * dt)
    for name, value in zip(("v", "ge", "gi"), expected, strict=True):
        assert result[name] == pytest.approx(value, rel=1e-12, abs=1e-16)


def test_exact_repeated_eigenvalue():
    # taue == taum as one symbol: the confluent solution (u0 + g0 t/tau) exp(-t/tau).
    system = make_system({"v": "(g - (v - El))/tau", "g": "-g/tau"})
    update = integrate(system, "exact")
    params = {"El": -0.06, "tau": 0.01}
    for dt, n in [(1e-3, 10), (0.04, 1)]:
        result = simulate(update, {"v": -0.05, "g": 0.003}, params, dt, n)
        t = n * dt
        u = (0.01 + 0.003 * t / 0.01) * np.exp(-t / 0.01)
        assert result["v"] == pytest.approx(-0.06 + u, rel=1e-12)
        assert result["g"] == pytest.approx(0.003 * np.exp(-t / 0.01), rel=1e-12)


def test_exact_rotation():
    system = make_system({"x": "-y/tau", "y": "x/tau"})
    update = integrate(system, "exact")
    tau = 0.3
    for dt, n in [(0.01, 50), (2.0, 3)]:
        result = simulate(update, {"x": 1.0, "y": 0.5}, {"tau": tau}, dt, n)
        angle = n * dt / tau
        assert result["x"] == pytest.approx(np.cos(angle) - 0.5 * np.sin(angle), abs=1e-12)
        assert result["y"] == pytest.approx(np.sin(angle) + 0.5 * np.cos(angle), abs=1e-12)


def test_exact_damped_oscillator():
    system = make_system({"x": "-x/taud - w*y", "y": "w*x - y/taud"})
    update = integrate(system, "exact")
    params = {"taud": 0.05, "w": 60.0}
    result = simulate(update, {"x": 1.0, "y": 0.0}, params, 1e-3, 40)
    t = 0.04
    decay = np.exp(-t / 0.05)
    assert result["x"] == pytest.approx(decay * np.cos(60 * t), abs=1e-12)
    assert result["y"] == pytest.approx(decay * np.sin(60 * t), abs=1e-12)


def expm_taylor(matrix: np.ndarray) -> np.ndarray:
    """Matrix exponential by scaling and squaring of a Taylor series (reference)."""
    squarings = max(0, int(np.ceil(np.log2(max(np.abs(matrix).sum(axis=1).max(), 1e-300)))) + 4)
    scaled = matrix / 2**squarings
    result, term = np.eye(len(matrix)), np.eye(len(matrix))
    for k in range(1, 30):
        term = term @ scaled / k
        result = result + term
    for _ in range(squarings):
        result = result @ result
    return result


def test_exact_fully_coupled_three_variables():
    system = make_system({"a": "(b - a)/tau", "b": "(c - b)/tau", "c": "(a - c)/tau + k"})
    update = integrate(system, "exact")
    tau, k = 0.1, 2.0
    # d[x; 1]/dt = [[A, b], [0, 0]] [x; 1]; A is singular and has complex eigenvalues
    augmented = np.zeros((4, 4))
    augmented[:3, :3] = np.array([[-1, 1, 0], [0, -1, 1], [1, 0, -1]]) / tau
    augmented[2, 3] = k
    start = np.array([0.3, -0.2, 1.0])
    for dt in (0.01, 0.07, 1.3):
        expected = expm_taylor(augmented * dt) @ np.append(start, 1.0)
        state = dict(zip("abc", start, strict=True))
        result = simulate(update, state, {"tau": tau, "k": k}, dt, 1)
        for i, name in enumerate("abc"):
            assert result[name] == pytest.approx(expected[i], abs=1e-12)


def test_exact_is_fast_for_three_variables():
    system = make_system(
        {"v": "(ge2 + gi2 - (v - E_l2))/tau_m2", "ge2": "-ge2/tau_e2", "gi2": "-gi2/tau_i2"}
    )
    start = time.perf_counter()
    integrate(system, "exact")
    assert time.perf_counter() - start < 3.0


def test_exponential_euler_is_exact_for_frozen_gating_rates():
    update = integrate(HH_GATE, "exponential_euler")
    v, m0 = -20.0, 0.1
    alpha = 0.32 * (13 - v) / (np.exp((13 - v) / 4) - 1)
    beta = 0.28 * (v - 40) / (np.exp((v - 40) / 5) - 1)
    m_inf, rate = alpha / (alpha + beta), alpha + beta
    for dt in (0.01, 0.5, 3.0):
        result = simulate(update, {"v": v, "m": m0}, {}, dt, 1)["m"]
        expected = m_inf + (m0 - m_inf) * np.exp(-rate * dt)
        assert result == pytest.approx(expected, rel=1e-12)


def test_exponential_euler_handles_zero_linear_coefficient_with_euler_step():
    system = make_system({"v": "I_e/C + w", "w": "-w/tau"})
    update = integrate(system, "exponential_euler")
    result = simulate(update, {"v": 0.0, "w": 0.0}, {"I_e": 1.0, "C": 2.0, "tau": 1.0}, 0.1, 10)
    assert result["v"] == pytest.approx(0.5, rel=1e-12)


# --- convergence order -----------------------------------------------------------------


def logistic_solution(x0, t, tau):
    return 1 / (1 + (1 / x0 - 1) * np.exp(-t / tau))


EXPECTED_ORDER = {"euler": 1, "rk2": 2, "rk4": 4, "heun": 2, "milstein": 1}


@pytest.mark.parametrize("method", sorted(EXPECTED_ORDER))
def test_convergence_order_on_logistic_equation(method):
    update = integrate(LOGISTIC, method)
    dts, errors = [], []
    for n in (10, 20, 40, 80):
        dt = 2.0 / n
        result = simulate(update, {"x": 0.1}, {"tau": 1.0}, dt, n)["x"]
        dts.append(dt)
        errors.append(abs(result - logistic_solution(0.1, 2.0, 1.0)))
    assert fitted_order(dts, errors) == pytest.approx(EXPECTED_ORDER[method], abs=0.25)


CONDITIONALLY_LINEAR = make_system({"x": "-y*x/tau", "y": "-y/tau"})
TIME_DEPENDENT = make_system({"x": "x*cos(t/tau)/tau"})


@pytest.mark.parametrize("method", [*sorted(EXPECTED_ORDER), "exponential_euler"])
def test_convergence_order_coupled_and_time_dependent(method):
    expected = EXPECTED_ORDER.get(method, 1)
    for system, solution in [
        (CONDITIONALLY_LINEAR, lambda t: 0.5 * np.exp(-2.0 * (1 - np.exp(-t)))),
        (TIME_DEPENDENT, lambda t: 0.5 * np.exp(np.sin(t))),
    ]:
        update = integrate(system, method)
        dts, errors = [], []
        for n in (20, 40, 80, 160):
            dt = 2.0 / n
            result = simulate(update, {"x": 0.5, "y": 2.0}, {"tau": 1.0}, dt, n)["x"]
            dts.append(dt)
            errors.append(abs(result - solution(2.0)))
        assert fitted_order(dts, errors) == pytest.approx(expected, abs=0.25), system


# --- stochastic equations --------------------------------------------------------------


@pytest.mark.parametrize("method", ["euler", "heun", "milstein"])
def test_ornstein_uhlenbeck_stationary_variance(method):
    update = integrate(OU, method)
    rng = np.random.default_rng(1234)
    size, sigma, tau = 20000, 0.004, 0.01
    result = simulate(
        update,
        {"v": np.zeros(size)},
        {"tau": tau, "sigma": sigma},
        1e-4,
        600,
        gaussian_noise(update, rng, size),
    )["v"]
    # after 6 tau the variance is sigma**2 (1 - exp(-12)); discretisation bias < 1 %
    assert np.var(result) == pytest.approx(sigma**2, rel=0.05)
    assert abs(np.mean(result)) < 4 * sigma / np.sqrt(size)


def brownian_paths(rng, n_paths, n_fine, total_time):
    return rng.standard_normal((n_fine, n_paths)) * np.sqrt(total_time / n_fine)


def strong_errors(update, increments, solution, params, levels, total_time=1.0):
    """Mean |X_N - X(T)| for each number of steps, all driven by the same Brownian paths.

    ``increments`` maps noise symbols to fine Brownian increments (steps x paths);
    ``solution`` maps state variables to their exact values at ``total_time``.
    """
    n_fine, n_paths = next(iter(increments.values())).shape
    dts, errors = [], []
    for n in levels:
        dt = total_time / n
        coarse = {k: w.reshape(n, n_fine // n, n_paths).sum(axis=1) for k, w in increments.items()}

        def draw(step, coarse=coarse, dt=dt):
            return {k: w[step] / np.sqrt(dt) for k, w in coarse.items()}

        start = {var: np.ones(n_paths) for var in solution}
        result = simulate(update, start, params, dt, n, draw)
        dts.append(dt)
        errors.append(sum(float(np.mean(np.abs(result[v] - solution[v]))) for v in solution))
    return dts, errors


GBM_PARAMS = {"mu": 0.5, "s": 0.8}


def test_milstein_strong_order_one_for_geometric_brownian_motion():
    update = integrate(GBM, "milstein")
    rng = np.random.default_rng(7)
    increments = brownian_paths(rng, 2000, 512, 1.0)
    w = increments.sum(axis=0)
    ito = np.exp((0.5 - 0.8**2 / 2) + 0.8 * w)
    noise = {"_randn_xi": increments}
    dts, errors = strong_errors(update, noise, {"x": ito}, GBM_PARAMS, [8, 16, 32, 64, 128])
    assert fitted_order(dts, errors) == pytest.approx(1.0, abs=0.2)
    assert errors[-1] < 0.02


def test_heun_converges_to_stratonovich_solution():
    update = integrate(GBM, "heun")
    rng = np.random.default_rng(11)
    increments = brownian_paths(rng, 2000, 512, 1.0)
    w = increments.sum(axis=0)
    stratonovich = np.exp(0.5 + 0.8 * w)
    ito = np.exp((0.5 - 0.8**2 / 2) + 0.8 * w)
    levels = [8, 16, 32, 64, 128]
    noise = {"_randn_xi": increments}
    dts, errors = strong_errors(update, noise, {"x": stratonovich}, GBM_PARAMS, levels)
    assert fitted_order(dts, errors) == pytest.approx(1.0, abs=0.25)
    assert errors[-1] < 0.02
    _, errors_vs_ito = strong_errors(update, noise, {"x": ito}, GBM_PARAMS, levels[-1:])
    assert errors_vs_ito[0] > 0.2


def test_milstein_with_two_diagonal_noise_sources():
    # two geometric Brownian motions (Itô), each with its own noise source
    system = make_system(
        {"x": "mu*x", "y": "-mu*y"}, {"x": {"xi_1": "s*x"}, "y": {"xi_2": "s*y/2"}}
    )
    update = integrate(system, "milstein")
    assert update.noise_symbols == ("_randn_xi_1", "_randn_xi_2")
    rng = np.random.default_rng(17)
    w1 = brownian_paths(rng, 1500, 256, 1.0)
    w2 = brownian_paths(rng, 1500, 256, 1.0)
    mu, s = 0.5, 0.8
    exact = {
        "x": np.exp((mu - s**2 / 2) + s * w1.sum(axis=0)),
        "y": np.exp((-mu - s**2 / 8) + s / 2 * w2.sum(axis=0)),
    }
    noise = {"_randn_xi_1": w1, "_randn_xi_2": w2}
    dts, errors = strong_errors(update, noise, exact, {"mu": mu, "s": s}, [8, 16, 32, 64])
    assert fitted_order(dts, errors) == pytest.approx(1.0, abs=0.2)


def test_euler_rejects_multiplicative_noise():
    ok, reason = can_integrate("euler", GBM)
    assert not ok
    assert reason == (
        "method 'euler' cannot integrate multiplicative noise: "
        "the coefficient of xi in dx/dt depends on x"
    )
    with pytest.raises(MethodError) as info:
        integrate(GBM, "euler")
    assert info.value.message == reason
    assert info.value.hint == "use 'heun' (Stratonovich) or 'milstein' (Itô)"


def test_shared_and_independent_noise():
    system = make_system(
        {"x": "0", "y": "0", "z": "0"},
        {"x": {"xi_1": "2"}, "y": {"xi_1": "3"}, "z": {"xi_2": "1"}},
    )
    update = integrate(system)
    assert update.method == "euler"
    assert update.noise_symbols == ("_randn_xi_1", "_randn_xi_2")
    size = 20000
    rng = np.random.default_rng(3)
    start = {name: np.zeros(size) for name in "xyz"}
    result = simulate(update, start, {}, 0.01, 1, gaussian_noise(update, rng, size))
    np.testing.assert_allclose(result["y"], 1.5 * result["x"], rtol=1e-12)
    assert np.corrcoef(result["x"], result["y"])[0, 1] == pytest.approx(1.0, abs=1e-12)
    assert abs(np.corrcoef(result["x"], result["z"])[0, 1]) < 4 / np.sqrt(size)
    assert np.std(result["x"]) == pytest.approx(2 * np.sqrt(0.01), rel=0.03)


@pytest.mark.parametrize("method", ["heun", "milstein"])
def test_shared_noise_in_multiplicative_equations(method):
    # dx = x xi_1, dy = y xi_1 from x = y = 1: x and y follow the same path.
    system = make_system({"x": "0", "y": "0"}, {"x": {"xi_1": "x"}, "y": {"xi_1": "y"}})
    update = integrate(system, method)
    assert update.noise_symbols == ("_randn_xi_1",)
    rng = np.random.default_rng(5)
    start = {"x": np.ones(100), "y": np.ones(100)}
    result = simulate(update, start, {}, 0.01, 20, gaussian_noise(update, rng, 100))
    np.testing.assert_allclose(result["x"], result["y"], rtol=1e-12)


# --- method choice and errors ----------------------------------------------------------


@pytest.mark.parametrize(
    ("system", "expected"),
    [
        (LIF, "exact"),
        (CUBA, "exact"),
        (make_system({"v": "I_e/C"}), "exact"),
        (LOGISTIC, "euler"),
        (HH_GATE, "euler"),
        (make_system({"v": "sin(t/tau) - v/tau"}), "euler"),
        (OU, "euler"),
        (GBM, "heun"),
    ],
)
def test_default_method(system, expected):
    assert default_method(system) == expected
    assert integrate(system).method == expected


def test_method_lists_and_aliases():
    assert integrate(OU, ["rk4", "exact", "heun", "euler"]).method == "heun"
    assert integrate(LIF, ("linear", "euler")).method == "exact"
    assert integrate(LOGISTIC, "midpoint").method == "rk2"
    assert can_integrate("linear", CUBA) == (True, "")
    assert set(METHODS) == set(DETERMINISTIC)


def test_stochastic_equations_with_deterministic_method():
    ok, reason = can_integrate("rk4", OU)
    assert (ok, reason) == (False, "method 'rk4' cannot integrate stochastic equations")
    with pytest.raises(MethodError) as info:
        integrate(OU, "rk4")
    assert info.value.message == "method 'rk4' cannot integrate stochastic equations"
    assert info.value.hint == "use 'euler' (additive noise), 'heun' or 'milstein'"
    with pytest.raises(MethodError, match="method 'linear' cannot integrate stochastic"):
        integrate(OU, "linear")
    with pytest.raises(MethodError) as info:
        integrate(GBM, "exponential_euler")
    assert info.value.hint == "use 'heun' (Stratonovich) or 'milstein' (Itô)"


def test_unknown_method_names():
    with pytest.raises(MethodError) as info:
        integrate(LIF, "rk5")
    assert info.value.message == "unknown integration method 'rk5'"
    assert info.value.hint == (
        "did you mean 'rk4'? known methods: 'exact' (or 'linear'), 'exponential_euler', "
        "'euler', 'rk2' (or 'midpoint'), 'rk4', 'heun', 'milstein'"
    )
    with pytest.raises(MethodError, match="did you mean 'exponential_euler'"):
        can_integrate("exponential-euler", LIF)
    with pytest.raises(MethodError, match="did you mean 'euler'"):
        integrate(LIF, "Euler")
    with pytest.raises(MethodError) as info:
        integrate(LIF, "banana")
    assert info.value.hint.startswith("known methods: 'exact'")
    with pytest.raises(MethodError, match="unknown integration method 'rk5'"):
        integrate(LIF, ["euler", "rk5"])


def test_bad_method_values():
    with pytest.raises(MethodError, match="no integration method given"):
        integrate(LIF, [])
    with pytest.raises(MethodError, match="given by name, not as int"):
        integrate(LIF, [3])
    with pytest.raises(MethodError, match="given by name, not as float"):
        integrate(LIF, 3.0)


def test_exact_refusals():
    cases = [
        (HH_GATE, "dm/dt is not linear in v"),
        (make_system({"v": "(El - v)/tau", "w": "v*w"}), "dw/dt is not linear in v"),
        (make_system({"v": "sin(t) - v/tau"}), "dv/dt depends on time t"),
        (make_system({"v": "-v*(1 + t)"}), "the coefficient of v in dv/dt depends on time t"),
        (make_system({"v": "-f(v)"}), "dv/dt is not linear in v"),
        (
            make_system({"x": "y", "y": "-k*x - c*y"}),
            "the exact solution needs the square root of c**2 - 4*k, which may be negative",
        ),
    ]
    for system, reason in cases:
        assert not is_linear_system(system) or "square root" in reason
        ok, message = can_integrate("exact", system)
        assert (ok, message) == (
            False,
            f"method 'exact' cannot integrate these equations: {reason}",
        )
        assert default_method(system) == "euler"
    with pytest.raises(MethodError) as info:
        integrate(HH_GATE, "exact")
    assert info.value.hint == (
        "'exact' needs dx/dt = A*x + b with A and b free of state variables and t; "
        "use 'exponential_euler', 'euler', 'rk2', 'rk4' or 'heun'"
    )


def test_exponential_euler_refusal():
    with pytest.raises(MethodError) as info:
        integrate(LOGISTIC, "exponential_euler")
    assert info.value.message == (
        "method 'exponential_euler' cannot integrate these equations: dx/dt is not linear in x"
    )
    assert info.value.hint == (
        "'exponential_euler' needs every dx/dt to be a*x + b, where x may appear in a and b "
        "only inside functions such as exp(x); use 'euler', 'rk2', 'rk4' or 'heun'"
    )


def test_exponential_euler_takes_brians_conditionally_linear_form():
    """x inside functions of the coefficients (Morris-Lecar's tanh gating) is accepted,
    as Brian does: the coefficients are frozen over the step. Brian 2.9 (numpy target)
    gives V = 2.21636659 after 1 ms with the same equations, dt and start."""
    from jnsim import Network, NeuronGroup, ms

    eqs = """dV/dt = (-(V - 1) - 2*m_inf*(V - 3))/ms : 1
             m_inf = 0.5*(1 + tanh(V)) : 1"""
    group = NeuronGroup(1, eqs, method="exponential_euler")
    group.V = 0.5
    Network(group).run(1 * ms)
    assert group.V[0] == pytest.approx(2.21636659, abs=1e-8)
    # one step by hand: a = -(1 + 2 m), b = 1 + 6 m with m = (1 + tanh(V))/2
    v, dt = 0.5, 0.1
    for _ in range(10):
        m = 0.5 * (1 + np.tanh(v))
        a, b = -(1 + 2 * m), 1 + 6 * m
        v = -b / a + (v + b / a) * np.exp(a * dt)
    assert group.V[0] == pytest.approx(v, rel=1e-12)


def test_milstein_refuses_interacting_noise_sources():
    system = make_system({"x": "-x", "y": "-y"}, {"x": {"xi_1": "y"}, "y": {"xi_2": "x"}})
    ok, reason = can_integrate("milstein", system)
    assert not ok
    assert reason == (
        "method 'milstein' cannot integrate interacting noise sources: xi_1 drives x, "
        "on which the coefficient of xi_2 in dy/dt depends"
    )
    assert integrate(system).method == "heun"
    # diagonal multiplicative noise is fine
    diagonal = make_system({"x": "-x", "y": "-y"}, {"x": {"xi_1": "x"}, "y": {"xi_2": "y**2"}})
    assert can_integrate("milstein", diagonal) == (True, "")


def test_no_method_in_list_applies():
    with pytest.raises(MethodError) as info:
        integrate(GBM, ["rk4", "euler"])
    assert info.value.message == (
        "none of the methods 'rk4', 'euler' can integrate these equations: "
        "'rk4' cannot integrate stochastic equations; 'euler' cannot integrate multiplicative "
        "noise: the coefficient of xi in dx/dt depends on x"
    )
    assert info.value.hint == "use 'heun' (Stratonovich) or 'milstein' (Itô)"


# --- statement structure and display ---------------------------------------------------


def check_statement_rules(update: StateUpdate, system: ODESystem) -> None:
    assigned: set[str] = set()
    seen_state_assignment = False
    for name, expr in update.statements:
        reads = {s.name for s in expr.free_symbols}
        assert not reads & assigned, f"{name} reads reassigned {reads & assigned}"
        if name in system.variables:
            assert name not in assigned
            assigned.add(name)
            seen_state_assignment = True
        else:
            assert name.startswith("_"), name
            assert not seen_state_assignment, "temporaries must precede state assignments"
    noise_in_statements = {
        s.name for _, e in update.statements for s in e.free_symbols if s.name.startswith("_randn")
    }
    assert noise_in_statements == set(update.noise_symbols)


TERMS = ["{a}", "-{a}", "{a}*{b}", "sin({a})", "{a}/tau", "1", "t*{b}", "exp(-{b})"]


@st.composite
def random_systems(draw):
    names = draw(st.sampled_from([("x",), ("x", "y"), ("x", "y", "z")]))
    drift = {}
    for var in names:
        terms = draw(st.lists(st.sampled_from(TERMS), min_size=1, max_size=3))
        pairs = [(draw(st.sampled_from(names)), draw(st.sampled_from(names))) for _ in terms]
        drift[var] = " + ".join(t.format(a=a, b=b) for t, (a, b) in zip(terms, pairs, strict=True))
    noise = {}
    if draw(st.booleans()):
        var = draw(st.sampled_from(names))
        noise[var] = {"xi": draw(st.sampled_from(["sigma", "sigma*" + var]))}
    return make_system(drift, noise)


@settings(max_examples=25, deadline=None)
@given(random_systems())
def test_statements_follow_ordering_rules(system):
    for method in METHODS:
        if can_integrate(method, system)[0]:
            check_statement_rules(integrate(system, method), system)


@settings(max_examples=25, deadline=None)
@given(random_systems())
def test_euler_statements_equal_simultaneous_update(system):
    if not can_integrate("euler", system)[0] or system.is_stochastic:
        return
    state = {"x": 0.3, "y": -0.7, "z": 1.1}
    state = {k: v for k, v in state.items() if k in system.variables}
    params = {"tau": 2.0, "sigma": 0.1}
    dt, t = 0.01, 0.0
    result = simulate(integrate(system, "euler"), state, params, dt, 1)
    env = {**state, **params, "t": t}
    for var in system.variables:
        f = system.drift[var]
        args = sorted(f.free_symbols, key=lambda s: s.name)
        slope = sympy.lambdify(args, f)(*(env[a.name] for a in args))
        assert result[var] == pytest.approx(state[var] + dt * slope, rel=1e-12, abs=1e-15)


def test_readable_text():
    assert str(integrate(LIF, "euler")) == "v = dt*(El - v)/tau + v"
    assert str(integrate(LIF, "exact")) == "v = El + (-El + v)*exp(-dt/tau)"
    assert str(integrate(LIF, "exponential_euler")) == "v = El + (-El + v)*exp(-dt/tau)"
    rk2 = integrate(LIF, "rk2")
    assert str(rk2).splitlines() == [
        "_k1_v = (El - v)/tau",
        "_k2_v = (El - _k1_v*dt/2 - v)/tau",
        "v = _k2_v*dt + v",
    ]
    assert repr(integrate(OU, "euler")).startswith(
        "StateUpdate(method='euler', noise_symbols=('_randn_xi',))\n    v = "
    )
    assert str(OU) == "dv/dt = sqrt(2)*sigma*xi*sqrt(1/tau) - v/tau"
    assert repr(LIF) == "ODESystem(v)\n    dv/dt = (El - v)/tau"


def test_coupled_update_uses_old_values():
    system = make_system({"x": "-y/tau", "y": "x/tau"})
    update = integrate(system, "euler")
    result = simulate(update, {"x": 1.0, "y": 0.0}, {"tau": 1.0}, 0.1, 1)
    assert (float(result["x"]), float(result["y"])) == pytest.approx((1.0, 0.1))
    assert [name for name, _ in update.statements][-2:] == ["y", "x"]


def test_system_normalises_symbols_and_validates():
    plain = sympy.Symbol("v")  # no real=True
    system = ODESystem(("v",), {"v": -plain})
    assert system.drift["v"] == -sympy.Symbol("v", real=True)
    assert integrate(system).method == "exact"
    with pytest.raises(ValueError, match="unknown variables"):
        ODESystem(("v",), {"w": plain})
    assert ODESystem(("v",), {}).drift["v"] == 0
    assert hash(LIF) == hash(make_system({"v": "(El - v)/tau"}))
