"""Pure kernels of the model: arrays in, arrays out, no state and no mesa."""

from sim.model.kernels import combat, diplomacy, logistics, morale, operations

__all__ = ["combat", "diplomacy", "logistics", "morale", "operations"]
