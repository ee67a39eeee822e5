"""The map error: one line per problem, ``<file>: <key.path>: <what is wrong>; <what is allowed>``.

Same style as the scenario's errors (``sim.scenario.errors``), kept here because ``sim.space`` is
the lowest layer and imports nothing from the rest of ``sim``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


class MapError(ValueError):
    """A map file that cannot be used; ``problems`` lists every problem found, one line each."""

    def __init__(self, problems: Sequence[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


def dotted(loc: Iterable) -> str:
    """A key path as the user writes it: ``places.3.lat`` (``(top level)`` when empty)."""
    return ".".join(str(p) for p in loc) or "(top level)"


def problem(file: object, loc: Iterable, msg: str) -> str:
    """One problem line: ``<file>: <key.path>: <msg>``."""
    return f"{file}: {dotted(loc)}: {msg}"


def shown(value: object, limit: int = 60) -> str:
    """``repr`` of a user's value, cut short so a huge value still gives one short line."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


__all__ = ["MapError", "dotted", "problem", "shown"]
