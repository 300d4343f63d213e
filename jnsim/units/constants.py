"""Physical constants with units, under the names Brian 2 scripts import them by
(``from jnsim.units.constants import faraday_constant as F``).

The values are pint's (CODATA), expressed in SI base units so that they combine with
jnsim's quantities like any other value.
"""

from __future__ import annotations

from typing import Any

from . import registry

__all__ = [
    "avogadro_constant",
    "boltzmann_constant",
    "electric_constant",
    "electron_mass",
    "elementary_charge",
    "faraday_constant",
    "gas_constant",
    "magnetic_constant",
    "molar_mass_constant",
    "zero_celsius",
]


def _constant(pint_name: str) -> Any:
    return (1 * registry(pint_name)).to_base_units()


#: Avogadro constant, N_A (1/mol).
avogadro_constant = _constant("avogadro_constant")
#: Boltzmann constant, k (J/K).
boltzmann_constant = _constant("boltzmann_constant")
#: Electric constant (vacuum permittivity), epsilon_0 (F/m).
electric_constant = _constant("vacuum_permittivity")
#: Electron mass, m_e (kg).
electron_mass = _constant("electron_mass")
#: Elementary charge, e (C).
elementary_charge = _constant("elementary_charge")
#: Faraday constant, F = e N_A (C/mol).
faraday_constant = _constant("faraday_constant")
#: Molar gas constant, R = k N_A (J/(mol K)).
gas_constant = _constant("molar_gas_constant")
#: Magnetic constant (vacuum permeability), mu_0 (N/A**2).
magnetic_constant = _constant("vacuum_permeability")
#: Molar mass constant, M_u (kg/mol).
molar_mass_constant = _constant("atomic_mass_constant * avogadro_constant")
#: Zero degree Celsius in kelvin, as a temperature difference from absolute zero.
zero_celsius = 273.15 * registry.kelvin
