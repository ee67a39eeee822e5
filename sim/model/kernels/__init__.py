"""Pure kernels of the model: arrays in, arrays out, no state and no mesa.

Modules: ``combat``, ``logistics``, ``morale``, ``diplomacy``, ``operations``; import them as
``from sim.model.kernels import combat``.
"""

__all__ = ["combat", "diplomacy", "logistics", "morale", "operations"]
