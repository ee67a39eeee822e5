"""The scenario error: one line per problem, naming file, key path and what is allowed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


class ScenarioError(ValueError):
    """A scenario that cannot be used; ``problems`` lists every problem found."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))

    def __reduce__(self) -> tuple[type[ScenarioError], tuple[list[str]]]:
        # rebuilt from the list, not from the joined message (which would be read as a list
        # of one-character problems when the error comes back from a worker process)
        return type(self), (self.problems,)


def dotted(loc: Iterable) -> str:
    """A key path as the user writes it: ``groupings.3.sector``."""
    return ".".join(str(p) for p in loc)


__all__ = ["ScenarioError", "dotted"]
